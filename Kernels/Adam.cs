using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// Adam's constant scalars: the same every step, so they may travel as kernel arguments (a
/// captured CUDA graph freezes arguments).
/// </summary>
public struct AdamScalars
{
    /// <summary>
    /// 1 − β is taken in float64 and then rounded, as torch does (`value=1 - beta2` is a Python
    /// float): 1f − (float)0.999 is 1.3e-5 off 0.001f, which moves every first step by 6e-6 relative.
    /// </summary>
    public float Beta1, Beta2, OneMinusBeta1, OneMinusBeta2, Eps, WeightDecay;

    public static AdamScalars For(double beta1, double beta2, double eps, double weightDecay) => new()
    {
        Beta1 = (float)beta1,
        Beta2 = (float)beta2,
        OneMinusBeta1 = (float)(1 - beta1),
        OneMinusBeta2 = (float)(1 - beta2),
        Eps = (float)eps,
        WeightDecay = (float)weightDecay,
    };
}

/// <summary>
/// Adam's scalars of step t, computed on the host in float64 (as PyTorch does in Python floats)
/// so the kernel does no pow/sqrt of step counts. They change every step, so kernels read them
/// from device memory: one row of a table written ahead of time (Engine/Optim/AdamSchedule),
/// picked by a step counter the device advances.
/// </summary>
public struct AdamStepScalars
{
    /// <summary>Floats per table row: StepSize, BiasCorrection2Sqrt.</summary>
    public const int Width = 2;

    /// <summary>lr / (1 − β1ᵗ).</summary>
    public float StepSize;
    /// <summary>√(1 − β2ᵗ).</summary>
    public float BiasCorrection2Sqrt;

    public static AdamStepScalars For(double lr, double beta1, double beta2, long step) => new()
    {
        StepSize = (float)(lr / (1 - Math.Pow(beta1, step))),
        BiasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, step)),
    };
}

/// <summary>
/// Adam in torch.optim.Adam's order of operations (bias correction folded into the step size, eps
/// added after the square root), over one flat parameter buffer in a single launch.
/// </summary>
public static class AdamKernels
{
    /// <summary>
    /// Advances the step counter step[0] by one: launched (one thread) before <see cref="Step"/>, so
    /// the count lives on the device and a replayed CUDA graph still counts.
    /// </summary>
    public static void Advance(ArrayView<int> step)
    {
        if (Grid.GlobalIndex.X == 0) step[0] = step[0] + 1;
    }

    /// <summary>
    /// One step, t = step[0] (already advanced): lr / (1 − β1ᵗ) and √(1 − β2ᵗ) are row
    /// min(t, rows) − 1 of <paramref name="table"/>, <see cref="AdamStepScalars.Width"/> floats a row.
    /// </summary>
    public static void Step(ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, int n, AdamScalars s,
        ArrayView<float> table, int rows, ArrayView<int> step)
    {
        long row = XMath.Min(step[0], rows) - 1;
        float stepSize = table[row * AdamStepScalars.Width], biasCorrection2Sqrt = table[row * AdamStepScalars.Width + 1];
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            float g = grad[i];
            if (s.WeightDecay != 0f) g += s.WeightDecay * param[i];
            float mi = s.Beta1 * m[i] + s.OneMinusBeta1 * g;
            float vi = s.Beta2 * v[i] + s.OneMinusBeta2 * g * g;
            m[i] = mi;
            v[i] = vi;
            float denom = XMath.Sqrt(vi) / biasCorrection2Sqrt + s.Eps;
            param[i] -= stepSize * (mi / denom);
        }
    }

    /// <summary>float64 reference of one step; updates the arrays in place.</summary>
    public static void StepReference(double[] param, ReadOnlySpan<float> grad, double[] m, double[] v,
        double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        for (int i = 0; i < param.Length; i++)
        {
            double g = grad[i] + weightDecay * param[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            param[i] -= lr / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + eps);
        }
    }
}
