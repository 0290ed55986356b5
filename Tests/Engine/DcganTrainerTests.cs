using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>The DCGAN through the trainer on the cpu backend: memory, the joint-D rule, the checkpoint's torch names and shapes.</summary>
public sealed class DcganTrainerTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    static GanTrainer Trainer(IBackend b, int batch = 4, int count = 16, GanLoss loss = GanLoss.Bce, bool conditional = false, int pack = 1)
    {
        var pixels = new byte[count * 784];
        new Random(3).NextBytes(pixels);
        var d = GanLosses.Defaults(loss);
        var config = new GanConfig
        {
            Model = ModelKind.Dcgan, Batch = batch, Latent = 100, Loss = loss, Conditional = conditional, Pack = pack,
            Optimizer = d.Optimizer, Lr = d.Lr, Beta1 = d.Beta1, Beta2 = d.Beta2, DSteps = d.DSteps,
        };
        return new GanTrainer(b, config, pixels, count, 784, conditional ? DcganVariants.Labels(count, 10) : null);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    public void A_dcgan_step_allocates_nothing_and_makes_no_new_conv_plan(bool conditional, int pack)
    {
        var cpu = (CpuBackend)fixture.Backend;
        var (backend, counter) = CountingBackend.Wrap(cpu);
        using var trainer = Trainer(backend, conditional: conditional, pack: pack);
        int afterBuild = counter.Allocations, plans = cpu.ConvPlans.Count;
        Assert.True(plans >= 6, $"the build should prepare every conv layer's plan, found {plans}");
        for (int i = 0; i < 5; i++) trainer.TrainStep();   // crosses an epoch boundary
        trainer.ReadStats();
        trainer.SampleFixedGrid();
        if (conditional) trainer.Sample(4, seed: 1, fixedClass: 2);   // uploads its classes into buffers made at build time
        Assert.Equal(afterBuild, counter.Allocations);
        Assert.Equal(plans, cpu.ConvPlans.Count);
        Assert.All(trainer.ReadStats() is var s ? new[] { s.DLoss, s.GLoss, s.DReal, s.DFake } : [], v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// A checkpoint of a dcgan run, read back with the safetensors rules: exactly torch's
    /// nn.Sequential state_dict keys and shapes (those of Tests/Golden/make_golden_dcgan.py's models),
    /// and the metadata the sampler rebuilds G from.
    /// </summary>
    [Fact]
    public void A_dcgan_checkpoint_has_torch_keys_and_shapes()
    {
        using var trainer = Trainer(fixture.Backend);
        trainer.TrainStep();
        string dir = Path.Combine(Path.GetTempPath(), $"dcgan-ckpt-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Checkpoint.Save(trainer, dir);
            var folder = new RunFolder(dir);
            var (g, gMeta) = SafeTensors.Parse(File.ReadAllBytes(RunFolder.ResolveGenerator(dir)), "G");
            var (d, _) = SafeTensors.Load(Path.Combine(folder.Checkpoint, RunFolder.DiscriminatorFileName));
            var wantG = new Dictionary<string, int[]>
            {
                ["0.weight"] = [100, 128, 7, 7],
                ["1.weight"] = [128], ["1.bias"] = [128], ["1.running_mean"] = [128], ["1.running_var"] = [128], ["1.num_batches_tracked"] = [],
                ["3.weight"] = [128, 64, 4, 4],
                ["4.weight"] = [64], ["4.bias"] = [64], ["4.running_mean"] = [64], ["4.running_var"] = [64], ["4.num_batches_tracked"] = [],
                ["6.weight"] = [64, 1, 4, 4],
            };
            var wantD = new Dictionary<string, int[]>
            {
                ["0.weight"] = [64, 1, 4, 4],
                ["2.weight"] = [128, 64, 4, 4],
                ["3.weight"] = [128], ["3.bias"] = [128], ["3.running_mean"] = [128], ["3.running_var"] = [128], ["3.num_batches_tracked"] = [],
                ["5.weight"] = [1, 128, 7, 7],
            };
            foreach (var (got, want) in new[] { (g, wantG), (d, wantD) })
            {
                Assert.Equal(want.Keys.Order(), got.Keys.Order());
                foreach (var (name, shape) in want) Assert.Equal(shape, got[name].Shape);
            }
            Assert.Equal(1L, g["1.num_batches_tracked"].Longs![0]);   // G runs forward once a step (the G step reuses the D step's fake)
            Assert.Equal("dcgan", gMeta["model"]);
            Assert.Equal("28", gMeta["image_size"]);
            Assert.Equal("1", gMeta["channels"]);
            Assert.Equal("100", gMeta["latent"]);

            using var sampler = new Sampler(fixture.Backend, RunFolder.ResolveGenerator(dir));
            Assert.Equal(ModelKind.Dcgan, sampler.Model);
            var images = sampler.Sample(3, seed: 1);
            Assert.Equal(3 * 784, images.Length);
            Assert.All(images, v => Assert.InRange(v, -1f, 1f));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// --loss wgan-gp: the critic is the DCGAN D without BatchNorm (torch's indices 0, 2, 4 of an
    /// nn.Sequential written without it), so it runs real and fake as one batch; steps of 5 critic
    /// updates with the penalty stay finite, allocate nothing and make no conv plan.
    /// </summary>
    [Fact]
    public void A_wgan_gp_dcgan_critic_has_no_batchnorm_and_trains_finite()
    {
        var cpu = (CpuBackend)fixture.Backend;
        var (backend, counter) = CountingBackend.Wrap(cpu);
        using var trainer = Trainer(backend, batch: 4, count: 32, loss: GanLoss.WganGp);
        Assert.DoesNotContain(trainer.D.Layers, l => l is BatchNorm2d);
        Assert.Equal(8, trainer.D.MaxBatch);   // the joint pass: real and fake rows together
        int afterBuild = counter.Allocations, plans = cpu.ConvPlans.Count;
        var d0 = trainer.D.Parameters.ToArray();
        for (int i = 0; i < 3; i++)
        {
            trainer.TrainStep();
            var s = trainer.ReadStats();
            Assert.All(new[] { s.DLoss, s.GLoss, s.DReal, s.DFake, s.DFakeAfter, s.Penalty }, v => Assert.True(float.IsFinite(v), $"step {i}: {s}"));
            Assert.True(s.Penalty > 0, $"step {i}: the penalty is part of the D loss ({s})");
        }
        trainer.RequireFinite();
        Assert.Equal(afterBuild, counter.Allocations);
        Assert.Equal(plans, cpu.ConvPlans.Count);
        Assert.NotEqual(d0, trainer.D.Parameters.ToArray());

        string dir = Path.Combine(Path.GetTempPath(), $"dcgan-gp-ckpt-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Checkpoint.Save(trainer, dir);
            var (d, _) = SafeTensors.Load(Path.Combine(new RunFolder(dir).Checkpoint, RunFolder.DiscriminatorFileName));
            var want = new Dictionary<string, int[]> { ["0.weight"] = [64, 1, 4, 4], ["2.weight"] = [128, 64, 4, 4], ["4.weight"] = [1, 128, 7, 7] };
            Assert.Equal(want.Keys.Order(), d.Keys.Order());
            foreach (var (name, shape) in want) Assert.Equal(shape, d[name].Shape);
            Assert.All(d.Values, t => Assert.All(t.Floats!, v => Assert.True(float.IsFinite(v))));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Dcgan_d_with_batchnorm_sees_real_and_fake_apart()
    {
        using var trainer = Trainer(fixture.Backend, batch: 4);
        Assert.Equal(4, trainer.D.MaxBatch);   // a joint pass would need 2·batch rows
    }

    /// <summary>pytorch/examples dcgan's init: conv weights N(0, 0.02), BatchNorm γ N(1, 0.02), β 0, running statistics (0, 1).</summary>
    [Fact]
    public void Dcgan_init_is_pytorch_examples()
    {
        using var g = new Sequential(fixture.Backend, DcganPresets.Generator(100, 28, 1), 100, 2, initSeed: 11);
        var state = g.StateDict().ToDictionary(t => t.Name);
        void Normal(string name, double mean, double std)
        {
            var v = state[name].Floats!;
            double m = v.Average(x => (double)x), sd = Math.Sqrt(v.Average(x => ((double)x - m) * ((double)x - m)));
            Assert.InRange(m, mean - 4 * std / Math.Sqrt(v.Length), mean + 4 * std / Math.Sqrt(v.Length));
            double sdTol = 4 / Math.Sqrt(2.0 * v.Length);   // 4 standard errors of a sample σ
            Assert.InRange(sd / std, 1 - sdTol, 1 + sdTol);
            if (v.Length < 10_000) return;
            // A normal, not a uniform: about 4.6 % of draws lie beyond 2σ (a uniform of that σ has none).
            double beyond = v.Count(x => Math.Abs(x - mean) > 2 * std) / (double)v.Length;
            Assert.InRange(beyond, 0.04, 0.051);
        }
        Normal("0.weight", 0, 0.02);
        Normal("3.weight", 0, 0.02);
        Normal("1.weight", 1, 0.02);
        Assert.All(state["1.bias"].Floats!, x => Assert.Equal(0f, x));
        Assert.All(state["4.running_mean"].Floats!, x => Assert.Equal(0f, x));
        Assert.All(state["4.running_var"].Floats!, x => Assert.Equal(1f, x));
    }

    [Fact]
    public void A_config_json_without_a_model_reads_as_the_mlp()
    {
        var config = System.Text.Json.JsonSerializer.Deserialize<GanConfig>("""{ "dataset": "mnist", "batch": 8 }""", GanConfig.Json)!;
        Assert.Equal((ModelKind.Mlp, 28, 1), (config.Model, config.ImageSize, config.Channels));
        var dcgan = System.Text.Json.JsonSerializer.Deserialize<GanConfig>("""{ "model": "dcgan", "image_size": 64, "channels": 3 }""", GanConfig.Json)!;
        Assert.Equal((ModelKind.Dcgan, 64, 3), (dcgan.Model, dcgan.ImageSize, dcgan.Channels));
        Assert.Contains("\"model\": \"dcgan\"", System.Text.Json.JsonSerializer.Serialize(dcgan, GanConfig.Json));
    }
}

/// <summary>The same no-allocation rule on an ILGPU backend (the simulator): conv plans and their device workspaces are made at build time.</summary>
public sealed class SimulatorDcganMemoryTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    [Theory]
    [InlineData(GanLoss.Bce)]
    [InlineData(GanLoss.WganGp)]   // the penalty's conv passes too
    public void A_dcgan_step_allocates_no_device_memory_and_makes_no_new_conv_plan(GanLoss loss) =>
        StepsAllocateNothing(new GanConfig { Model = ModelKind.Dcgan, Batch = 2, Latent = 100, Loss = loss }, null);

    /// <summary>Two steps after the build: no device allocation and no new conv plan.</summary>
    void StepsAllocateNothing(GanConfig config, byte[]? labels)
    {
        var ilgpu = (IlgpuBackend)fixture.Backend;
        var (backend, counter) = CountingBackend.Wrap(ilgpu);
        var pixels = new byte[8 * 784];
        new Random(4).NextBytes(pixels);
        using var trainer = new GanTrainer(backend, config, pixels, 8, 784, labels);
        int afterBuild = counter.Allocations, plans = ilgpu.ConvPlans.Count;
        trainer.TrainStep();
        trainer.TrainStep();
        trainer.ReadStats();
        Assert.Equal(afterBuild, counter.Allocations);
        Assert.Equal(plans, ilgpu.ConvPlans.Count);
    }

    /// <summary>The conditional path's one-hot maps and the packed D batch, on the device: built once too.</summary>
    [Fact]
    public void A_conditional_packed_dcgan_step_allocates_no_device_memory() =>
        StepsAllocateNothing(new GanConfig { Model = ModelKind.Dcgan, Batch = 4, Latent = 8, Conditional = true, Classes = 3, Pack = 2 },
            DcganVariants.Labels(8, 3));
}
