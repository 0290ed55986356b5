using System.CommandLine;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Images;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Host.Commands;

/// <summary>
/// `ilgpugan morph`: an animated GIF of G along a slerp path in latent space, plus a strip PNG of
/// the same frames. The z of a seed is the one `sample --seed S` draws first, so the endpoints of
/// --from-seed/--to-seed are the first images of `sample --seed A` and `sample --seed B`.
/// A conditional generator morphs between classes with z held fixed (the class block moves in a
/// straight line from one one-hot to the next), or along z with --class K held fixed.
/// </summary>
public sealed class MorphCommand : CliCommand
{
    const int Scale = 4;          // 28×28 digits become 112×112 GIF frames
    const int StripColumns = 16;  // the strip PNG wraps into rows of at most this many frames

    readonly Option<string?> checkpoint = SampleCommand.CheckpointOption("a run folder, its checkpoint folder, or a G.safetensors file (image runs only)");
    readonly Option<int> frames = Opt.Int("frames", "N", "frames in the animation (at least 2)", 48, 2, 2000);
    readonly Option<string?> output = Opt.String("out", "FILE", "output .gif; the strip goes beside it as .png (default: RUN/morph.gif)");
    readonly Option<ulong?> fromSeed = Opt.ULongOrNull("from-seed", "A", "morph from the z of seed A (as `sample --seed A` draws it) ...");
    readonly Option<ulong?> toSeed = Opt.ULongOrNull("to-seed", "B", "... to the z of seed B; the last frame is B's image");
    readonly Option<int> keys = Opt.Int("keys", "K", "otherwise: a closed loop through K random z that returns to the first", 4, 2, 1000);
    readonly Option<ulong> seed = Opt.ULong("seed", "S", "seed of the loop's keys", 0);
    readonly Option<int> fps = Opt.Int("fps", "F", "frames per second of the GIF", 12, 1, 50);
    readonly Option<int?> fromClass = Opt.IntOrNull("from-class", "A", "conditional runs: morph from class A ... (z fixed, from --seed)", 0);
    readonly Option<int?> toClass = Opt.IntOrNull("to-class", "B", "... to class B; without either, a loop through every class", 0);
    readonly Option<int?> @class = Opt.IntOrNull("class", "K", "conditional runs: morph z (as above) with class K held fixed instead", 0);
    readonly Option<DeviceSpec> device = Opt.Device();

    public override string Name => "morph";
    public override string Summary => "Animate a generator along a slerp path between latent vectors: an animated GIF and a strip PNG.";
    public override IReadOnlyList<Option> Options => [checkpoint, frames, output, fromSeed, toSeed, keys, seed, fps, fromClass, toClass, @class, device];

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("morph");
        string source = p.GetValue(checkpoint) ?? throw new UsageException("morph: --checkpoint RUN is required");
        int frames = p.GetValue(this.frames);
        int fps = p.GetValue(this.fps);
        bool between = p.Given(fromSeed) || p.Given(toSeed);
        if (between && !(p.Given(fromSeed) && p.Given(toSeed)))
            throw new UsageException("morph: --from-seed and --to-seed go together");
        if (between && (p.Given(keys) || p.Given(seed)))
            throw new UsageException("morph: --keys and --seed pick a random loop; drop them with --from-seed/--to-seed");
        ulong from = p.GetValue(fromSeed) ?? 0, to = p.GetValue(toSeed) ?? 0;
        int keyCount = between ? 0 : p.GetValue(keys);
        ulong loopSeed = p.GetValue(seed);
        string outPath = p.GetValue(output) ?? RunFolder.Containing(source).Morph;
        if (!outPath.EndsWith(".gif", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"morph: --out must end in .gif, got '{outPath}'");
        string gFile = RunFolder.ResolveGenerator(source);

        using var backend = DeviceCatalog.Open(p.GetValue(device)!, m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, gFile);
        int channels = sampler.Channels;
        int side = (int)Math.Round(Math.Sqrt(sampler.OutFeatures / channels));
        if (side * side * channels != sampler.OutFeatures || side < 2)
            throw new GanException($"morph works on image runs; {gFile} generates {sampler.OutFeatures}-d points (a 2D run: ring8/grid25), see its samples/*.svg");

        bool classMorph = p.Given(fromClass) || p.Given(toClass);
        if (!sampler.IsConditional && (classMorph || p.Given(@class)))
            throw new UsageException("morph: --class/--from-class/--to-class need a conditional run (trained with --conditional)");
        if (sampler.IsConditional && !p.Given(@class))
        {
            if (between || p.Given(this.keys)) throw new UsageException("morph: a conditional run morphs between classes; add --class K to morph z instead");
            var classPath = ClassPath(p.GetValue(fromClass), p.GetValue(toClass), sampler.Classes, frames);
            var images = sampler.GenerateInputs(LatentPath.WithClasses(sampler.Noise(1, loopSeed), classPath, sampler.Classes, frames), frames);
            return Write(outPath, images, frames, channels, side, fps, log, $"classes with z of seed {loopSeed}", gFile);
        }
        int fixedClass = p.GetValue(@class) is { } k ? InClasses(k, "--class", sampler.Classes) : -1;

        float[] path;
        if (between)
        {
            var a = sampler.Noise(1, from);
            var b = sampler.Noise(1, to);
            path = LatentPath.Between(a, b, frames);
        }
        else path = LatentPath.Loop(sampler.Noise(keyCount, loopSeed), sampler.Latent, frames);
        var zImages = sampler.Generate(path, frames, fixedClass);
        return Write(outPath, zImages, frames, channels, side, fps, log,
            between ? $"seed {from} to seed {to}" : $"loop through {keyCount} keys of seed {loopSeed}", gFile);
    }

    /// <summary>Class rows [frames, classes]: from one class to another, or a closed loop through all of them.</summary>
    static float[] ClassPath(int? fromClass, int? toClass, int classes, int frames)
    {
        if (fromClass.HasValue != toClass.HasValue) throw new UsageException("morph: --from-class and --to-class go together");
        if (fromClass is null) return LatentPath.Loop(LatentPath.OneHot(Enumerable.Range(0, classes).ToArray(), classes), classes, frames, spherical: false);
        int a = InClasses(fromClass.Value, "--from-class", classes), b = InClasses(toClass!.Value, "--to-class", classes);
        var keys = LatentPath.OneHot([a, b], classes);
        return LatentPath.Between(keys.AsSpan(0, classes), keys.AsSpan(classes, classes), frames, spherical: false);
    }

    static int InClasses(int k, string flag, int classes) =>
        k < classes ? k : throw new UsageException($"morph: {flag} must be at most {classes - 1}, got {k}");

    static int Write(string outPath, float[] images, int frames, int channels, int side, int fps, ILogger log, string what, string gFile)
    {
        string stripPath = Path.ChangeExtension(outPath, ".png");
        if (channels == 3)
        {
            SaveColorGif(outPath, images, frames, side, AnimatedGif.DelayForFps(fps));
            ImageGrid.SavePng(stripPath, images, frames, channels, side, side, Math.Min(frames, StripColumns));
        }
        else
        {
            SaveGif(outPath, images, frames, side, AnimatedGif.DelayForFps(fps));
            ImageGrid.SavePng(stripPath, images, frames, side, side, Math.Min(frames, StripColumns));
        }
        log.LogInformation("wrote {Frames} frames from {Generator} ({What}) to {Out} and {Strip}", frames, gFile, what, outPath, stripPath);
        Console.WriteLine(Path.GetFullPath(outPath));
        return 0;
    }

    static void SaveGif(string path, float[] images, int count, int side, int delay)
    {
        var frames = new List<Image<L8>>(count);
        try
        {
            int pixels = side * side;
            for (int i = 0; i < count; i++)
                frames.Add(AnimatedGif.Frame(images.AsSpan(i * pixels, pixels), side, side, Scale));
            AnimatedGif.Save(path, frames, Enumerable.Repeat(delay, count).ToArray());
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    static void SaveColorGif(string path, float[] images, int count, int side, int delay)
    {
        var frames = new List<Image<Rgb24>>(count);
        try
        {
            int values = 3 * side * side;
            for (int i = 0; i < count; i++)
                frames.Add(AnimatedGif.ColorFrame(images.AsSpan(i * values, values), side, side, Scale));
            AnimatedGif.Save(path, frames, Enumerable.Repeat(delay, count).ToArray());
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }
}
