using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Three full DCGAN steps (28×28, batch 8) against real PyTorch (Tests/Golden/make_golden_dcgan.py,
/// torch 1.13): same initial weights, real batches and noise. After each step the losses and D
/// outputs agree within 1e-4 relative; after the third every weight and BatchNorm statistic
/// (running mean and variance, num_batches_tracked) is compared with the norm-wise and worst-element
/// rules of <see cref="GoldenPyTorchTests"/>, within 1e-4 where float32 allows it (<see cref="Tolerance"/>).
/// </summary>
public abstract class GoldenDcganTests(BackendFixture fixture)
{
    static string Golden(string file) => GoldenPyTorchTests.Golden(file);

    static Dictionary<string, NamedArray> Strip(Dictionary<string, NamedArray> all, string prefix) => GoldenPyTorchTests.Strip(all, prefix);

    /// <summary>
    /// (norm-wise, worst element) bounds per tensor: 1e-4 and 1e-3 as for the seed GAN, except the
    /// BatchNorm shifts β. Those are ill-conditioned on this fixture: their gradients are sums of
    /// nearly cancelling terms, so the summation order decides the last bits and Adam's first steps
    /// (g/|g|) magnify them. torch's own float32 run is 6e-3 (D 3.bias) and 1.6e-3 (G 1.bias) off its
    /// float64 run after 3 steps (make_golden_dcgan.py's models in float64, same init and data); the
    /// cpu backend lands 3e-7 from torch on D 3.bias and the simulator, summing in another order,
    /// 6e-3. Every other tensor holds 1e-4 (typically 1e-8 to 2e-5) now that Adam takes 1 − β in
    /// float64 as torch does; before that, G's conv weights needed 5e-4.
    /// </summary>
    static (double Norm, double Element) Tolerance(string net, string name) =>
        name.EndsWith(".bias") ? (1e-2, 5e-2)
        : (1e-4, 1e-3);

    [Fact]
    public void Three_dcgan_steps_match_pytorch()
    {
        var backend = fixture.Backend;
        var (init, _) = SafeTensors.Load(Golden("dcgan_init.safetensors"));
        var (data, meta) = SafeTensors.Load(Golden("dcgan_data.safetensors"));
        int batch = int.Parse(meta["batch"]), steps = int.Parse(meta["steps"]), nz = int.Parse(meta["nz"]);
        const int dim = 28 * 28;
        var config = new GanConfig { Model = ModelKind.Dcgan, Batch = batch, Latent = nz, Lr = 2e-4, Beta1 = 0.5, Beta2 = 0.999 };
        using var trainer = new GanTrainer(backend, config, new byte[batch * dim], batch, dim);
        trainer.G.LoadStateDict(Strip(init, "G."), "dcgan_init G");
        trainer.D.LoadStateDict(Strip(init, "D."), "dcgan_init D");

        GoldenPyTorchTests.ReplaySteps(trainer, data, steps, batch, dim, nz);

        GoldenPyTorchTests.AssertStatesMatch(trainer, "dcgan", steps, Tolerance);
    }
}

public sealed class CpuGoldenDcganTests(CpuFixture f) : GoldenDcganTests(f), IClassFixture<CpuFixture>;

public sealed class SimulatorGoldenDcganTests(SimulatorFixture f) : GoldenDcganTests(f), IClassFixture<SimulatorFixture>;

public sealed class CudaGoldenDcganTests(CudaFixture f) : GoldenDcganTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClGoldenDcganTests(OpenClFixture f) : GoldenDcganTests(f), IClassFixture<OpenClFixture>;
