using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// WGAN-GP's double backward through convolutional critics (Engine/Gan/GradientPenalty.cs): the
/// DCGAN's wgan-gp critic against PyTorch autograd with create_graph=True
/// (Tests/Golden/make_golden_wgan_gp_conv.py) within 1e-4 relative, and small critics mixing
/// strided, dilated, full-kernel and transposed convolutions, biases, Linear layers, stand-alone
/// activations and Flatten/Unflatten against central finite differences of a float64 host critic.
/// </summary>
public abstract class ConvGradientPenaltyTests(BackendFixture fixture)
{
    const float Lambda = 10f;

    [Fact]
    public void Dcgan_critic_penalty_gradient_matches_pytorch_autograd()
    {
        var b = fixture.Backend;
        var (t, _) = SafeTensors.Load(GoldenPyTorchTests.Golden("wgan_gp_conv_critic.safetensors"));
        var real = t["real"]; var fake = t["fake"]; var eps = t["eps"].Floats!;
        int n = real.Shape[0], inF = real.Shape[1] * real.Shape[2] * real.Shape[3];
        using var critic = new Sequential(b, DcganPresets.Discriminator(28, 1, batchNorm: false), inF, n, 0, (1, 28, 28));
        // Strict: exactly the script's nn.Sequential names and shapes (0, 2, 4: no BatchNorm in between).
        var parameters = GoldenPyTorchTests.Strip(t, "param.");
        Assert.Equal(parameters.Keys.Order(), critic.StateDict().Select(s => s.Name).Order());
        critic.LoadStateDict(parameters, "fixture");
        using var gp = new GradientPenalty(b, critic, n, Lambda);
        using var buf = b.Allocate<float>(2L * n * inF + 2);
        var all = Tensor.Whole(buf);
        Tensor realT = all.Slice(0, n * inF), fakeT = all.Slice(n * inF, n * inF), stats = all.Slice(2L * n * inF, 2);
        realT.CopyFrom(real.Floats!); fakeT.CopyFrom(fake.Floats!);

        b.Fill(critic.Gradients, 0f);
        gp.Accumulate(realT, fakeT, eps, stats, 0);

        var s = stats.ToArray();
        double penalty = t["penalty"].Floats![0], meanNorm = t["grad_norms"].Floats!.Average(v => (double)v);
        Assert.True(Math.Abs(s[0] - penalty) <= 1e-4 * penalty, $"penalty {s[0]} vs PyTorch {penalty}");
        Assert.True(Math.Abs(s[1] - meanNorm) <= 1e-4 * meanNorm, $"mean ‖∇D‖ {s[1]} vs PyTorch {meanNorm}");
        foreach (var slot in critic.ParameterSlots)
        {
            double err = GoldenPyTorchTests.RelativeError(slot.Grad.ToArray(), t["grad." + slot.Name].Floats!);
            Assert.True(err <= 1e-4, $"∂P/∂{slot.Name}: relative error {err:E2} against PyTorch");
        }
    }

    public static TheoryData<string> Critics => ["strided-dilated-linear", "full-kernel-conv", "linear-unflatten-transposed"];

    /// <summary>
    /// Small critics, the input image shape (null: flat rows) and a weight scale that puts ‖∇D‖
    /// around 1 for inputs in [−1, 1].
    /// </summary>
    static (LayerSpec[] Spec, (int C, int H, int W)? Image, double Scale) Critic(string name) => name switch
    {
        // 1×8×8 → 3×4×4 → 4×2×2 → 16 → 1.
        "strided-dilated-linear" => ([
            new Conv2dSpec(1, 3, 3, Stride: 2, Padding: 1), ActivationSpec.LeakyReLU(0.2f),
            new Conv2dSpec(3, 4, 3, Stride: 1, Padding: 1, Bias: false, Dilation: 2), ActivationSpec.LeakyReLU(0.2f),
            new FlattenSpec(), new LinearSpec(16, 1),
        ], (1, 8, 8), 0.6),
        // The DCGAN's ending: a last conv whose kernel is the whole 2×2 image (a dense conv).
        "full-kernel-conv" => ([
            new Conv2dSpec(1, 3, 3, Stride: 2, Padding: 1, Bias: false), ActivationSpec.LeakyReLU(0.2f),
            new Conv2dSpec(3, 4, 3, Stride: 1, Padding: 1, Dilation: 2), ActivationSpec.ReLU,
            new Conv2dSpec(4, 1, 2, Bias: false),
        ], (1, 8, 8), 0.6),
        // 12 → Linear(12→18) LReLU (fused) → 2×3×3 → ConvT(k3 s2 p1 op1) → 2×6×6 → LReLU → Conv(k6) → 1.
        "linear-unflatten-transposed" => ([
            new LinearSpec(12, 18), ActivationSpec.LeakyReLU(0.2f), new UnflattenSpec(2, 3, 3),
            new ConvTranspose2dSpec(2, 2, 3, Stride: 2, Padding: 1, OutputPadding: 1), ActivationSpec.LeakyReLU(0.2f),
            new Conv2dSpec(2, 1, 6),
        ], null, 0.7),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Critics))]
    public void Conv_penalty_gradient_matches_finite_differences(string name)
    {
        var b = fixture.Backend;
        var (spec, image, scale) = Critic(name);
        int inF = image is { } im ? im.C * im.H * im.W : ((LinearSpec)spec[0]).InFeatures;
        const int n = 4;
        var rng = new Random(7);
        using var critic = new Sequential(b, spec, inF, n, 13, image);
        var p = FiniteDifferences.Rand(rng, (int)critic.ParameterCount, scale);
        critic.Parameters.CopyFrom(p);
        var real = FiniteDifferences.Rand(rng, n * inF);
        var fake = FiniteDifferences.Rand(rng, n * inF);
        var eps = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();

        using var gp = new GradientPenalty(b, critic, n, Lambda);
        using var buf = b.Allocate<float>(2L * n * inF + 2);
        var all = Tensor.Whole(buf);
        Tensor realT = all.Slice(0, n * inF), fakeT = all.Slice(n * inF, n * inF), stats = all.Slice(2L * n * inF, 2);
        realT.CopyFrom(real); fakeT.CopyFrom(fake);
        b.Fill(critic.Gradients, 0f);
        gp.Accumulate(realT, fakeT, eps, stats, 0);
        var analytic = critic.Gradients.ToArray();
        var xhat = GradientPenaltyKernels.InterpolateReference(real, fake, eps, n, inF);

        var host = new HostChain(critic);
        var weights = p.Select(v => (double)v).ToArray();
        var (penalty, norms) = host.Penalty(weights, xhat, n, Lambda);
        var s = stats.ToArray();
        Assert.True(Math.Abs(s[0] - penalty) <= 1e-5 * Math.Max(1, penalty), $"penalty {s[0]} vs float64 {penalty}");
        // Both signs of ‖∇D‖ − 1 (the factor ∂P/∂g carries) among the samples.
        Assert.True(norms.Min() < 1 && norms.Max() > 1, $"‖∇D‖ = {string.Join(", ", norms.Select(v => v.ToString("F3")))}: rescale the weights");
        const double h = 1e-6;
        var failures = new List<string>();
        for (int k = 0; k < p.Length; k++)
        {
            double Perturbed(double delta)
            {
                var q = (double[])weights.Clone();
                q[k] += delta;
                return host.Penalty(q, xhat, n, Lambda).Penalty;
            }
            double fd = (Perturbed(h) - Perturbed(-h)) / (2 * h);
            if (!(Math.Abs(analytic[k] - fd) <= 1e-4 + 1e-3 * Math.Abs(fd)))
                failures.Add($"parameter {k}: double backward {analytic[k]:G6}, finite difference {fd:G6}");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
        Assert.Contains(analytic, v => Math.Abs(v) > 1e-3);   // the penalty does reach the weights
    }

    [Fact]
    public void Refuses_conv_critics_with_batchnorm_or_smooth_activations()
    {
        var b = fixture.Backend;
        using var dcgan = new Sequential(b, DcganPresets.Discriminator(28, 1), 784, 2, 0, (1, 28, 28));
        Assert.Contains("BatchNorm", Assert.Throws<GanException>(() => GradientPenalty.Check(dcgan)).Message);
        using var tanh = new Sequential(b, [new Conv2dSpec(1, 2, 3), ActivationSpec.Tanh, new Conv2dSpec(2, 1, 2)], 16, 2, 0, (1, 4, 4));
        var e = Assert.Throws<GanException>(() => GradientPenalty.Check(tanh));
        Assert.Contains("not piecewise linear", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        using var plain = new Sequential(b, DcganPresets.Discriminator(28, 1, batchNorm: false), 784, 2, 0, (1, 28, 28));
        GradientPenalty.Check(plain);
        Assert.DoesNotContain(plain.Layers, l => l is BatchNorm2d);
    }

    /// <summary>
    /// The critic in float64 on the host, one sample at a time, read from the model's layer list and
    /// parameter layout: ∇ₓD by an explicit forward (keeping the masks) and backward, on the conv
    /// definition (every tap of every window) rather than on im2col.
    /// </summary>
    sealed class HostChain(Sequential critic)
    {
        public (double Penalty, double[] Norms) Penalty(double[] weights, double[] x, int n, double lambda)
        {
            int inF = critic.InFeatures;
            var norms = new double[n];
            double total = 0;
            for (int r = 0; r < n; r++)
            {
                var g = InputGradient(weights, x.AsSpan(r * inF, inF).ToArray());
                norms[r] = Math.Sqrt(g.Sum(v => v * v));
                total += (norms[r] - 1) * (norms[r] - 1);
            }
            return (lambda * total / n, norms);
        }

        double[] InputGradient(double[] w, double[] x)
        {
            var layers = critic.Layers;
            var masks = new double[layers.Count][];
            var h = x;
            for (int i = 0; i < layers.Count; i++)
            {
                double slope;
                (h, slope) = layers[i] switch
                {
                    Linear l => (LinearForward(l, w, h), Slope(l.OutputActivation)),
                    ConvLayer c => (ConvForward(c, w, h), 1.0),
                    ActivationLayer a => (h, Slope(new Act(a.Kind, a.Alpha))),
                    var other => throw new InvalidOperationException(other.GetType().Name),
                };
                masks[i] = h.Select(v => v > 0 ? 1.0 : slope).ToArray();
                h = h.Select((v, j) => v * masks[i][j]).ToArray();
            }
            var d = new double[] { 1.0 };
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                d = d.Select((v, j) => v * masks[i][j]).ToArray();
                d = layers[i] switch
                {
                    Linear l => LinearInputGrad(l, w, d),
                    ConvLayer c => ConvInputGrad(c, w, d),
                    _ => d,
                };
            }
            return d;
        }

        static double Slope(Act act) => act.Kind switch
        {
            Activation.Identity => 1.0,
            Activation.ReLU => 0.0,
            Activation.LeakyReLU => act.Alpha,
            _ => throw new InvalidOperationException($"{act.Kind}"),
        };

        static double[] LinearForward(Linear l, double[] w, double[] x)
        {
            long wo = l.Weight.Offset;
            var a = new double[l.OutFeatures];
            for (int o = 0; o < a.Length; o++)
            {
                double s = l.Bias is { } bias ? w[bias.Offset + o] : 0;
                for (int i = 0; i < l.InFeatures; i++) s += w[wo + (long)o * l.InFeatures + i] * x[i];
                a[o] = s;
            }
            return a;
        }

        static double[] LinearInputGrad(Linear l, double[] w, double[] d)
        {
            long wo = l.Weight.Offset;
            var dx = new double[l.InFeatures];
            for (int o = 0; o < l.OutFeatures; o++)
                for (int i = 0; i < l.InFeatures; i++) dx[i] += d[o] * w[wo + (long)o * l.InFeatures + i];
            return dx;
        }

        static double[] ConvForward(ConvLayer c, double[] w, double[] x)
        {
            var g = c.Geometry(1);
            var a = g.Args;
            long wo = c.Weight.Offset;
            var y = new double[c.OutFeatures];
            ConvReference.ForEachTap(a, (im, col, wi) =>
            {
                if (g.Transposed) y[im] += w[wo + wi] * x[col];
                else y[col] += w[wo + wi] * x[im];
            });
            if (c.Bias is { } bias)
            {
                int plane = g.OutH * g.OutW;
                for (int j = 0; j < y.Length; j++) y[j] += w[bias.Offset + j / plane];
            }
            return y;
        }

        static double[] ConvInputGrad(ConvLayer c, double[] w, double[] d)
        {
            var g = c.Geometry(1);
            long wo = c.Weight.Offset;
            var dx = new double[c.InFeatures];
            ConvReference.ForEachTap(g.Args, (im, col, wi) =>
            {
                if (g.Transposed) dx[col] += w[wo + wi] * d[im];
                else dx[im] += w[wo + wi] * d[col];
            });
            return dx;
        }
    }
}

public sealed class SimulatorConvGradientPenaltyTests(SimulatorFixture f) : ConvGradientPenaltyTests(f), IClassFixture<SimulatorFixture>;

public sealed class CpuConvGradientPenaltyTests(CpuFixture f) : ConvGradientPenaltyTests(f), IClassFixture<CpuFixture>;

public sealed class CudaConvGradientPenaltyTests(CudaFixture f) : ConvGradientPenaltyTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClConvGradientPenaltyTests(OpenClFixture f) : ConvGradientPenaltyTests(f), IClassFixture<OpenClFixture>;
