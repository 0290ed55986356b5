using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// `--updates simultaneous` takes G's gradient through the D the step started with: after one step
/// G does not depend on D's learning rate at all (bit for bit), where an alternating step's G does,
/// and D's own weights update as in the alternating step. Every model family, on the cpu backend (the step
/// order is the trainer's, the same on every backend; the PacGAN golden checks the numbers on all).
/// </summary>
public sealed class SimultaneousUpdatesTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    public static TheoryData<string> Configs => ["bce", "wgan-gp", "conditional", "pack2", "dcgan-conditional-pack2", "pacgan"];

    static GanConfig Config(string name) => name switch
    {
        "bce" => new() { Batch = 4, Latent = 8 },
        "wgan-gp" => new() { Batch = 4, Latent = 8, Loss = GanLoss.WganGp, DSteps = 1 },
        "conditional" => new() { Batch = 4, Latent = 8, Conditional = true, Classes = 3 },
        "pack2" => new() { Batch = 4, Latent = 8, Pack = 2 },
        "dcgan-conditional-pack2" => new() { Model = ModelKind.Dcgan, Batch = 4, Latent = 8, Conditional = true, Classes = 3, Pack = 2 },
        "pacgan" => PacGanPreset.Config("ring8", pack: 2) with { Batch = 8, TrainingSet = 16 },
        _ => throw new ArgumentException(name),
    };

    (float[] G, float[] D) OneStep(GanConfig config)
    {
        const int images = 8;
        var pixels = new byte[images * 784];
        new Random(3).NextBytes(pixels);
        var classes = Enumerable.Range(0, images).Select(i => (byte)(i % 3)).ToArray();
        bool is2D = config.Preset == GanPreset.PacGan;
        using var trainer = is2D ? new GanTrainer(fixture.Backend, config, null, 0, 2)
            : new GanTrainer(fixture.Backend, config, pixels, images, 784, config.Conditional ? classes : null);
        trainer.TrainStep();
        // Weights only: a D with BatchNorm (the DCGAN's) moves its running statistics in G's forward
        // through it, which sees D's old weights in one order and its new ones in the other.
        static float[] Flat(Sequential m) => m.StateDict().Where(t => t.Floats is not null && !t.Name.Contains("running_"))
            .SelectMany(t => t.Floats!).ToArray();
        return (Flat(trainer.G), Flat(trainer.D));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void G_steps_through_the_d_the_step_started_with(string name)
    {
        var simultaneous = Config(name) with { Updates = GanUpdates.Simultaneous, FreshGeneratorZ = false };
        var alternating = simultaneous with { Updates = GanUpdates.Alternating };
        var (gSlow, dSlow) = OneStep(simultaneous with { DLr = 1e-6 });
        var (gFast, dFast) = OneStep(simultaneous with { DLr = 1e-1 });
        Assert.Equal(gSlow, gFast);
        Assert.NotEqual(dSlow, dFast);
        var (gAltSlow, dAltSlow) = OneStep(alternating with { DLr = 1e-6 });
        var (gAltFast, _) = OneStep(alternating with { DLr = 1e-1 });
        Assert.NotEqual(gAltSlow, gAltFast);
        Assert.Equal(dAltSlow, dSlow);
    }
}
