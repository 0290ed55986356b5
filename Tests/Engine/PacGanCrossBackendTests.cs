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
        CrossBackendTests.AssertStepsAgree(a, b, 5);
    }
}
