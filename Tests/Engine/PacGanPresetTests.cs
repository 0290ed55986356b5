using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// The PacGAN preset as the trainer builds it: the protocol's models (state_dict names and shapes as
/// torch would write them), its init, its BatchNorm momentum, its fixed training set and epochs, and
/// a step that allocates nothing.
/// </summary>
public sealed class PacGanPresetTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    IBackend B => fixture.Backend;

    /// <summary>The preset with a small training set (the 100,000 samples only cost start-up time).</summary>
    static GanConfig Config(int pack = 1, int trainingSet = 300) => PacGanPreset.Config("ring8", pack) with { TrainingSet = trainingSet };

    static Dictionary<string, int[]> Shapes(Sequential model) => model.StateDict().ToDictionary(t => t.Name, t => t.Shape);

    [Fact]
    public void Models_are_the_protocols_with_torch_state_dict_names()
    {
        using var trainer = new GanTrainer(B, Config(pack: 2), null, 0, 2);
        var g = new Dictionary<string, int[]> { ["0.weight"] = [400, 2], ["12.weight"] = [2, 400], ["12.bias"] = [2] };
        foreach (int bn in new[] { 1, 4, 7, 10 })
        {
            foreach (var s in new[] { "weight", "bias", "running_mean", "running_var" }) g[$"{bn}.{s}"] = [400];
            g[$"{bn}.num_batches_tracked"] = [];
        }
        foreach (int linear in new[] { 3, 6, 9 }) g[$"{linear}.weight"] = [400, 400];   // no biases before BatchNorm
        Assert.Equal(g.OrderBy(kv => kv.Key).Select(kv => (kv.Key, string.Join(",", kv.Value))),
            Shapes(trainer.G).OrderBy(kv => kv.Key).Select(kv => (kv.Key, string.Join(",", kv.Value))));
        var d = new Dictionary<string, int[]>
        {
            ["0.weight"] = [1000, 4], ["0.bias"] = [1000],   // packing 2: 2·2 inputs; 200 units × 5 pieces
            ["1.weight"] = [1000, 200], ["1.bias"] = [1000],
            ["2.weight"] = [1000, 200], ["2.bias"] = [1000],
            ["3.weight"] = [1, 200], ["3.bias"] = [1],
        };
        Assert.Equal(d.OrderBy(kv => kv.Key).Select(kv => (kv.Key, string.Join(",", kv.Value))),
            Shapes(trainer.D).OrderBy(kv => kv.Key).Select(kv => (kv.Key, string.Join(",", kv.Value))));
        Assert.Equal([200, 100], new[] { trainer.Config.Batch, trainer.Config.Batch / trainer.Config.Pack });
    }

    [Fact]
    public void Init_is_normal_with_std_0_02_and_zero_biases()
    {
        using var trainer = new GanTrainer(B, Config(), null, 0, 2);
        foreach (var model in new[] { trainer.G, trainer.D })
            foreach (var t in model.StateDict())
            {
                if (t.Floats is not { } v) continue;
                bool bn = model.Layers.Any(l => l is BatchNorm1d && t.Name.StartsWith($"{l.Index}.", StringComparison.Ordinal));
                if (bn)
                {
                    float want = t.Name.EndsWith(".weight") || t.Name.EndsWith(".running_var") ? 1f : 0f;
                    Assert.All(v, x => Assert.Equal(want, x));
                }
                else if (t.Name.EndsWith(".bias")) Assert.All(v, x => Assert.Equal(0f, x));
                else if (v.Length >= 10_000)
                {
                    double mean = v.Average(x => (double)x), std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
                    Assert.True(Math.Abs(mean) < 5e-4 && Math.Abs(std - 0.02) < 0.001, $"{t.Name}: mean {mean:G3}, std {std:G3}");
                }
            }
    }

    [Fact]
    public void BatchNorm_running_statistics_move_with_momentum_0_05()
    {
        using var trainer = new GanTrainer(B, Config(), null, 0, 2);
        int n = 100;
        var z = new float[n * 2];
        var rng = new Random(4);
        for (int i = 0; i < z.Length; i++) z[i] = (float)(rng.NextDouble() * 2 - 1);
        using var zBuf = B.Allocate<float>(z.Length);
        var zt = Tensor.Whole(zBuf);
        zt.CopyFrom(z);
        trainer.G.Forward(zt, n, training: true);
        var h = trainer.G.LayerOutput(0).ToArray();   // the bias-free Linear's output, BatchNorm 1's input
        var bn = trainer.G.StateDict().ToDictionary(t => t.Name);
        for (int c = 0; c < 400; c += 37)
        {
            double mean = 0, sq = 0;
            for (int r = 0; r < n; r++) mean += h[r * 400 + c];
            mean /= n;
            for (int r = 0; r < n; r++) sq += (h[r * 400 + c] - mean) * (h[r * 400 + c] - mean);
            Assert.Equal(0.05 * mean, bn["1.running_mean"].Floats![c], 1e-6);
            Assert.Equal(0.95 + 0.05 * sq / (n - 1), bn["1.running_var"].Floats![c], 1e-5);   // torch: the unbiased variance
        }
    }

    [Fact]
    public void With_packing_each_slot_is_normalised_apart_and_the_running_statistics_move_by_their_mean()
    {
        const int pack = 2, n = 200;
        var config = Config(pack);
        Assert.Equal(PackBatchNorm.PerSlot, config.GBatchNorm);
        using var trainer = new GanTrainer(B, config, null, 0, 2);
        var z = new float[n * 2];
        var rng = new Random(5);
        for (int i = 0; i < z.Length; i++) z[i] = (float)(rng.NextDouble() * 2 - 1) + (i / 2 % pack);   // slot 1's z shifted by 1
        using var zBuf = B.Allocate<float>(z.Length);
        var zt = Tensor.Whole(zBuf);
        zt.CopyFrom(z);
        trainer.G.Forward(zt, n, training: true);
        var h = trainer.G.LayerOutput(0).ToArray();
        var y = trainer.G.LayerOutput(1).ToArray();   // BatchNorm 1's output (γ 1, β 0): zero mean per slot
        var bn = trainer.G.StateDict().ToDictionary(t => t.Name);
        for (int c = 0; c < 400; c += 37)
        {
            double meanOfMeans = 0, meanOfVars = 0;
            for (int g = 0; g < pack; g++)
            {
                double mean = 0, sq = 0, outMean = 0;
                for (int r = g; r < n; r += pack) { mean += h[r * 400 + c]; outMean += y[r * 400 + c]; }
                mean /= n / pack;
                for (int r = g; r < n; r += pack) sq += (h[r * 400 + c] - mean) * (h[r * 400 + c] - mean);
                Assert.Equal(0, outMean / (n / pack), 4);
                meanOfMeans += mean / pack;
                meanOfVars += sq / (n / pack - 1) / pack;
            }
            Assert.Equal(0.05 * meanOfMeans, bn["1.running_mean"].Floats![c], 1e-6);
            Assert.Equal(0.95 + 0.05 * meanOfVars, bn["1.running_var"].Floats![c], 1e-5);
        }
        Assert.Equal(1, bn["1.num_batches_tracked"].Longs![0]);
    }

    [Fact]
    public void The_fixed_training_set_is_walked_in_epochs()
    {
        using var trainer = new GanTrainer(B, Config(trainingSet: 300), null, 0, 2);
        Assert.Equal(3, trainer.BatchesPerEpoch);
        for (int i = 0; i < 4; i++) trainer.TrainStep();
        Assert.Equal((1, 1), (trainer.Epoch, trainer.BatchInEpoch));
    }

    [Fact]
    public void A_step_allocates_no_device_memory()
    {
        var (backend, counter) = CountingBackend.Wrap(B);
        using var trainer = new GanTrainer(backend, Config(pack: 2, trainingSet: 400), null, 0, 2);
        int afterBuild = counter.Allocations;
        for (int i = 0; i < 5; i++) trainer.TrainStep();   // crosses an epoch boundary (2 batches of 200)
        trainer.ReadStats();
        trainer.SampleFixedGrid();
        Assert.Equal(afterBuild, counter.Allocations);
        Assert.True(trainer.Epoch >= 2);
    }

    [Fact]
    public void Config_rules_name_the_setting()
    {
        Assert.Equal("Preset", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { Dataset = "mnist", Generator = GeneratorKind.Mlp }).Validate()).Setting);
        Assert.Equal("TrainingSet", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { TrainingSet = 50 }).Validate()).Setting);
        Assert.Equal("InitStd", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { InitStd = 0 }).Validate()).Setting);
        Assert.Equal("BnMomentum", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { BnMomentum = 1.5 }).Validate()).Setting);
        Assert.Equal("DSteps", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { DSteps = 2 }).Validate()).Setting);
        Assert.Equal("FreshGeneratorZ", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { FreshGeneratorZ = true }).Validate()).Setting);
        Assert.Equal("GBatchNorm", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8") with { GBatchNorm = PackBatchNorm.PerSlot }).Validate()).Setting);
        Assert.Equal("Batch", Assert.Throws<GanConfigException>(() => (PacGanPreset.Config("ring8", pack: 2) with { Batch = 2 }).Validate()).Setting);
        Assert.Equal(PackBatchNorm.Joint, PacGanPreset.Config("ring8").GBatchNorm);
        // A config.json written before the setting existed reads as joint, as those runs trained.
        Assert.Equal(PackBatchNorm.Joint, System.Text.Json.JsonSerializer.Deserialize<GanConfig>("""{"dataset": "ring8", "pack": 2}""", GanConfig.Json)!.GBatchNorm);
        (PacGanPreset.Config("ring8") with { DSteps = 2, Updates = GanUpdates.Alternating }).Validate();
        PacGanPreset.Config("grid25", pack: 4).Validate();
    }
}
