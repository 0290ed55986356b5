using System.CommandLine;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Images;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class SampleCommand : CliCommand
{
    readonly Option<string?> checkpoint = CheckpointOption();
    readonly Option<string?> output = Opt.String("out", "FILE", "output file: .png writes a grid, .npy writes N×28×28 float32");
    readonly Option<int> count = Opt.Int("count", "N", "number of images", 64, 1, 1_000_000);
    readonly Option<ulong> seed = Opt.ULong("seed", "S", "noise seed", 0);
    readonly Option<int?> @class = Opt.IntOrNull("class", "K", "conditional runs: draw only class K (default: classes in turn, one per grid row of 10)", 0, 1 << 16);
    readonly Option<int?> columns = Opt.IntOrNull("columns", "C", "grid columns (default: square-ish)", 1);
    readonly Option<GeneratorMode?> gMode = GModeOption();
    readonly Option<DeviceSpec> device = Opt.Device();

    public override string Name => "sample";
    public override string Summary => "Draw images from a trained generator: a PNG grid, or a float32 .npy array in [-1, 1].";
    public override IReadOnlyList<Option> Options => [checkpoint, output, count, seed, @class, columns, gMode, device];

    /// <summary>--checkpoint RUN, shared by sample, morph and eval.</summary>
    public static Option<string?> CheckpointOption(string help = "a run folder, its checkpoint folder, or a G.safetensors file") =>
        Opt.String("checkpoint", "RUN", help);

    /// <summary>--g-mode eval|train, shared by sample and eval.</summary>
    public static Option<GeneratorMode?> GModeOption() =>
        Opt.Kind<GeneratorMode>("g-mode", "BatchNorm in G: eval (running statistics, each image on its own) or train (statistics of each group of 64 images, as pytorch/examples draws its grids) (default: eval)");

    /// <summary>Train mode normalises groups of 64: a count that leaves one image alone is a usage error, caught before any work.</summary>
    public static void RequireTrainModeGroups(GeneratorMode mode, int count, string what)
    {
        if (mode == GeneratorMode.Train && count % Sampler.TrainModeBatch == 1)
            throw new UsageException($"{what} {count} leaves a last group of one image, which --g-mode train cannot normalise (groups of {Sampler.TrainModeBatch})");
    }

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("sample");
        string source = p.GetValue(checkpoint) ?? throw new UsageException("sample: --checkpoint RUN is required");
        string outPath = p.GetValue(output) ?? throw new UsageException("sample: --out FILE is required");
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        if (ext is not (".png" or ".npy")) throw new UsageException($"sample: --out must end in .png or .npy, got '{outPath}'");
        int n = p.GetValue(count);
        var mode = p.GetValue(gMode) ?? GeneratorMode.Eval;
        RequireTrainModeGroups(mode, n, "sample: --count");
        int fixedClass = p.GetValue(@class) ?? -1;
        string gFile = RunFolder.ResolveGenerator(source);

        using var backend = DeviceCatalog.Open(p.GetValue(device)!, m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, gFile, mode: mode);
        // Conditional samples cycle through the classes: ten columns put one class in each column.
        int cols = p.GetValue(columns) ?? (sampler.IsConditional && fixedClass < 0 ? sampler.Classes : ImageGrid.DefaultColumns(n));
        var images = sampler.Sample(n, p.GetValue(seed), fixedClass);
        if (sampler.Channels > 1)
        {
            // An RGB conv G: NCHW rows, a colour grid or an [n, C, H, W] array.
            int s = sampler.ImageSize;
            if (ext == ".png") ImageGrid.SavePng(outPath, images, n, sampler.Channels, s, s, cols);
            else Npy.WriteFloat32(outPath, images, n, sampler.Channels, s, s);
        }
        else
        {
            int side = (int)Math.Round(Math.Sqrt(sampler.OutFeatures));
            if (ext == ".png") ImageGrid.SavePng(outPath, images, n, side, sampler.OutFeatures / side, cols);
            else Npy.WriteFloat32(outPath, images, n, side, sampler.OutFeatures / side);
        }
        log.LogInformation("wrote {Count} samples from {Generator} to {Out}", n, gFile, outPath);
        Console.WriteLine(Path.GetFullPath(outPath));
        return 0;
    }
}
