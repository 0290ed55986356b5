using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// How one term of a GAN loss scores D's raw output x against a target t. Every GAN loss the
/// engine offers is a sum of such terms, one per batch (real, fake), each a mean over the batch:
/// <list type="bullet">
/// <item>BceWithLogits: ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)), ∂ℓ/∂x = σ(x) − t (the stable
/// form of PyTorch's BCEWithLogitsLoss; t is any real, so label smoothing is just another t).</item>
/// <item>Linear: ℓ = −t·x, ∂ℓ/∂x = −t (WGAN: t = +1 for real, −1 for fake; G uses +1).</item>
/// <item>Squared: ℓ = ½(x − t)², ∂ℓ/∂x = x − t (LSGAN, with the paper's ½).</item>
/// <item>Hinge: ℓ = max(0, 1 − t·x), ∂ℓ/∂x = −t where t·x &lt; 1 (t = ±1; the hinge D loss).</item>
/// </list>
/// </summary>
public enum LossKind
{
    BceWithLogits,
    Linear,
    Squared,
    Hinge,
}

/// <summary>
/// The GAN loss terms of <see cref="LossKind"/> in one kernel: loss and gradient together. The
/// mean loss and the mean of D's output (σ(x) for BCE, the notebook's D(x) and D(G(z)); the raw
/// critic value x otherwise) are reduced in one group and written to stats[statsIndex] and
/// stats[statsIndex + 1] on the device, so a step needs no read-back; the trainer reads stats only
/// when it logs.
/// </summary>
public static class LossKernels
{
    public const int ReduceThreads = 256;

    public static void Adversarial(ArrayView<float> logits, ArrayView<float> grad, ArrayView<float> stats,
        int n, int kind, float target, float gradScale, int statsIndex)
    {
        var lossShared = SharedMemory.Allocate<float>(ReduceThreads);
        var outShared = SharedMemory.Allocate<float>(ReduceThreads);
        int t = Group.IdxX;
        float loss = 0f, output = 0f;
        for (int i = t; i < n; i += Group.DimX)
        {
            float l = Term(kind, logits[i], target, out float g, out float o);
            loss += l;
            output += o;
            grad[i] = g * gradScale;
        }
        lossShared[t] = loss;
        outShared[t] = output;
        GroupReduce.SumPair(lossShared, outShared);
        if (t == 0)
        {
            stats[statsIndex] = lossShared[0] / n;
            stats[statsIndex + 1] = outShared[0] / n;
        }
    }

    /// <summary>One element's loss, ∂ℓ/∂x and reported output; shared by this kernel and the managed CPU backend.</summary>
    public static float Term(int kind, float x, float target, out float grad, out float output)
    {
        if (kind == (int)LossKind.BceWithLogits)
        {
            output = ActivationKernels.Sigmoid(x);
            grad = output - target;
            return XMath.Max(x, 0f) - x * target + XMath.Log(1f + XMath.Exp(-XMath.Abs(x)));
        }
        output = x;
        if (kind == (int)LossKind.Linear) { grad = -target; return -target * x; }
        if (kind == (int)LossKind.Squared) { grad = x - target; return 0.5f * (x - target) * (x - target); }
        float margin = 1f - target * x;
        grad = margin > 0f ? -target : 0f;
        return XMath.Max(margin, 0f);
    }

    /// <summary>float64 reference: (mean loss, mean output as in the stats, gradient).</summary>
    public static (double Loss, double MeanOutput, double[] Grad) AdversarialReference(LossKind kind, ReadOnlySpan<float> logits, double target, double gradScale)
    {
        double loss = 0, output = 0;
        var grad = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i];
            double l, g, o;
            switch (kind)
            {
                case LossKind.BceWithLogits:
                    o = 1 / (1 + Math.Exp(-x));
                    l = Math.Max(x, 0) - x * target + Math.Log(1 + Math.Exp(-Math.Abs(x)));
                    g = o - target;
                    break;
                case LossKind.Linear: o = x; l = -target * x; g = -target; break;
                case LossKind.Squared: o = x; l = 0.5 * (x - target) * (x - target); g = x - target; break;
                case LossKind.Hinge: o = x; l = Math.Max(1 - target * x, 0); g = 1 - target * x > 0 ? -target : 0; break;
                default: throw new ArgumentOutOfRangeException(nameof(kind));
            }
            loss += l;
            output += o;
            grad[i] = g * gradScale;
        }
        return (loss / logits.Length, output / logits.Length, grad);
    }
}
