using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Three full GAN steps against real PyTorch (Tests/Golden/make_golden.py, torch 1.13): same
/// initial weights, real batches and noise at batch 8; after each step the losses, and after the
/// third every weight and BatchNorm statistic, must agree within 1e-4 relative (see RelativeError).
/// </summary>
public abstract class GoldenPyTorchTests(BackendFixture fixture)
{
    internal static string Golden(string file) => Path.Combine(AppContext.BaseDirectory, "Golden", file);

    /// <summary>The entries of one network ("G." or "D.") of a fixture that holds both, unprefixed.</summary>
    internal static Dictionary<string, NamedArray> Strip(Dictionary<string, NamedArray> all, string prefix) =>
        all.Where(kv => kv.Key.StartsWith(prefix)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value with { Name = kv.Key[prefix.Length..] });

    /// <summary>
    /// ‖a − b‖₂ / ‖b‖₂ over a tensor. Norm-wise, because Adam's first steps move a weight by about
    /// lr·g/|g| whatever |g| is: a gradient that is ~0 in torch and ~1e-9 in float32 with another
    /// summation order moves by up to lr, so a handful of elements out of 10⁵ legitimately differ
    /// by ~1e-4 of the tensor's scale in any two float32 implementations. Typical values here are
    /// ~1e-6; <see cref="MaxError"/> still bounds every element.
    /// </summary>
    internal static double RelativeError(float[] got, float[] want)
    {
        double num = 0, den = 1e-30;
        for (int i = 0; i < want.Length; i++)
        {
            double d = got[i] - (double)want[i];
            num += d * d;
            den += (double)want[i] * want[i];
        }
        return Math.Sqrt(num / den);
    }

    /// <summary>max|a − b| / max|b|: no single element may be far off.</summary>
    internal static double MaxError(float[] got, float[] want)
    {
        double err = 0, scale = 1e-12;
        for (int i = 0; i < want.Length; i++)
        {
            err = Math.Max(err, Math.Abs(got[i] - (double)want[i]));
            scale = Math.Max(scale, Math.Abs(want[i]));
        }
        return err / scale;
    }

    /// <summary>
    /// Runs a fixture's steps with its real batches (dim floats a sample) and noise (latent floats a
    /// sample); after each, the losses and D outputs must agree with PyTorch's within 1e-4 relative.
    /// </summary>
    internal static void ReplaySteps(GanTrainer trainer, Dictionary<string, NamedArray> data, int steps, int batch, int dim, int latent)
    {
        var real = data["real"].Floats!;
        var z = data["z"].Floats!;
        for (int s = 0; s < steps; s++)
        {
            trainer.TrainStep(real.AsSpan(s * batch * dim, batch * dim), z.AsSpan(s * batch * latent, batch * latent));
            var st = trainer.ReadStats();
            void Near(string what, float got, float want) =>
                Assert.True(Math.Abs(got - want) <= 1e-4 * Math.Abs(want), $"step {s + 1} {what}: {got} vs PyTorch {want}");
            Near("loss_d", st.DLoss, data["loss_d"].Floats![s]);
            Near("loss_g", st.GLoss, data["loss_g"].Floats![s]);
            Near("D(x)", st.DReal, data["d_x"].Floats![s]);
            Near("D(G(z)) before D step", st.DFake, data["d_g_z1"].Floats![s]);
            Near("D(G(z)) after D step", st.DFakeAfter, data["d_g_z2"].Floats![s]);
        }
    }

    /// <summary>
    /// The fixture's after-states (prefix_after_G/D) against the trainer's: the same keys and shapes,
    /// counters equal, every float tensor within tolerance(net, name) = (norm-wise, worst element)
    /// of <see cref="RelativeError"/> and <see cref="MaxError"/>. Fails once, listing every miss.
    /// </summary>
    internal static void AssertStatesMatch(GanTrainer trainer, string prefix, int steps, Func<string, string, (double Norm, double Element)> tolerance)
    {
        var failures = new List<string>();
        foreach (var (net, model) in new[] { ("G", trainer.G), ("D", trainer.D) })
        {
            var (want, _) = SafeTensors.Load(Golden($"{prefix}_after_{net}.safetensors"));
            var got = model.StateDict().ToDictionary(t => t.Name);
            Assert.Equal(want.Keys.Order(), got.Keys.Order());
            foreach (var (name, w) in want)
            {
                Assert.Equal(w.Shape, got[name].Shape);
                if (w.Longs is not null)
                {
                    Assert.Equal(w.Longs, got[name].Longs);
                    continue;
                }
                double err = RelativeError(got[name].Floats!, w.Floats!), worst = MaxError(got[name].Floats!, w.Floats!);
                var (normTol, elementTol) = tolerance(net, name);
                if (err > normTol || worst > elementTol)
                    failures.Add($"{net} {name}: relative {err:E2}, worst element {worst:E2} (bounds {normTol:E0}, {elementTol:E0})");
            }
        }
        Assert.True(failures.Count == 0, $"after {steps} steps: " + string.Join("; ", failures));
    }

    [Fact]
    public void Three_gan_steps_match_pytorch()
    {
        var backend = fixture.Backend;
        var (init, _) = SafeTensors.Load(Golden("seed_init.safetensors"));
        var (data, meta) = SafeTensors.Load(Golden("seed_data.safetensors"));
        int batch = int.Parse(meta["batch"]), steps = int.Parse(meta["steps"]);
        var config = new GanConfig { Batch = batch, Latent = 64, Lr = 2e-4, Beta1 = 0.5, Beta2 = 0.999 };
        using var trainer = new GanTrainer(backend, config, new byte[batch * 784], batch, 784);
        trainer.G.LoadStateDict(Strip(init, "G."), "seed_init G");
        trainer.D.LoadStateDict(Strip(init, "D."), "seed_init D");

        ReplaySteps(trainer, data, steps, batch, 784, 64);
        AssertStatesMatch(trainer, "seed", steps, (_, _) => (1e-4, 1e-3));
    }
}

public sealed class SimulatorGoldenPyTorchTests(SimulatorFixture f) : GoldenPyTorchTests(f), IClassFixture<SimulatorFixture>;

public sealed class CudaGoldenPyTorchTests(CudaFixture f) : GoldenPyTorchTests(f), IClassFixture<CudaFixture>;

public sealed class CpuGoldenPyTorchTests(CpuFixture f) : GoldenPyTorchTests(f), IClassFixture<CpuFixture>;

public sealed class OpenClGoldenPyTorchTests(OpenClFixture f) : GoldenPyTorchTests(f), IClassFixture<OpenClFixture>;
