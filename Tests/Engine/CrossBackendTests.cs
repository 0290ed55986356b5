using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Ten training steps from the same seed (so the same initial weights, data order and noise) on
/// the managed CPU backend and on ILGPU's simulator agree within 1e-4 relative on the losses and
/// on every weight tensor (norm-wise, as in the PyTorch golden test).
/// </summary>
public sealed class CrossBackendTests(CpuFixture cpu, SimulatorFixture sim) : IClassFixture<CpuFixture>, IClassFixture<SimulatorFixture>
{
    [Fact]
    public void Ten_steps_agree_between_cpu_and_ilgpu_cpu()
    {
        var pixels = new byte[128 * 784];
        new Random(4).NextBytes(pixels);
        var config = new GanConfig { Batch = 32, Seed = 21 };
        using var a = new GanTrainer(cpu.Backend, config, pixels, 128, 784);
        using var b = new GanTrainer(sim.Backend, config, pixels, 128, 784);
        AssertStepsAgree(a, b, 10);
    }

    /// <summary>Steps both trainers; losses within 1e-4 relative each step, every weight tensor norm-wise after the last.</summary>
    internal static void AssertStepsAgree(GanTrainer a, GanTrainer b, int steps)
    {
        for (int step = 1; step <= steps; step++)
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
                Assert.True(err <= 1e-4, $"{net} {t.Name}: relative difference {err:E2} after {steps} steps");
            }
        }
    }
}
