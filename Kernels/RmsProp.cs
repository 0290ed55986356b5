using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// The scalars of one RMSprop step. 1 − α is taken on the host in float64, as torch passes
/// value=1 - alpha (a Python float) to addcmul_, rather than as 1f − αf on the device.
/// </summary>
public struct RmsPropScalars
{
    public float Lr, Alpha, OneMinusAlpha, Eps, WeightDecay;

    public static RmsPropScalars For(double lr, double alpha, double eps, double weightDecay) => new()
    {
        Lr = (float)lr,
        Alpha = (float)alpha,
        OneMinusAlpha = (float)(1 - alpha),
        Eps = (float)eps,
        WeightDecay = (float)weightDecay,
    };
}

/// <summary>
/// torch.optim.RMSprop with centered=False and momentum=0, in its order of operations: weight decay
/// into the gradient, square_avg = α·square_avg + (1 − α)·g², then p −= lr·g / (√square_avg + eps),
/// eps added after the square root. There is no bias correction, so nothing depends on the step.
/// </summary>
public static class RmsPropKernels
{
    public static void Step(ArrayView<float> param, ArrayView<float> grad, ArrayView<float> squareAvg, int n, RmsPropScalars s)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            float g = grad[i];
            if (s.WeightDecay != 0f) g += s.WeightDecay * param[i];
            float v = s.Alpha * squareAvg[i] + s.OneMinusAlpha * g * g;
            squareAvg[i] = v;
            param[i] -= s.Lr * (g / (XMath.Sqrt(v) + s.Eps));
        }
    }

    /// <summary>float64 reference of one step; updates the arrays in place.</summary>
    public static void StepReference(double[] param, ReadOnlySpan<float> grad, double[] squareAvg,
        double lr, double alpha, double eps, double weightDecay)
    {
        for (int i = 0; i < param.Length; i++)
        {
            double g = grad[i] + weightDecay * param[i];
            squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
            param[i] -= lr * g / (Math.Sqrt(squareAvg[i]) + eps);
        }
    }
}
