using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Backward against central finite differences of the forward, for each layer and for whole G
/// and D. The scalar is L = Σ y ⊙ r for a fixed random r, so dL/dy = r. Forward runs in float32
/// on the device; h = 1e-3 keeps rounding noise (~1e-7/h) below the tolerance while making a
/// LeakyReLU kink crossing (which makes the difference quotient wrong, not the backward) unlikely.
/// </summary>
public sealed class GradientCheckTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    const double H = 1e-3;
    IBackend B => fixture.Backend;

    static float[] Rand(Random rng, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    void Check(IReadOnlyList<LayerSpec> spec, int inFeatures, int n, int probes, int seed = 5)
    {
        var rng = new Random(seed);
        using var model = new Sequential(B, spec, inFeatures, n, (ulong)seed);
        var x = Rand(rng, n * inFeatures, 2);
        var r = Rand(rng, n * model.OutFeatures);
        using var xBuf = B.Allocate<float>(x.Length);
        using var rBuf = B.Allocate<float>(r.Length);
        var xT = Tensor.Whole(xBuf);
        xT.CopyFrom(x);

        double Loss()
        {
            var y = model.Forward(xT, n, training: true);
            return Dot(y.ToArray(), r);
        }

        Loss();
        var rT = Tensor.Whole(rBuf);
        rT.CopyFrom(r);
        var dx = model.Backward(rT, paramGrads: true, accumulate: false, inputGrad: true)!.Value.ToArray();
        var grads = model.Gradients.ToArray();
        var parameters = model.Parameters.ToArray();

        var failures = new List<string>();
        void Compare(string what, double analytic, double numeric)
        {
            if (Math.Abs(analytic - numeric) > 2e-3 + 2e-2 * Math.Abs(numeric))
                failures.Add($"{what}: backward {analytic:G5}, finite difference {numeric:G5}");
        }

        foreach (int k in Enumerable.Range(0, probes).Select(_ => rng.Next(parameters.Length)).Distinct())
        {
            double Perturbed(double delta)
            {
                var p = (float[])parameters.Clone();
                p[k] += (float)delta;
                model.Parameters.CopyFrom(p);
                return Loss();
            }
            double fd = (Perturbed(H) - Perturbed(-H)) / (2 * H);
            model.Parameters.CopyFrom(parameters);
            Compare($"param[{k}]", grads[k], fd);
        }
        foreach (int k in Enumerable.Range(0, probes).Select(_ => rng.Next(x.Length)).Distinct())
        {
            double Perturbed(double delta)
            {
                var p = (float[])x.Clone();
                p[k] += (float)delta;
                xT.CopyFrom(p);
                return Loss();
            }
            double fd = (Perturbed(H) - Perturbed(-H)) / (2 * H);
            xT.CopyFrom(x);
            Compare($"x[{k}]", dx[k], fd);
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void Linear_with_fused_activation(Activation act) =>
        Check([new LinearSpec(7, 5), new ActivationSpec(act, 0.2f)], 7, 3, probes: 12);

    [Theory]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.Tanh)]
    public void Standalone_activation_after_batchnorm(Activation act) =>
        Check([new LinearSpec(6, 9), new BatchNorm1dSpec(9), new ActivationSpec(act)], 6, 5, probes: 12);

    [Fact]
    public void BatchNorm1d() => Check([new BatchNorm1dSpec(6)], 6, 4, probes: 10);

    [Fact]
    public void Whole_generator() => Check(Presets.Generator(GeneratorKind.Mlp, latent: 8, outFeatures: 12), 8, 4, probes: 10);

    [Fact]
    public void Whole_notebook_generator() => Check(Presets.Generator(GeneratorKind.Notebook, latent: 8, outFeatures: 12), 8, 4, probes: 8);

    [Fact]
    public void Whole_discriminator() => Check(Presets.Discriminator(inFeatures: 12), 12, 4, probes: 10);
}
