using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// Softmax cross-entropy for a classifier over row-major logits [rows, classes], with the labels
/// gathered through the same shuffled index buffer as the images (label of row r is
/// labels[indices[indexOffset + r]]), so a minibatch needs no label upload. Loss and accuracy are
/// reduced in one group into stats[statsIndex], stats[statsIndex + 1], like the BCE loss.
/// </summary>
public static class SoftmaxKernels
{
    public const int ReduceThreads = 256;

    /// <summary>Numerically stable log-softmax of one row's logit for class c.</summary>
    static float LogSoftmax(ArrayView<float> logits, int row, int classes, int c, out int argmax)
    {
        float max = logits[row * classes];
        argmax = 0;
        for (int j = 1; j < classes; j++)
        {
            float v = logits[row * classes + j];
            if (v > max) { max = v; argmax = j; }
        }
        float sum = 0f;
        for (int j = 0; j < classes; j++) sum += XMath.Exp(logits[row * classes + j] - max);
        return logits[row * classes + c] - max - XMath.Log(sum);
    }

    public static void CrossEntropy(ArrayView<float> logits, ArrayView<int> labels, ArrayView<int> indices, ArrayView<float> grad,
        ArrayView<float> stats, ArrayView<ulong> counters, CounterOffset offset, int rows, int classes, float gradScale, int statsIndex)
    {
        int indexOffset = (int)offset.At(counters);
        var lossShared = SharedMemory.Allocate<float>(ReduceThreads);
        var hitShared = SharedMemory.Allocate<float>(ReduceThreads);
        int t = Group.IdxX;
        float loss = 0f, hits = 0f;
        for (int r = t; r < rows; r += Group.DimX)
        {
            int label = labels[indices[indexOffset + r]];
            float logp = LogSoftmax(logits, r, classes, label, out int argmax);
            loss -= logp;
            if (argmax == label) hits += 1f;
            float lse = logits[r * classes + label] - logp;   // log Σ exp
            for (int j = 0; j < classes; j++)
            {
                float p = XMath.Exp(logits[r * classes + j] - lse);
                grad[r * classes + j] = (p - (j == label ? 1f : 0f)) * gradScale;
            }
        }
        lossShared[t] = loss;
        hitShared[t] = hits;
        GroupReduce.SumPair(lossShared, hitShared);
        if (t == 0)
        {
            stats[statsIndex] = lossShared[0] / rows;
            stats[statsIndex + 1] = hitShared[0] / rows;
        }
    }

    /// <summary>probs[r, :] = softmax(logits[r, :]); one thread per row.</summary>
    public static void Softmax(ArrayView<float> logits, ArrayView<float> probs, int rows, int classes)
    {
        for (int r = Grid.GlobalIndex.X; r < rows; r += GridStride.Step)
        {
            float max = logits[r * classes];
            for (int j = 1; j < classes; j++) max = XMath.Max(max, logits[r * classes + j]);
            float sum = 0f;
            for (int j = 0; j < classes; j++) sum += XMath.Exp(logits[r * classes + j] - max);
            for (int j = 0; j < classes; j++) probs[r * classes + j] = XMath.Exp(logits[r * classes + j] - max) / sum;
        }
    }

    // ---- float64 references ----

    public static double[] SoftmaxReference(ReadOnlySpan<float> logits, int rows, int classes)
    {
        var p = new double[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, logits[r * classes + j]);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(logits[r * classes + j] - max);
            for (int j = 0; j < classes; j++) p[r * classes + j] = Math.Exp(logits[r * classes + j] - max) / sum;
        }
        return p;
    }

    /// <summary>(mean loss, accuracy, gradient) for labels[indices[offset + r]].</summary>
    public static (double Loss, double Accuracy, double[] Grad) CrossEntropyReference(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        ReadOnlySpan<int> indices, int indexOffset, int rows, int classes, double gradScale)
    {
        var p = SoftmaxReference(logits, rows, classes);
        double loss = 0, hits = 0;
        var grad = new double[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            int label = labels[indices[indexOffset + r]];
            loss -= Math.Log(p[r * classes + label]);
            int argmax = 0;
            for (int j = 1; j < classes; j++) if (logits[r * classes + j] > logits[r * classes + argmax]) argmax = j;
            if (argmax == label) hits++;
            for (int j = 0; j < classes; j++) grad[r * classes + j] = (p[r * classes + j] - (j == label ? 1 : 0)) * gradScale;
        }
        return (loss / rows, hits / rows, grad);
    }
}
