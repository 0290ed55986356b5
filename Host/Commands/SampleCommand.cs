using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Images;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class SampleCommand : ICommand
{
    public string Name => "sample";
    public string Summary => "Draw images from a trained generator: a PNG grid, or a float32 .npy array in [-1, 1].";
    public string Usage => "ilgpugan sample --checkpoint RUN --out FILE.png|FILE.npy [--count N] [--seed S] [--class K]";
    public IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.GeneratorCheckpoint,
        new("out", "FILE", "output file: .png writes a grid, .npy writes N×28×28 float32"),
        new("count", "N", "number of images", "64"),
        new("seed", "S", "noise seed", "0"),
        new("class", "K", "conditional runs: draw only class K (default: classes in turn, one per grid row of 10)"),
        new("columns", "C", "grid columns (default: square-ish)"),
        CommonOptions.Device,
    ];

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("sample");
        string source = o.String("checkpoint") ?? throw new UsageException("sample: --checkpoint RUN is required");
        string outPath = o.String("out") ?? throw new UsageException("sample: --out FILE is required");
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        if (ext is not (".png" or ".npy")) throw new UsageException($"sample: --out must end in .png or .npy, got '{outPath}'");
        int count = o.Int("count", 1, 1_000_000);
        ulong seed = o.ULong("seed");
        int fixedClass = o.Has("class") ? o.Int("class", 0, 1 << 16) : -1;
        string gFile = RunFolder.ResolveGenerator(source);

        using var backend = DeviceCatalog.Open(o.String("device", "auto"), m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, gFile);
        // Conditional samples cycle through the classes: ten columns put one class in each column.
        int columns = o.Has("columns") ? o.Int("columns", 1) : sampler.IsConditional && fixedClass < 0 ? sampler.Classes : ImageGrid.DefaultColumns(count);
        var images = sampler.Sample(count, seed, fixedClass);
        int side = (int)Math.Round(Math.Sqrt(sampler.OutFeatures));
        if (ext == ".png") ImageGrid.SavePng(outPath, images, count, side, sampler.OutFeatures / side, columns);
        else Npy.WriteFloat32(outPath, images, count, side, sampler.OutFeatures / side);
        log.LogInformation("wrote {Count} samples from {Generator} to {Out}", count, gFile, outPath);
        Console.WriteLine(Path.GetFullPath(outPath));
        return 0;
    }
}
