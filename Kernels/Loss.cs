using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// Binary cross-entropy on logits, in the stable form PyTorch's BCEWithLogitsLoss uses:
/// ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)), mean over the batch; ∂ℓ/∂x = (σ(x) − t)·scale.
/// The target t is any real number, so label smoothing is just another t.
/// The loss and the mean of σ(x) (the notebook's D(x) and D(G(z))) are reduced in one group and
/// written to stats[statsIndex] and stats[statsIndex + 1] on the device, so a step needs no
/// read-back; the trainer reads stats only when it logs.
/// </summary>
public static class LossKernels
{
    public const int ReduceThreads = 256;

    public static void BceWithLogits(ArrayView<float> logits, ArrayView<float> grad, ArrayView<float> stats,
        int n, float target, float gradScale, int statsIndex)
    {
        var lossShared = SharedMemory.Allocate<float>(ReduceThreads);
        var probShared = SharedMemory.Allocate<float>(ReduceThreads);
        int t = Group.IdxX;
        float loss = 0f, prob = 0f;
        for (int i = t; i < n; i += Group.DimX)
        {
            float x = logits[i];
            float p = ActivationKernels.Sigmoid(x);
            loss += XMath.Max(x, 0f) - x * target + XMath.Log(1f + XMath.Exp(-XMath.Abs(x)));
            prob += p;
            grad[i] = (p - target) * gradScale;
        }
        lossShared[t] = loss;
        probShared[t] = prob;
        GroupReduce.SumPair(lossShared, probShared);
        if (t == 0)
        {
            stats[statsIndex] = lossShared[0] / n;
            stats[statsIndex + 1] = probShared[0] / n;
        }
    }

    /// <summary>float64 reference: (mean loss, mean σ(x), gradient).</summary>
    public static (double Loss, double MeanProb, double[] Grad) BceWithLogitsReference(ReadOnlySpan<float> logits, double target, double gradScale)
    {
        double loss = 0, prob = 0;
        var grad = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i];
            double p = 1 / (1 + Math.Exp(-x));
            loss += Math.Max(x, 0) - x * target + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            prob += p;
            grad[i] = (p - target) * gradScale;
        }
        return (loss / logits.Length, prob / logits.Length, grad);
    }
}
