using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Tests.Engine;

/// <summary>The trainer's variants on the managed CPU backend, with random images: what each flag must do to a step.</summary>
public sealed class VariantTrainerTests
{
    const int Images = 64;

    static byte[] Pixels()
    {
        var p = new byte[Images * 784];
        new Random(2).NextBytes(p);
        return p;
    }

    static byte[] Labels() => Enumerable.Range(0, Images).Select(i => (byte)(i % 10)).ToArray();

    [Fact]
    public void Wgan_clips_every_critic_weight_after_each_step()
    {
        using var b = new CpuBackend();
        var config = new GanConfig { Batch = 8, Loss = GanLoss.Wgan, Optimizer = OptimizerKind.Rmsprop, Lr = 5e-5, DSteps = 2, Clip = 0.01f };
        using var t = new GanTrainer(b, config, Pixels(), Images, 784);
        Assert.Contains(t.D.Parameters.ToArray(), v => Math.Abs(v) > 0.01f);   // PyTorch's init exceeds the clip
        for (int s = 0; s < 3; s++)
        {
            t.TrainStep();
            var p = t.D.Parameters.ToArray();
            Assert.All(p, v => Assert.InRange(v, -0.01f, 0.01f));
            Assert.Contains(p, v => Math.Abs(v) == 0.01f);
            Assert.True(float.IsFinite(t.ReadStats().DLoss));
        }
    }

    [Fact]
    public void D_steps_runs_that_many_critic_updates_per_generator_update()
    {
        using var b = new CpuBackend();
        using var t = new GanTrainer(b, new GanConfig { Batch = 8, DSteps = 5 }, Pixels(), Images, 784);
        for (int s = 0; s < 3; s++) t.TrainStep();
        Assert.Equal(3, t.Step);
        Assert.Equal(15, t.DUpdates);
        Assert.Equal(15, t.OptD.StepCount);
        Assert.Equal(3, t.OptG.StepCount);
        // Each D update took a fresh real batch: 15 batches of 8 from 8 batches per epoch.
        Assert.Equal((1, 7), (t.Epoch, t.BatchInEpoch));
    }

    [Theory]
    [InlineData(GanLoss.Bce)]
    [InlineData(GanLoss.Wgan)]
    [InlineData(GanLoss.WganGp)]
    [InlineData(GanLoss.Lsgan)]
    [InlineData(GanLoss.Hinge)]
    public void Every_loss_trains_and_moves_both_networks(GanLoss loss)
    {
        using var b = new CpuBackend();
        var d = GanLosses.Defaults(loss);
        var config = new GanConfig { Batch = 8, Loss = loss, Optimizer = d.Optimizer, Lr = d.Lr, Beta1 = d.Beta1, Beta2 = d.Beta2, DSteps = d.DSteps };
        using var t = new GanTrainer(b, config, Pixels(), Images, 784);
        var g0 = t.G.Parameters.ToArray();
        var d0 = t.D.Parameters.ToArray();
        t.TrainStep();
        var stats = t.ReadStats();
        Assert.True(float.IsFinite(stats.DLoss) && float.IsFinite(stats.GLoss), $"{loss}: {stats}");
        Assert.NotEqual(g0, t.G.Parameters.ToArray());
        Assert.NotEqual(d0, t.D.Parameters.ToArray());
        if (loss == GanLoss.WganGp) Assert.True(stats.Penalty > 0, "the penalty is part of the D loss");
        else Assert.Equal(0f, stats.Penalty);
    }

    [Fact]
    public void Label_smoothing_changes_only_the_targets_of_the_d_loss()
    {
        using var b = new CpuBackend();
        using var plain = new GanTrainer(b, new GanConfig { Batch = 8 }, Pixels(), Images, 784);
        using var smooth = new GanTrainer(b, new GanConfig { Batch = 8, RealLabel = 0.9f, FakeLabel = 0.1f }, Pixels(), Images, 784);
        plain.TrainStep();
        smooth.TrainStep();
        var a = plain.ReadStats(); var s = smooth.ReadStats();
        // Same weights and batch: D's outputs before its update agree, its loss does not.
        Assert.Equal(a.DReal, s.DReal, 6);
        Assert.Equal(a.DFake, s.DFake, 6);
        Assert.NotEqual(a.DLoss, s.DLoss);
    }

    [Fact]
    public void Conditional_grid_has_one_class_per_row_over_the_same_eight_z()
    {
        using var b = new CpuBackend();
        using var t = new GanTrainer(b, new GanConfig { Batch = 8, Conditional = true }, Pixels(), Images, 784, Labels());
        Assert.Equal(10 * 8, t.GridCount);
        Assert.Equal(64 + 10, t.G.InFeatures);
        Assert.Equal(784 + 10, t.D.InFeatures);
        t.TrainStep();
        var grid = t.SampleFixedGrid();
        Assert.Equal(80 * 784, grid.Length);
        // Rows differ only by class: a class's column c equals what Sample gives for that class and
        // the same z would; here it is enough that rows differ and that the grid is deterministic.
        Assert.NotEqual(grid.AsSpan(0, 784).ToArray(), grid.AsSpan(8 * 784, 784).ToArray());
        Assert.Equal(grid, t.SampleFixedGrid());
        var three = t.Sample(5, 1, fixedClass: 3);
        Assert.Equal(5 * 784, three.Length);
        Assert.NotEqual(three, t.Sample(5, 1, fixedClass: 4));
    }

    /// <summary>Conditional and packed together: D's row is pack samples, each image then its class block.</summary>
    [Fact]
    public void Conditional_packed_mlp_sees_pack_labelled_samples_per_row()
    {
        using var b = new CpuBackend();
        using var t = new GanTrainer(b, new GanConfig { Batch = 8, Conditional = true, Pack = 2 }, Pixels(), Images, 784, Labels());
        Assert.Equal(2 * (784 + 10), t.D.InFeatures);
        Assert.Equal(64 + 10, t.G.InFeatures);
        var d0 = t.D.Parameters.ToArray();
        t.TrainStep();
        Assert.True(float.IsFinite(t.ReadStats().DLoss));
        Assert.NotEqual(d0, t.D.Parameters.ToArray());
    }

    [Fact]
    public void Conditional_needs_labels_and_an_image_dataset()
    {
        using var b = new CpuBackend();
        Assert.Throws<GanException>(() => new GanTrainer(b, new GanConfig { Batch = 8, Conditional = true }, Pixels(), Images, 784));
        var e = Assert.Throws<GanConfigException>(() => new GanTrainer(b, new GanConfig { Batch = 8, Conditional = true, Dataset = "ring8", Generator = GeneratorKind.Mlp2d, Latent = 2 }, null, 0, 2));
        Assert.Equal(nameof(GanConfig.Conditional), e.Setting);
    }
}
