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
public sealed class MorphCommand : ICommand
{
    const int Scale = 4;          // 28×28 digits become 112×112 GIF frames
    const int StripColumns = 16;  // the strip PNG wraps into rows of at most this many frames

    public string Name => "morph";
    public string Summary => "Animate a generator along a slerp path between latent vectors: an animated GIF and a strip PNG.";
    public string Usage => "ilgpugan morph --checkpoint RUN [--frames N] [--out FILE.gif] [--from-seed A --to-seed B | --keys K --seed S] [--fps F] [--from-class A --to-class B | --class K]";
    public IReadOnlyList<OptionSpec> Options =>
    [
        new("checkpoint", "RUN", "a run folder, its checkpoint folder, or a G.safetensors file (image runs only)"),
        new("frames", "N", "frames in the animation (at least 2)", "48"),
        new("out", "FILE", "output .gif; the strip goes beside it as .png", "RUN/morph.gif"),
        new("from-seed", "A", "morph from the z of seed A (as `sample --seed A` draws it) ..."),
        new("to-seed", "B", "... to the z of seed B; the last frame is B's image"),
        new("keys", "K", "otherwise: a closed loop through K random z that returns to the first", "4"),
        new("seed", "S", "seed of the loop's keys", "0"),
        new("fps", "F", "frames per second of the GIF", "12"),
        new("from-class", "A", "conditional runs: morph from class A ... (z fixed, from --seed)"),
        new("to-class", "B", "... to class B; without either, a loop through every class"),
        new("class", "K", "conditional runs: morph z (as above) with class K held fixed instead"),
        CommonOptions.Device,
    ];

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("morph");
        string source = o.String("checkpoint") ?? throw new UsageException("morph: --checkpoint RUN is required");
        int frames = o.Int("frames", 2, 2000);
        int fps = o.Int("fps", 1, 50);
        bool between = o.Has("from-seed") || o.Has("to-seed");
        if (between && !(o.Has("from-seed") && o.Has("to-seed")))
            throw new UsageException("morph: --from-seed and --to-seed go together");
        if (between && (o.Has("keys") || o.Has("seed")))
            throw new UsageException("morph: --keys and --seed pick a random loop; drop them with --from-seed/--to-seed");
        ulong from = between ? o.ULong("from-seed") : 0, to = between ? o.ULong("to-seed") : 0;
        int keys = between ? 0 : o.Int("keys", 2, 1000);
        ulong seed = o.ULong("seed");
        string outPath = o.Has("out") ? o.String("out")! : RunFolder.Containing(source).Morph;   // the default shown in --help is a description
        if (!outPath.EndsWith(".gif", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"morph: --out must end in .gif, got '{outPath}'");
        DeviceCatalog.Validate(o.String("device", "auto"));
        string gFile = RunFolder.ResolveGenerator(source);

        using var backend = DeviceCatalog.Open(o.String("device", "auto"), m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, gFile);
        int side = (int)Math.Round(Math.Sqrt(sampler.OutFeatures));
        if (side * side != sampler.OutFeatures || side < 2)
            throw new GanException($"morph works on image runs; {gFile} generates {sampler.OutFeatures}-d points (a 2D run: ring8/grid25), see its samples/*.svg");

        bool classMorph = o.Has("from-class") || o.Has("to-class");
        if (!sampler.IsConditional && (classMorph || o.Has("class")))
            throw new UsageException("morph: --class/--from-class/--to-class need a conditional run (trained with --conditional)");
        if (sampler.IsConditional && !o.Has("class"))
        {
            if (between || o.Has("keys")) throw new UsageException("morph: a conditional run morphs between classes; add --class K to morph z instead");
            var classPath = ClassPath(o, sampler.Classes, frames);
            var images = sampler.GenerateInputs(LatentPath.WithClasses(sampler.Noise(1, seed), classPath, sampler.Classes, frames), frames);
            return Write(outPath, images, frames, side, fps, log, $"classes with z of seed {seed}", gFile);
        }
        int fixedClass = o.Has("class") ? o.Int("class", 0, sampler.Classes - 1) : -1;

        float[] path;
        if (between)
        {
            var a = sampler.Noise(1, from);
            var b = sampler.Noise(1, to);
            path = LatentPath.Between(a, b, frames);
        }
        else path = LatentPath.Loop(sampler.Noise(keys, seed), sampler.Latent, frames);
        var zImages = sampler.Generate(path, frames, fixedClass);
        return Write(outPath, zImages, frames, side, fps, log,
            between ? $"seed {from} to seed {to}" : $"loop through {keys} keys of seed {seed}", gFile);
    }

    /// <summary>Class rows [frames, classes]: from one class to another, or a closed loop through all of them.</summary>
    static float[] ClassPath(Options o, int classes, int frames)
    {
        if (o.Has("from-class") != o.Has("to-class")) throw new UsageException("morph: --from-class and --to-class go together");
        if (!o.Has("from-class")) return LatentPath.Loop(LatentPath.OneHot(Enumerable.Range(0, classes).ToArray(), classes), classes, frames, spherical: false);
        int a = o.Int("from-class", 0, classes - 1), b = o.Int("to-class", 0, classes - 1);
        var keys = LatentPath.OneHot([a, b], classes);
        return LatentPath.Between(keys.AsSpan(0, classes), keys.AsSpan(classes, classes), frames, spherical: false);
    }

    static int Write(string outPath, float[] images, int frames, int side, int fps, ILogger log, string what, string gFile)
    {
        SaveGif(outPath, images, frames, side, AnimatedGif.DelayForFps(fps));
        string stripPath = Path.ChangeExtension(outPath, ".png");
        ImageGrid.SavePng(stripPath, images, frames, side, side, Math.Min(frames, StripColumns));
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
}
