using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>Element-wise activations, numbered as the kernels receive them.</summary>
public enum Activation
{
    Identity = 0,
    ReLU = 1,
    LeakyReLU = 2,
    Tanh = 3,
    Sigmoid = 4,
}

/// <summary>
/// Bias + activation (the Linear epilogue), the activation backward, and the bias-gradient column
/// reduction. The backward works from the activation's <em>output</em> y, which is all it needs:
/// ReLU/LeakyReLU keep the sign of their input (alpha &gt; 0), tanh' = 1 - y², sigmoid' = y(1 - y).
/// So a layer keeps one buffer per activation instead of two.
/// </summary>
public static class ActivationKernels
{
    public static float Apply(int act, float x, float alpha)
    {
        switch (act)
        {
            case 1: return x > 0f ? x : 0f;
            case 2: return x > 0f ? x : alpha * x;
            case 3:
                {
                    // tanh through exp of a non-positive argument: no overflow, and exact enough
                    // (the hardware tanh.approx is only good to about 2^-11).
                    float e = XMath.Exp(-2f * XMath.Abs(x));
                    float t = (1f - e) / (1f + e);
                    return x < 0f ? -t : t;
                }
            case 4: return Sigmoid(x);
            default: return x;
        }
    }

    /// <summary>Derivative expressed through the output y = act(x).</summary>
    public static float DerivativeFromOutput(int act, float y, float alpha)
    {
        switch (act)
        {
            case 1: return y > 0f ? 1f : 0f;
            case 2: return y > 0f ? 1f : alpha;
            case 3: return 1f - y * y;
            case 4: return y * (1f - y);
            default: return 1f;
        }
    }

    public static float Sigmoid(float x)
    {
        if (x >= 0f)
            return 1f / (1f + XMath.Exp(-x));
        float e = XMath.Exp(x);
        return e / (1f + e);
    }

    /// <summary>y[r, c] = act(x[r, c] + bias[c]); bias is ignored when hasBias is 0. In place is fine.</summary>
    public static void BiasActivationForward(
        ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int n, int cols, int hasBias, int act, float alpha)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            float v = x[i];
            if (hasBias != 0)
                v += bias[i % cols];
            y[i] = Apply(act, v, alpha);
        }
    }

    /// <summary>dx = dy * act'(y). In place (dx == dy) is fine.</summary>
    public static void ActivationBackward(
        ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int n, int act, float alpha)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
            dx[i] = dy[i] * DerivativeFromOutput(act, y[i], alpha);
    }

    /// <summary>db[c] (+)= sum over rows of dy[r, c]: one thread per column, rows walked in order,
    /// so neighbouring threads read neighbouring addresses.</summary>
    public static void BiasGrad(ArrayView<float> dy, ArrayView<float> db, int rows, int cols, int accumulate)
    {
        for (int c = Grid.GlobalIndex.X; c < cols; c += GridStride.Step)
        {
            float s = 0f;
            for (int r = 0; r < rows; r++)
                s += dy[r * cols + c];
            db[c] = accumulate != 0 ? db[c] + s : s;
        }
    }

    // ---- float64 references ----

    public static double ApplyReference(Activation act, double x, double alpha) => act switch
    {
        Activation.ReLU => Math.Max(x, 0),
        Activation.LeakyReLU => x > 0 ? x : alpha * x,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        _ => x,
    };

    public static double DerivativeReference(Activation act, double x, double alpha) => act switch
    {
        Activation.ReLU => x > 0 ? 1 : 0,
        Activation.LeakyReLU => x > 0 ? 1 : alpha,
        Activation.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        Activation.Sigmoid => Sigmoid64(x) * (1 - Sigmoid64(x)),
        _ => 1,
    };

    static double Sigmoid64(double x) => 1 / (1 + Math.Exp(-x));

    public static double[] BiasActivationReference(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, int cols, Activation act, float alpha)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = ApplyReference(act, x[i] + (bias.IsEmpty ? 0.0 : bias[i % cols]), alpha);
        return y;
    }

    public static double[] ActivationBackwardReference(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Activation act, float alpha)
    {
        var dx = new double[y.Length];
        for (int i = 0; i < y.Length; i++)
        {
            double d = act switch
            {
                Activation.ReLU => y[i] > 0 ? 1 : 0,
                Activation.LeakyReLU => y[i] > 0 ? 1 : alpha,
                Activation.Tanh => 1 - (double)y[i] * y[i],
                Activation.Sigmoid => (double)y[i] * (1 - (double)y[i]),
                _ => 1,
            };
            dx[i] = dy[i] * d;
        }
        return dx;
    }

    public static double[] BiasGradReference(ReadOnlySpan<float> dy, int rows, int cols)
    {
        var db = new double[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                db[c] += dy[r * cols + c];
        return db;
    }
}
