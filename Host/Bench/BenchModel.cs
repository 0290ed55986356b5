using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Host.Bench;

/// <summary>
/// The GAN whose step `bench` times: the seed MLP or the 28×28 DCGAN on random MNIST-sized images,
/// or a 2D model (the LeakyReLU 2D GAN, or with <see cref="GanPreset.PacGan"/> PacGAN's maxout
/// protocol) on a 2D mixture, with packing.
/// </summary>
public sealed record BenchModel(ModelKind Model = ModelKind.Mlp, string? Dataset = null, GanPreset Preset = GanPreset.None, int Pack = 1)
{
    public static readonly BenchModel Seed = new();

    public bool Is2D => Dataset is not null;

    /// <summary>What the report calls the step.</summary>
    public string Name => Preset == GanPreset.PacGan ? $"PacGAN {Dataset} step (pack {Pack})"
        : Is2D ? $"2D {Dataset} GAN step (pack {Pack})"
        : Model == ModelKind.Dcgan ? "28×28 DCGAN step" : "seed GAN step";

    /// <summary>The batches timed when none are given: the preset's own, or the usual sweep.</summary>
    public string DefaultBatches(bool profile) =>
        Preset == GanPreset.PacGan ? $"{PacGanPreset.Batch(Pack)}"
        : Is2D ? $"{100 * Pack}"
        : Model == ModelKind.Dcgan ? (profile ? "64" : "64,256") : profile ? "64,4096" : "64,256,1024,4096";

    public GanConfig Config(int batch, ulong seed) =>
        Preset == GanPreset.PacGan ? PacGanPreset.Config(Dataset!, Pack, seed) with { Batch = batch }
        : Is2D ? new GanConfig { Dataset = Dataset!, Generator = GeneratorKind.Mlp2d, Latent = 2, Pack = Pack, Batch = batch, Seed = seed }
        : Model == ModelKind.Dcgan ? new GanConfig { Batch = batch, Seed = seed, Model = ModelKind.Dcgan, Latent = DcganPresets.DefaultLatent }
        : new GanConfig { Batch = batch, Seed = seed };

    /// <summary>A trainer of this model at this batch (images: random bytes, at least two batches' worth).</summary>
    public GanTrainer Trainer(IBackend backend, int batch, ulong seed)
    {
        var config = Config(batch, seed);
        if (Is2D) return new GanTrainer(backend, config, null, 0, 2);
        int images = Math.Max(batch * 2, 256);
        var pixels = new byte[images * 784];
        new Random(1).NextBytes(pixels);
        return new GanTrainer(backend, config, pixels, images, 784);
    }
}
