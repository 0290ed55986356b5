using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// The PacGAN preset's steps (maxout D, G without biases before BatchNorm, G's fresh z, the fixed
/// training set) agree between the managed CPU backend and ILGPU's simulator, as
/// <see cref="CrossBackendTests"/> checks for the seed GAN; a small batch keeps the simulator quick.
/// Losses within 1e-4 relative; weights norm-wise within 1e-4 (an argmax that flips on a near-tie
/// between backends would show here as a larger difference).
/// </summary>
public sealed class PacGanCrossBackendTests(CpuFixture cpu, SimulatorFixture sim) : IClassFixture<CpuFixture>, IClassFixture<SimulatorFixture>
{
    [Fact]
    public void Five_steps_agree_between_cpu_and_ilgpu_cpu()
    {
        var config = PacGanPreset.Config("ring8", pack: 2, seed: 5) with { Batch = 8, TrainingSet = 32 };
        using var a = new GanTrainer(cpu.Backend, config, null, 0, 2);
        using var b = new GanTrainer(sim.Backend, config, null, 0, 2);
        for (int step = 1; step <= 5; step++)
        {
            a.TrainStep();
            b.TrainStep();
            var (sa, sb) = (a.ReadStats(), b.ReadStats());
            foreach (var (what, x, y) in new[] { ("d_loss", sa.DLoss, sb.DLoss), ("g_loss", sa.GLoss, sb.GLoss), ("D(x)", sa.DReal, sb.DReal) })
                Assert.True(Math.Abs(x - y) <= 1e-4 * Math.Abs(y), $"step {step} {what}: cpu {x} vs ilgpu-cpu {y}");
        }
        foreach (var (net, ma, mb) in new[] { ("G", a.G, b.G), ("D", a.D, b.D) })
        {
            var wa = ma.StateDict().ToDictionary(t => t.Name);
            foreach (var t in mb.StateDict().Where(t => t.Floats is not null))
            {
                double err = GoldenPyTorchTests.RelativeError(wa[t.Name].Floats!, t.Floats!);
                Assert.True(err <= 1e-4, $"{net} {t.Name}: relative difference {err:E2} after 5 steps");
            }
        }
    }
}
