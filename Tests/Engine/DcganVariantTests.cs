using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>Random images and labels for the conditional and packed DCGAN tests.</summary>
static class DcganVariants
{
    public static byte[] Labels(int count, int classes) => Enumerable.Range(0, count).Select(i => (byte)((i * 7 + 3) % classes)).ToArray();

    public static byte[] Pixels(int count, int dim, int seed)
    {
        var p = new byte[count * dim];
        new Random(seed).NextBytes(p);
        return p;
    }

    public static GanConfig Config(bool conditional, int pack, int imageSize = 28, int channels = 1, int batch = 4, int latent = 100) => new()
    {
        Model = ModelKind.Dcgan, ImageSize = imageSize, Channels = channels, Batch = batch, Latent = latent,
        Conditional = conditional, Pack = pack,
    };

    public static GanTrainer Trainer(IBackend b, GanConfig config, int count = 16, int seed = 3)
    {
        int dim = config.Channels * config.ImageSize * config.ImageSize;
        return new GanTrainer(b, config, Pixels(count, dim, seed), count, dim, config.Conditional ? Labels(count, config.Classes) : null);
    }
}

/// <summary>
/// `--conditional` and `--pack` on the DCGAN (cpu backend): the layer shapes torch would give, the
/// checkpoint's strict round trip, and D's input as torch.cat builds it.
/// </summary>
public sealed class DcganVariantTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    /// <summary>
    /// G's first ConvTranspose2d takes z and the one-hot class as latent + classes channels; D's
    /// first Conv2d takes the image's C channels plus one map per class, times the pack. Every other
    /// tensor keeps the unconditional model's shape. Then one step, a checkpoint, and a fresh
    /// trainer that loads it (by name and shape, every tensor) and holds the same weights.
    /// </summary>
    [Theory]
    [InlineData(28, 1, true, 1)]
    [InlineData(28, 1, false, 2)]
    [InlineData(28, 1, true, 2)]
    [InlineData(32, 3, true, 2)]
    [InlineData(64, 1, true, 1)]
    [InlineData(64, 3, false, 4)]
    public void Conditional_and_packed_layers_have_torch_shapes_and_the_checkpoint_loads_strict(int size, int channels, bool conditional, int pack)
    {
        var config = DcganVariants.Config(conditional, pack, size, channels, batch: 4 * pack / Math.Min(pack, 2), latent: 16);
        int classes = conditional ? config.Classes : 0;
        using var trainer = DcganVariants.Trainer(fixture.Backend, config, count: 2 * config.Batch);
        using var plain = DcganVariants.Trainer(fixture.Backend, DcganVariants.Config(false, 1, size, channels, latent: 16), count: 8);
        var g = trainer.G.StateDict().ToDictionary(t => t.Name);
        var d = trainer.D.StateDict().ToDictionary(t => t.Name);
        var (g0, d0) = (plain.G.StateDict().ToDictionary(t => t.Name), plain.D.StateDict().ToDictionary(t => t.Name));
        int gWidth = size == 28 ? 128 : DcganPresets.Features << (size == 32 ? 2 : 3), gKernel = size == 28 ? 7 : 4;
        Assert.Equal([16 + classes, gWidth, gKernel, gKernel], g["0.weight"].Shape);
        Assert.Equal([DcganPresets.Features, (channels + classes) * pack, 4, 4], d["0.weight"].Shape);
        Assert.Equal(g0.Keys.Order(), g.Keys.Order());
        Assert.Equal(d0.Keys.Order(), d.Keys.Order());
        foreach (var (name, t) in g.Where(t => t.Key != "0.weight")) Assert.Equal(g0[name].Shape, t.Shape);
        foreach (var (name, t) in d.Where(t => t.Key != "0.weight")) Assert.Equal(d0[name].Shape, t.Shape);
        Assert.Equal(config.Batch / pack, trainer.D.MaxBatch);

        trainer.TrainStep();
        Assert.True(float.IsFinite(trainer.ReadStats().DLoss));
        string dir = Path.Combine(Path.GetTempPath(), $"dcgan-variant-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Checkpoint.Save(trainer, dir);
            using var resumed = DcganVariants.Trainer(fixture.Backend, config, count: 2 * config.Batch);
            Assert.NotEqual(trainer.D.Parameters.ToArray(), resumed.D.Parameters.ToArray());
            Checkpoint.Load(resumed, dir);
            Assert.Equal(trainer.G.Parameters.ToArray(), resumed.G.Parameters.ToArray());
            Assert.Equal(trainer.D.Parameters.ToArray(), resumed.D.Parameters.ToArray());
            // A file from the other variant (a plain D) is refused by shape, not loaded partly.
            var (plainD, _) = SafeTensors.Load(SaveD(plain, dir + "-plain"));
            var e = Assert.Throws<GanException>(() => resumed.D.LoadStateDict(plainD, "plain D"));
            Assert.Contains("0.weight", e.Message);

            using var sampler = new Sampler(fixture.Backend, RunFolder.ResolveGenerator(dir));
            Assert.Equal((ModelKind.Dcgan, classes, 16), (sampler.Model, sampler.Classes, sampler.Latent));
            if (conditional)
            {
                // The sampler's G is the trainer's: the same z and class give the same image.
                var fromSampler = sampler.Sample(3, seed: 5, fixedClass: 1);
                var fromTrainer = trainer.Sample(3, seed: 5, fixedClass: 1);
                Assert.Equal(fromTrainer.Length, fromSampler.Length);
                Assert.True(GoldenPyTorchTests.RelativeError(fromSampler, fromTrainer) < 1e-5);
                Assert.NotEqual(fromSampler, sampler.Sample(3, seed: 5, fixedClass: 2));
            }
        }
        finally
        {
            foreach (var path in new[] { dir, dir + "-plain" })
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    static string SaveD(GanTrainer t, string dir)
    {
        Checkpoint.Save(t, dir);
        return Path.Combine(new RunFolder(dir).Checkpoint, RunFolder.DiscriminatorFileName);
    }

    /// <summary>
    /// D's first conv, on the step's real batch, reads exactly what torch builds: each sample's C
    /// image channels then onehot[:, :, None, None].expand(-1, -1, H, W), NCHW, and with pack m the
    /// batch viewed as [n/m, m·(C + classes), H, W] (the same memory).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void D_reads_the_real_batch_with_one_hot_maps_as_torch_cat(int pack)
    {
        const int batch = 4, count = 12, classes = 3, dim = 784, plane = 784;
        var config = DcganVariants.Config(true, pack, batch: batch, latent: 8) with { Classes = classes, Seed = 9 };
        var pixels = DcganVariants.Pixels(count, dim, seed: 6);
        var labels = DcganVariants.Labels(count, classes);
        var (backend, recorder) = RecordingBackend.Wrap(fixture.Backend);
        using var trainer = new GanTrainer(backend, config, pixels, count, dim, labels);
        recorder.Calls = [];
        trainer.TrainStep();
        var calls = recorder.Calls;
        recorder.Calls = null;
        // D's first layer: the first forward Conv2d (G's layers are transposed).
        var first = calls.First(c => c.Op == nameof(IBackend.ConvForward) && !((Conv2dGeometry)c.Args[4]!).Transposed);
        var geometry = (Conv2dGeometry)first.Args[4]!;
        Assert.Equal((batch / pack, (1 + classes) * pack, 28, 28), (geometry.N, geometry.CIn, geometry.H, geometry.W));
        var got = ((Tensor)first.Args[0]!).ToArray();

        var order = new int[count];
        EpochShuffle.Fill(order, config.Seed, RngStreams.Shuffle, 0);
        int width = dim + classes * plane;
        Assert.Equal(batch * width, got.Length);
        for (int r = 0; r < batch; r++)
        {
            int item = order[r];
            var row = got.AsSpan(r * width, width);
            for (int i = 0; i < dim; i++)
                Assert.True(Math.Abs(row[i] - Pixels.ToUnitReference(pixels[item * dim + i])) <= 1e-6, $"row {r} pixel {i}: {row[i]}");
            for (int k = 0; k < classes; k++)
                Assert.Equal(Enumerable.Repeat(labels[item] == k ? 1f : 0f, plane), row.Slice(dim + k * plane, plane).ToArray());
        }
    }

    /// <summary>The conditional grid: one class per row, the same 8 z on every row, G's rows differ by class only.</summary>
    [Fact]
    public void The_conditional_dcgan_grid_has_one_class_per_row()
    {
        using var t = DcganVariants.Trainer(fixture.Backend, DcganVariants.Config(true, 2, batch: 4, latent: 16));
        Assert.Equal(10 * t.GridColumnCount, t.GridCount);
        t.TrainStep();
        var grid = t.SampleFixedGrid();
        Assert.Equal(t.GridCount * 784, grid.Length);
        Assert.Equal(grid, t.SampleFixedGrid());
        Assert.NotEqual(grid.AsSpan(0, 784).ToArray(), grid.AsSpan(8 * 784, 784).ToArray());
    }
}

/// <summary>
/// A conditional, a packed, and a conditional packed DCGAN train the same on the managed cpu
/// backend and on ILGPU's simulator (which runs the CUDA/OpenCL kernels): losses and every weight
/// within the bounds <see cref="GoldenDcganTests"/> holds the DCGAN to (1e-4 norm-wise; BatchNorm
/// shifts, ill-conditioned on a tiny batch, 1e-2).
/// </summary>
public sealed class DcganVariantCrossBackendTests(CpuFixture cpu, SimulatorFixture sim) : IClassFixture<CpuFixture>, IClassFixture<SimulatorFixture>
{
    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    public void Two_steps_agree_between_cpu_and_ilgpu_cpu(bool conditional, int pack)
    {
        var config = DcganVariants.Config(conditional, pack, batch: 4, latent: 8) with { Classes = 3, Seed = 4 };
        using var a = DcganVariants.Trainer(cpu.Backend, config, count: 8);
        using var b = DcganVariants.Trainer(sim.Backend, config, count: 8);
        for (int step = 1; step <= 2; step++)
        {
            a.TrainStep();
            b.TrainStep();
            var (sa, sb) = (a.ReadStats(), b.ReadStats());
            foreach (var (what, x, y) in new[] { ("d_loss", sa.DLoss, sb.DLoss), ("g_loss", sa.GLoss, sb.GLoss), ("D(x)", sa.DReal, sb.DReal), ("D(G(z))", sa.DFake, sb.DFake) })
                Assert.True(Math.Abs(x - y) <= 1e-4 * Math.Abs(y) + 1e-6, $"step {step} {what}: cpu {x} vs ilgpu-cpu {y}");
        }
        foreach (var (net, ma, mb) in new[] { ("G", a.G, b.G), ("D", a.D, b.D) })
        {
            var wa = ma.StateDict().ToDictionary(t => t.Name);
            foreach (var t in mb.StateDict().Where(t => t.Floats is not null))
            {
                double err = GoldenPyTorchTests.RelativeError(wa[t.Name].Floats!, t.Floats!);
                Assert.True(err <= (t.Name.EndsWith(".bias") ? 1e-2 : 1e-4), $"{net} {t.Name}: relative difference {err:E2} after 2 steps");
            }
        }
        // And the same one-hot maps on both: the fixed grid (eval-mode G on the grid's classes) agrees.
        Assert.True(GoldenPyTorchTests.RelativeError(a.SampleFixedGrid(), b.SampleFixedGrid()) <= 1e-4);
    }
}
