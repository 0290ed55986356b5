using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// WGAN-GP's double backward (Engine/Gan/GradientPenalty.cs): against PyTorch autograd with
/// create_graph=True (Tests/Golden/make_golden_wgan_gp.py) within 1e-4 relative, and against
/// central finite differences of a float64 host implementation of the penalty.
/// </summary>
public abstract class GradientPenaltyTests(BackendFixture fixture)
{
    static string Golden(string file) => Path.Combine(AppContext.BaseDirectory, "Golden", file);

    static List<LayerSpec> Critic(int[] widths, Activation hidden = Activation.LeakyReLU)
    {
        var spec = new List<LayerSpec>();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            spec.Add(new LinearSpec(widths[i], widths[i + 1]));
            if (i + 2 < widths.Length) spec.Add(new ActivationSpec(hidden, hidden == Activation.LeakyReLU ? 0.2f : 0f));
        }
        return spec;
    }

    [Fact]
    public void Critic_gradient_matches_pytorch_autograd()
    {
        var b = fixture.Backend;
        var (t, _) = SafeTensors.Load(Golden("wgan_gp_critic.safetensors"));
        var real = t["real"]; var fake = t["fake"]; var eps = t["eps"].Floats!;
        int n = real.Shape[0], inF = real.Shape[1];
        using var critic = new Sequential(b, Critic([784, 64, 32, 16, 1]), inF, n, 0);
        critic.LoadStateDict(t.Where(kv => kv.Key.StartsWith("param.")).ToDictionary(kv => kv.Key[6..], kv => kv.Value), "fixture");
        using var gp = new GradientPenalty(b, critic, n, 10f);
        using var buf = b.Allocate<float>(2L * n * inF + n + 8);
        var all = Tensor.Whole(buf);
        Tensor realT = all.Slice(0, n * inF), fakeT = all.Slice(n * inF, n * inF), grad = all.Slice(2L * n * inF, n), stats = all.Slice(2L * n * inF + n, 8);
        realT.CopyFrom(real.Floats!); fakeT.CopyFrom(fake.Floats!);

        // The critic loss D(fake).mean() − D(real).mean(), then the penalty on top, as the trainer does.
        b.AdversarialLoss(critic.Forward(realT, n, true), LossKind.Linear, 1f, new(grad, 1f / n, stats, 0));
        critic.Backward(grad, paramGrads: true, accumulate: false, inputGrad: false);
        b.AdversarialLoss(critic.Forward(fakeT, n, true), LossKind.Linear, -1f, new(grad, 1f / n, stats, 2));
        critic.Backward(grad, paramGrads: true, accumulate: true, inputGrad: false);
        gp.Accumulate(realT, fakeT, eps, stats, 6);

        var s = stats.ToArray();
        Assert.True(Math.Abs(s[6] - t["penalty"].Floats![0]) <= 1e-4 * Math.Abs(t["penalty"].Floats![0]), $"penalty {s[6]} vs PyTorch {t["penalty"].Floats![0]}");
        Assert.True(Math.Abs(s[7] - t["mean_grad_norm"].Floats![0]) <= 1e-4 * t["mean_grad_norm"].Floats![0], $"mean ‖∇D‖ {s[7]} vs PyTorch {t["mean_grad_norm"].Floats![0]}");
        double criticLoss = s[0] + s[2];
        Assert.True(Math.Abs(criticLoss - t["critic_loss"].Floats![0]) <= 1e-4 * Math.Max(1, Math.Abs(t["critic_loss"].Floats![0])), $"critic loss {criticLoss} vs {t["critic_loss"].Floats![0]}");
        foreach (var slot in critic.ParameterSlots)
        {
            var want = t["grad." + slot.Name].Floats!;
            var got = slot.Grad.ToArray();
            double err = GoldenPyTorchTests.RelativeError(got, want);
            Assert.True(err <= 1e-4, $"∂loss/∂{slot.Name}: relative error {err:E2} against PyTorch");
        }
    }

    [Theory]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.ReLU)]
    public void Penalty_gradient_matches_finite_differences(Activation hidden)
    {
        var b = fixture.Backend;
        int[] widths = [7, 9, 6, 1];
        const int n = 5;
        var rng = new Random(3);
        using var critic = new Sequential(b, Critic(widths, hidden), widths[0], n, 11);
        // Larger weights than the default init, so gradient norms straddle 1.
        var p = critic.Parameters.ToArray().Select(v => v * 3f).ToArray();
        critic.Parameters.CopyFrom(p);
        var real = Enumerable.Range(0, n * widths[0]).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var fake = Enumerable.Range(0, n * widths[0]).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var eps = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();

        using var gp = new GradientPenalty(b, critic, n, 10f);
        using var buf = b.Allocate<float>(2L * n * widths[0] + 8);
        var all = Tensor.Whole(buf);
        Tensor realT = all.Slice(0, n * widths[0]), fakeT = all.Slice(n * widths[0], n * widths[0]), stats = all.Slice(2L * n * widths[0], 8);
        realT.CopyFrom(real); fakeT.CopyFrom(fake);
        b.Fill(critic.Gradients, 0f);
        gp.Accumulate(realT, fakeT, eps, stats, 0);
        var analytic = critic.Gradients.ToArray();
        var xhat = GradientPenaltyKernels.InterpolateReference(real, fake, eps, n, widths[0]);

        var reference = new HostCritic(widths, hidden == Activation.LeakyReLU ? 0.2 : 0.0, p.Select(v => (double)v).ToArray());
        Assert.True(Math.Abs(stats.ToArray()[0] - reference.Penalty(xhat, n, 10)) <= 1e-5 * Math.Max(1, reference.Penalty(xhat, n, 10)), "penalty value");
        const double h = 1e-6;
        for (int k = 0; k < p.Length; k++)
        {
            double Perturbed(double delta)
            {
                var q = p.Select(v => (double)v).ToArray();
                q[k] += delta;
                return new HostCritic(widths, reference.Slope, q).Penalty(xhat, n, 10);
            }
            double fd = (Perturbed(h) - Perturbed(-h)) / (2 * h);
            Assert.True(Math.Abs(analytic[k] - fd) <= 1e-4 + 1e-3 * Math.Abs(fd), $"parameter {k}: double backward {analytic[k]:G6}, finite difference {fd:G6}");
        }
    }

    [Fact]
    public void Refuses_batchnorm_and_smooth_activations_in_the_critic()
    {
        var b = fixture.Backend;
        using var withBn = new Sequential(b, [new LinearSpec(4, 3), ActivationSpec.LeakyReLU(0.2f), new BatchNorm1dSpec(3), new LinearSpec(3, 1)], 4, 2, 0);
        var e = Assert.Throws<GanException>(() => GradientPenalty.Check(withBn));
        Assert.Contains("BatchNorm", e.Message);
        using var tanh = new Sequential(b, Critic([4, 3, 1], Activation.Tanh), 4, 2, 0);
        Assert.Contains("piecewise linear", Assert.Throws<GanException>(() => GradientPenalty.Check(tanh)).Message);
    }

    /// <summary>A float64 MLP critic on the host: ‖∇ₓD‖ by an explicit backward, for finite differences.</summary>
    sealed class HostCritic(int[] widths, double slope, double[] flat)
    {
        public double Slope => slope;

        public double Penalty(double[] x, int n, double lambda)
        {
            double total = 0;
            for (int r = 0; r < n; r++)
            {
                var g = InputGradient(x.AsSpan(r * widths[0], widths[0]).ToArray());
                double norm = Math.Sqrt(g.Sum(v => v * v));
                total += (norm - 1) * (norm - 1);
            }
            return lambda * total / n;
        }

        double[] InputGradient(double[] x)
        {
            int layers = widths.Length - 1;
            var masks = new List<double[]>();
            var h = x;
            int at = 0;
            var weights = new List<(int Offset, int Out, int In)>();
            for (int l = 0; l < layers; l++)
            {
                int inF = widths[l], outF = widths[l + 1];
                weights.Add((at, outF, inF));
                var a = new double[outF];
                for (int o = 0; o < outF; o++)
                {
                    double s = flat[at + inF * outF + o];
                    for (int i = 0; i < inF; i++) s += flat[at + o * inF + i] * h[i];
                    a[o] = s;
                }
                at += inF * outF + outF;
                bool last = l == layers - 1;
                masks.Add(a.Select(v => last || v > 0 ? 1.0 : slope).ToArray());
                h = a.Select((v, o) => v * masks[l][o]).ToArray();
            }
            var delta = masks[layers - 1];
            for (int l = layers - 1; l >= 0; l--)
            {
                var (off, outF, inF) = weights[l];
                var prev = new double[inF];
                for (int i = 0; i < inF; i++)
                    for (int o = 0; o < outF; o++) prev[i] += delta[o] * flat[off + o * inF + i];
                delta = l > 0 ? prev.Select((v, i) => v * masks[l - 1][i]).ToArray() : prev;
            }
            return delta;
        }
    }
}

public sealed class SimulatorGradientPenaltyTests(SimulatorFixture f) : GradientPenaltyTests(f), IClassFixture<SimulatorFixture>;

public sealed class CpuGradientPenaltyTests(CpuFixture f) : GradientPenaltyTests(f), IClassFixture<CpuFixture>;

public sealed class CudaGradientPenaltyTests(CudaFixture f) : GradientPenaltyTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClGradientPenaltyTests(OpenClFixture f) : GradientPenaltyTests(f), IClassFixture<OpenClFixture>;
