using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// The pieces of WGAN-GP (Gulrajani et al. 2017) that are not GEMMs or masks: the random
/// interpolates x̂ = ε·x + (1 − ε)·x̃ with one ε per sample, and the penalty
/// P = λ·mean_r (‖g_r‖₂ − 1)² of the critic's input gradients g = ∇ₓ̂D(x̂), with its gradient
/// ∂P/∂g_r = scale·2λ(‖g_r‖ − 1)·g_r/‖g_r‖ (0 where g_r = 0, as torch's norm backward).
/// The double backward through the critic that turns ∂P/∂g into ∂P/∂θ lives in the engine
/// (Engine/Gan/GradientPenalty.cs); it needs only GEMMs and activation masks.
/// </summary>
public static class GradientPenaltyKernels
{
    public const int RowThreads = 128;

    /// <summary>xhat[r, c] = fake[r, c] + eps[r]·(real[r, c] − fake[r, c]).</summary>
    public static void Interpolate(ArrayView<float> real, ArrayView<float> fake, ArrayView<float> eps, ArrayView<float> xhat, int rows, int cols)
    {
        int n = rows * cols;
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            float e = eps[i / cols];
            xhat[i] = fake[i] + e * (real[i] - fake[i]);
        }
    }

    /// <summary>
    /// One group per row (grid-strided over rows): norms[r] = ‖g_r‖, and
    /// dg[r, :] = gradScale·2λ(‖g_r‖ − 1)/‖g_r‖ · g[r, :]. Groups of <see cref="RowThreads"/>.
    /// </summary>
    public static void RowPenalty(ArrayView<float> g, ArrayView<float> dg, ArrayView<float> norms, int rows, int cols, float lambda, float gradScale)
    {
        var sum = SharedMemory.Allocate<float>(RowThreads);
        var unused = SharedMemory.Allocate<float>(RowThreads);
        int t = Group.IdxX;
        for (int r = Grid.IdxX; r < rows; r += Grid.DimX)
        {
            float s = 0f;
            for (int c = t; c < cols; c += Group.DimX)
            {
                float v = g[r * cols + c];
                s += v * v;
            }
            sum[t] = s;
            unused[t] = 0f;
            GroupReduce.SumPair(sum, unused);
            float norm = XMath.Sqrt(sum[0]);
            float coef = norm > 0f ? gradScale * 2f * lambda * (norm - 1f) / norm : 0f;
            for (int c = t; c < cols; c += Group.DimX)
                dg[r * cols + c] = coef * g[r * cols + c];
            if (t == 0) norms[r] = norm;
            Group.Barrier();   // sum[0] is read above before the next row overwrites it
        }
    }

    /// <summary>One group: stats[statsIndex] = λ·mean (‖g_r‖ − 1)², stats[statsIndex + 1] = mean ‖g_r‖.</summary>
    public static void PenaltyStats(ArrayView<float> norms, ArrayView<float> stats, int rows, float lambda, int statsIndex)
    {
        var penalty = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        var norm = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        int t = Group.IdxX;
        float p = 0f, s = 0f;
        for (int r = t; r < rows; r += Group.DimX)
        {
            float d = norms[r] - 1f;
            p += d * d;
            s += norms[r];
        }
        penalty[t] = p;
        norm[t] = s;
        GroupReduce.SumPair(penalty, norm);
        if (t == 0)
        {
            stats[statsIndex] = lambda * penalty[0] / rows;
            stats[statsIndex + 1] = norm[0] / rows;
        }
    }

    // ---- float64 references ----

    public static double[] InterpolateReference(ReadOnlySpan<float> real, ReadOnlySpan<float> fake, ReadOnlySpan<float> eps, int rows, int cols)
    {
        var y = new double[rows * cols];
        for (int i = 0; i < y.Length; i++) y[i] = fake[i] + (double)eps[i / cols] * (real[i] - fake[i]);
        return y;
    }

    /// <summary>(λ·mean (‖g_r‖ − 1)², mean ‖g_r‖, ∂/∂g of the penalty times gradScale·rows, i.e. per-row coefficient as the kernel).</summary>
    public static (double Penalty, double MeanNorm, double[] Grad) PenaltyReference(ReadOnlySpan<float> g, int rows, int cols, double lambda, double gradScale)
    {
        double penalty = 0, normSum = 0;
        var dg = new double[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double)g[r * cols + c] * g[r * cols + c];
            double norm = Math.Sqrt(s);
            penalty += (norm - 1) * (norm - 1);
            normSum += norm;
            double coef = norm > 0 ? gradScale * 2 * lambda * (norm - 1) / norm : 0;
            for (int c = 0; c < cols; c++) dg[r * cols + c] = coef * g[r * cols + c];
        }
        return (lambda * penalty / rows, normSum / rows, dg);
    }
}
