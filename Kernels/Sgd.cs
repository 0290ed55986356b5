using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>The scalars of one SGD step (no step-dependent terms).</summary>
public struct SgdScalars
{
    public float Lr, Momentum, WeightDecay;

    public static SgdScalars For(double lr, double momentum, double weightDecay) => new()
    {
        Lr = (float)lr,
        Momentum = (float)momentum,
        WeightDecay = (float)weightDecay,
    };
}

/// <summary>
/// torch.optim.SGD with dampening 0 and nesterov False: g += wd·p; with momentum μ ≠ 0,
/// buf = μ·buf + g and g = buf; then p −= lr·g.
/// </summary>
public static class SgdKernels
{
    public static void Step(ArrayView<float> param, ArrayView<float> grad, ArrayView<float> momentumBuffer, int n, SgdScalars s)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            float g = grad[i];
            if (s.WeightDecay != 0f) g += s.WeightDecay * param[i];
            // torch sets buf = clone(g) on the first step; the buffer starts zeroed, and μ·0 + g is
            // exactly g, so the first step needs no special case (only with dampening 0: torch's
            // first step skips dampening, which zero-initialisation would not).
            // μ = 0 is plain SGD: torch keeps no buffer, so it is neither read nor written here.
            if (s.Momentum != 0f)
            {
                g = s.Momentum * momentumBuffer[i] + g;
                momentumBuffer[i] = g;
            }
            param[i] -= s.Lr * g;
        }
    }

    /// <summary>
    /// float64 reference of step <paramref name="step"/> (1-based), written as torch writes it,
    /// first step included, so the check also proves the kernel's zero-initialised buffer equivalent.
    /// </summary>
    public static void StepReference(double[] param, ReadOnlySpan<float> grad, double[] momentumBuffer,
        double lr, double momentum, double weightDecay, long step)
    {
        for (int i = 0; i < param.Length; i++)
        {
            double g = grad[i] + weightDecay * param[i];
            if (momentum != 0)
            {
                momentumBuffer[i] = step == 1 ? g : momentum * momentumBuffer[i] + g;
                g = momentumBuffer[i];
            }
            param[i] -= lr * g;
        }
    }
}
