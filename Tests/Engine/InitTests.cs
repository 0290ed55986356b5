using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>PyTorch's default initialisation, and BatchNorm's starting state.</summary>
public sealed class InitTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public void Linear_is_uniform_within_one_over_sqrt_fan_in_and_batchnorm_starts_at_identity()
    {
        using var g = new Sequential(fixture.Backend, Presets.Generator(GeneratorKind.Mlp, 64), 64, 2, initSeed: 11);
        var state = g.StateDict().ToDictionary(t => t.Name);
        foreach (var (name, fanIn) in new[] { ("0.weight", 64), ("0.bias", 64), ("3.weight", 256), ("6.weight", 512), ("6.bias", 512) })
        {
            var v = state[name].Floats!;
            double bound = 1 / Math.Sqrt(fanIn);
            Assert.All(v, x => Assert.InRange(x, -bound, bound));
            // U(-b, b) has mean 0 and variance b²/3; a wrong bound or a normal draw is far off.
            double mean = v.Average(x => (double)x), variance = v.Average(x => (double)x * x) - mean * mean;
            Assert.InRange(mean, -0.1 * bound, 0.1 * bound);
            Assert.InRange(variance / (bound * bound / 3), 0.8, 1.2);
        }
        Assert.All(state["2.weight"].Floats!, x => Assert.Equal(1f, x));
        Assert.All(state["2.bias"].Floats!, x => Assert.Equal(0f, x));
        Assert.All(state["2.running_mean"].Floats!, x => Assert.Equal(0f, x));
        Assert.All(state["2.running_var"].Floats!, x => Assert.Equal(1f, x));
        Assert.Equal(0, state["2.num_batches_tracked"].Longs![0]);
    }

    [Fact]
    public void Different_seeds_give_different_weights_and_equal_seeds_equal_ones()
    {
        using var a = new Sequential(fixture.Backend, Presets.Discriminator(12), 12, 2, initSeed: 1);
        using var b = new Sequential(fixture.Backend, Presets.Discriminator(12), 12, 2, initSeed: 1);
        using var c = new Sequential(fixture.Backend, Presets.Discriminator(12), 12, 2, initSeed: 2);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.Parameters.ToArray(), c.Parameters.ToArray());
    }
}
