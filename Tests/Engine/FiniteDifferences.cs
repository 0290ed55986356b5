using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// A model's backward against central finite differences of its forward, shared by the MLP and the
/// conv gradient checks. The scalar is L = Σ y ⊙ r for a fixed random r, so dL/dy = r; probes are
/// random parameters and inputs. The model's forward and backward run in float32 on the device, so
/// the tolerance is 2e-3 + 2 % of the difference quotient.
/// </summary>
static class FiniteDifferences
{
    public static float[] Rand(Random rng, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>
    /// Builds the model of <paramref name="spec"/> (init seed <paramref name="initSeed"/>) and checks it
    /// on a random batch of n (inputs in [−2, 2]) with random weights r, both from <paramref name="rngSeed"/>.
    /// </summary>
    public static void CheckSpec(IBackend b, IReadOnlyList<LayerSpec> spec, int inFeatures, int n, int probes, int rngSeed, ulong initSeed, double h = 1e-3)
    {
        var rng = new Random(rngSeed);
        using var model = new Sequential(b, spec, inFeatures, n, initSeed);
        var x = Rand(rng, n * inFeatures, 2);
        var r = Rand(rng, n * model.OutFeatures);
        Check(b, model, x, r, n, probes, h, rng);
    }

    /// <summary>
    /// Checks <paramref name="probes"/> random parameters and inputs x of a batch of n, with the fixed
    /// weights r of L = Σ y ⊙ r; asserts none is off.
    /// </summary>
    public static void Check(IBackend b, Sequential model, float[] x, float[] r, int n, int probes, double h, Random rng)
    {
        using var xBuf = b.Allocate<float>(x.Length);
        using var rBuf = b.Allocate<float>(r.Length);
        var xT = Tensor.Whole(xBuf);
        xT.CopyFrom(x);

        double Loss() => Dot(model.Forward(xT, n, training: true).ToArray(), r);

        Loss();
        var rT = Tensor.Whole(rBuf);
        rT.CopyFrom(r);
        var dx = model.Backward(rT, paramGrads: true, accumulate: false, inputGrad: true)!.Value.ToArray();
        var grads = model.Gradients.ToArray();
        var parameters = model.Parameters.ToArray();

        var failures = new List<string>();
        int compared = 0;
        void Probe(string what, float[] values, Tensor target, int k, double analytic)
        {
            double Perturbed(double delta)
            {
                var p = (float[])values.Clone();
                p[k] += (float)delta;
                target.CopyFrom(p);
                return Loss();
            }
            double fd = (Perturbed(h) - Perturbed(-h)) / (2 * h);
            target.CopyFrom(values);
            compared++;
            if (Math.Abs(analytic - fd) > 2e-3 + 2e-2 * Math.Abs(fd))
                failures.Add($"{what}[{k}]: backward {analytic:G5}, finite difference {fd:G5}");
        }

        foreach (int k in Enumerable.Range(0, probes).Select(_ => rng.Next(parameters.Length)).Distinct())
            Probe("param", parameters, model.Parameters, k, grads[k]);
        foreach (int k in Enumerable.Range(0, probes).Select(_ => rng.Next(x.Length)).Distinct())
            Probe("x", x, xT, k, dx[k]);
        Assert.True(compared > probes, "too few distinct probes");
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
