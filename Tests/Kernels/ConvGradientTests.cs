using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Kernels;
using static IlgpuGan.Tests.Kernels.ConvShapes;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Finite-difference checks of the conv-family gradients, with the loss L = Σ r·y for a fixed random
/// r (so ∂L/∂y = r): the float64 references' input, weight, bias, γ and β gradients against central
/// differences of their own forwards (tight), and the managed CPU versions in float32 against
/// central differences of their float32 forwards (loose: the loss carries float32 rounding).
/// A sample of coordinates per tensor keeps it fast.
/// </summary>
public sealed unsafe class ConvGradientTests
{
    const int Samples = 8;

    /// <summary>Central difference of loss(v) in coordinate i, dividing by the step the floats really took.</summary>
    static double Central(float[] v, int i, float h, Func<double> loss)
    {
        float keep = v[i];
        v[i] = keep + h; double up = loss(); float hi = v[i];
        v[i] = keep - h; double down = loss(); float lo = v[i];
        v[i] = keep;
        return (up - down) / ((double)hi - lo);
    }

    static double Dot(double[] y, float[] r)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += y[i] * r[i];
        return s;
    }

    static double Dot(float[] y, float[] r)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * r[i];
        return s;
    }

    /// <summary>Compares analytic gradients with central differences at sampled coordinates, relative to the largest analytic value.</summary>
    static void Agree(string what, float[] v, IReadOnlyList<double> grad, float h, Func<double> loss, double tolerance, Random rng)
    {
        double scale = 1e-3;
        foreach (var g in grad) scale = Math.Max(scale, Math.Abs(g));
        for (int s = 0; s < Math.Min(Samples, v.Length); s++)
        {
            int i = rng.Next(v.Length);
            double fd = Central(v, i, h, loss);
            double err = Math.Abs(fd - grad[i]) / scale;
            Assert.True(err <= tolerance, $"{what}[{i}]: analytic {grad[i]:G6}, finite difference {fd:G6}, relative error {err:E2} > {tolerance:E2}");
        }
    }

    public static TheoryData<bool, int> AllShapes()
    {
        var data = new TheoryData<bool, int>();
        for (int i = 0; i < Conv.Length; i++) data.Add(false, i);
        for (int i = 0; i < Transposed.Length; i++) data.Add(true, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllShapes))]
    public void Conv_reference_gradients_match_finite_differences(bool transposed, int shape)
    {
        var g = transposed ? Transposed[shape] : Conv[shape];
        var a = g.Args;
        var rng = new Random(shape * 2 + (transposed ? 1 : 0));
        var x = Uniform(rng, g.InputLength); var w = Uniform(rng, g.WeightLength); var b = Uniform(rng, g.COut);
        var r = Uniform(rng, g.OutputLength);
        Func<double> loss = () => Dot(transposed ? ConvReference.ConvTranspose2dForward(x, w, b, a) : ConvReference.Conv2dForward(x, w, b, a), r);
        var dx = transposed ? ConvReference.ConvTranspose2dInputGrad(r, w, a) : ConvReference.Conv2dInputGrad(r, w, a);
        var dw = transposed ? ConvReference.ConvTranspose2dWeightGrad(x, r, a) : ConvReference.Conv2dWeightGrad(x, r, a);
        var db = transposed ? ConvReference.ConvTranspose2dBiasGrad(r, a) : ConvReference.Conv2dBiasGrad(r, a);
        // Linear in each argument: the differences are exact up to float64 rounding.
        Agree($"dx {g}", x, dx, 1e-2f, loss, 1e-9, rng);
        Agree($"dw {g}", w, dw, 1e-2f, loss, 1e-9, rng);
        Agree($"db {g}", b, db, 1e-2f, loss, 1e-9, rng);
    }

    public static TheoryData<int, int, int> BatchNormShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (n, c, p) in BatchNorm) data.Add(n, c, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchNormShapes))]
    public void BatchNorm2d_reference_gradients_match_finite_differences(int n, int c, int plane)
    {
        var rng = new Random(n + 31 * c + 977 * plane);
        var x = Uniform(rng, n * c * plane, 2, 5); var gamma = Uniform(rng, c, 0.5, 1.5); var beta = Uniform(rng, c);
        var rm = new float[c]; var rv = new float[c];
        var r = Uniform(rng, x.Length);
        Func<double> loss = () => Dot(BatchNorm2dKernels.ForwardTrainReference(x, gamma, beta, rm, rv, n, c, plane, 0.1, 1e-5).Y, r);
        var (dx, dg, db) = BatchNorm2dKernels.BackwardReference(x, r, gamma, n, c, plane, 1e-5);
        Agree($"dx ({n},{c},{plane})", x, dx, 1e-3f, loss, 1e-4, rng);
        Agree($"dgamma ({n},{c},{plane})", gamma, dg, 1e-3f, loss, 1e-6, rng);
        Agree($"dbeta ({n},{c},{plane})", beta, db, 1e-3f, loss, 1e-6, rng);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(false, 5)]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void Cpu_conv_gradients_match_float32_finite_differences(bool transposed, int shape)
    {
        var g = transposed ? Transposed[shape] : Conv[shape];
        var rng = new Random(100 + shape);
        var x = Uniform(rng, g.InputLength); var w = Uniform(rng, g.WeightLength); var b = Uniform(rng, g.COut);
        var r = Uniform(rng, g.OutputLength);
        var conv = new CpuConv(g, 2);
        var y = new float[g.OutputLength];
        Func<double> loss = () =>
        {
            fixed (float* px = x, pw = w, pb = b, py = y) conv.Forward(px, pw, pb, py);
            return Dot(y, r);
        };
        var dx = new float[g.InputLength]; var dw = new float[g.WeightLength]; var db = new float[g.COut];
        fixed (float* px = x, pw = w, pr = r, pdx = dx, pdw = dw, pdb = db)
        {
            conv.InputGrad(pr, pw, pdx);
            conv.WeightGrad(px, pr, pdw);
            conv.BiasGrad(pr, pdb);
        }
        Agree($"dx {g}", x, Array.ConvertAll(dx, v => (double)v), 1e-2f, loss, 2e-3, rng);
        Agree($"dw {g}", w, Array.ConvertAll(dw, v => (double)v), 1e-2f, loss, 2e-3, rng);
        Agree($"db {g}", b, Array.ConvertAll(db, v => (double)v), 1e-2f, loss, 2e-3, rng);
    }

    [Theory]
    [InlineData(3, 7, 99)]
    [InlineData(4, 2, 49)]
    public void Cpu_BatchNorm2d_gradients_match_float32_finite_differences(int n, int c, int plane)
    {
        var rng = new Random(n * c * plane);
        var x = Uniform(rng, n * c * plane, 2, 5); var gamma = Uniform(rng, c, 0.5, 1.5); var beta = Uniform(rng, c);
        var r = Uniform(rng, x.Length);
        var rm = new float[c]; var rv = new float[c]; var mean = new float[c]; var inv = new float[c];
        var y = new float[x.Length];
        Func<double> loss = () =>
        {
            fixed (float* px = x, pg = gamma, pb = beta, prm = rm, prv = rv, py = y, pm = mean, pi = inv)
                CpuBatchNorm2d.ForwardTrain(px, pg, pb, prm, prv, py, pm, pi, n, c, plane, 0.1f, 1e-5f, 2);
            return Dot(y, r);
        };
        loss();   // the saved statistics the backward reads
        var dx = new float[x.Length]; var dg = new float[c]; var db = new float[c];
        fixed (float* px = x, pr = r, pg = gamma, pm = mean, pi = inv, pdx = dx, pdg = dg, pdb = db)
            CpuBatchNorm2d.Backward(px, pr, pg, pm, pi, pdx, pdg, pdb, n, c, plane, false, 2);
        Agree($"dx ({n},{c},{plane})", x, Array.ConvertAll(dx, v => (double)v), 1e-2f, loss, 2e-2, rng);
        Agree($"dgamma ({n},{c},{plane})", gamma, Array.ConvertAll(dg, v => (double)v), 1e-2f, loss, 2e-3, rng);
        Agree($"dbeta ({n},{c},{plane})", beta, Array.ConvertAll(db, v => (double)v), 1e-2f, loss, 2e-3, rng);
    }
}
