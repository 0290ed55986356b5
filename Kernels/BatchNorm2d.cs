using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// BatchNorm2d over an NCHW batch [n, channels, plane], PyTorch semantics: per-channel statistics over
/// the n·plane values of a channel (batch mean, biased variance to normalise; the running variance
/// moves by the unbiased one, by <c>momentum</c>), eval with the running statistics, and the backward.
/// A channel holds thousands of values (64·14·14 in the DCGAN) and there are few channels, so unlike
/// BatchNorm1d's one-thread-per-feature kernels, a whole group owns a channel (groups stride over
/// channels) and reduces through shared memory, two passes (mean, then squared deviations) as
/// BatchNorm1d does for accuracy. With plane = 1 these are BatchNorm1d on [n, channels] up to
/// float32 summation order; BatchNorm1d keeps its own kernels so its numbers do not change.
/// </summary>
public static class BatchNorm2dKernels
{
    static long At(int i, int c, int channels, int plane) => ((long)(i / plane) * channels + c) * plane + i % plane;

    public static void ForwardTrain(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> y, ArrayView<float> saveMean, ArrayView<float> saveInvStd,
        int n, int channels, int plane, float momentum, float eps)
    {
        var a = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        var b = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        int t = Group.IdxX, count = n * plane;
        for (int c = Grid.IdxX; c < channels; c += Grid.DimX)
        {
            float sum = 0f;
            for (int i = t; i < count; i += Group.DimX) sum += x[At(i, c, channels, plane)];
            a[t] = sum; b[t] = 0f;
            GroupReduce.SumPair(a, b);
            float mean = a[0] / count;
            Group.Barrier();
            float sq = 0f;
            for (int i = t; i < count; i += Group.DimX)
            {
                float d = x[At(i, c, channels, plane)] - mean;
                sq += d * d;
            }
            a[t] = sq;
            GroupReduce.SumPair(a, b);
            sq = a[0];
            Group.Barrier();
            float var = sq / count;
            float invStd = XMath.Rsqrt(var + eps);
            float g = gamma[c] * invStd, bsh = beta[c];
            for (int i = t; i < count; i += Group.DimX)
            {
                long at = At(i, c, channels, plane);
                y[at] = (x[at] - mean) * g + bsh;
            }
            if (t == 0)
            {
                saveMean[c] = mean;
                saveInvStd[c] = invStd;
                float unbiased = count > 1 ? sq / (count - 1) : var;
                runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
                runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
            }
        }
    }

    public static void ForwardEval(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y,
        int n, int channels, int plane, float eps)
    {
        long total = (long)n * channels * plane;
        for (long i = Grid.GlobalIndex.X; i < total; i += GridStride.Step)
        {
            int c = (int)i / plane % channels;   // the tensor fits an int: 32-bit division
            y[i] = (x[i] - runningMean[c]) * XMath.Rsqrt(runningVar[c] + eps) * gamma[c] + beta[c];
        }
    }

    /// <summary>
    /// dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)) with M = n·plane, dγ (+)= Σ(dy·x̂), dβ (+)= Σdy;
    /// x̂ is recomputed from x and the saved statistics rather than stored.
    /// </summary>
    public static void Backward(
        ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd,
        ArrayView<float> dx, ArrayView<float> dgamma, ArrayView<float> dbeta,
        int n, int channels, int plane, int accumulate)
    {
        var a = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        var b = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        int t = Group.IdxX, count = n * plane;
        for (int c = Grid.IdxX; c < channels; c += Grid.DimX)
        {
            float mean = saveMean[c], invStd = saveInvStd[c];
            float sumDy = 0f, sumDyXhat = 0f;
            for (int i = t; i < count; i += Group.DimX)
            {
                long at = At(i, c, channels, plane);
                float g = dy[at];
                sumDy += g;
                sumDyXhat += g * (x[at] - mean) * invStd;
            }
            a[t] = sumDy; b[t] = sumDyXhat;
            GroupReduce.SumPair(a, b);
            sumDy = a[0]; sumDyXhat = b[0];
            Group.Barrier();
            float k = gamma[c] * invStd / count;
            for (int i = t; i < count; i += Group.DimX)
            {
                long at = At(i, c, channels, plane);
                float xhat = (x[at] - mean) * invStd;
                dx[at] = k * (count * dy[at] - sumDy - xhat * sumDyXhat);
            }
            if (t == 0)
            {
                dgamma[c] = accumulate != 0 ? dgamma[c] + sumDyXhat : sumDyXhat;
                dbeta[c] = accumulate != 0 ? dbeta[c] + sumDy : sumDy;
            }
        }
    }

    // ---- float64 references: direct loops over (image, position) for each channel ----

    public static BatchNormKernels.ForwardResult ForwardTrainReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int n, int channels, int plane, double momentum, double eps)
    {
        var y = new double[x.Length];
        var mean = new double[channels]; var inv = new double[channels];
        var rm = new double[channels]; var rv = new double[channels];
        int count = n * plane;
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) s += x[(i * channels + c) * plane + p];
            double mu = s / count, sq = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * channels + c) * plane + p] - mu; sq += d * d; }
            double var = sq / count, invStd = 1 / Math.Sqrt(var + eps);
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * channels + c) * plane + p;
                    y[at] = (x[at] - mu) * invStd * gamma[c] + beta[c];
                }
            mean[c] = mu; inv[c] = invStd;
            rm[c] = (1 - momentum) * runningMean[c] + momentum * mu;
            rv[c] = (1 - momentum) * runningVar[c] + momentum * (count > 1 ? sq / (count - 1) : var);
        }
        return new BatchNormKernels.ForwardResult(y, mean, inv, rm, rv);
    }

    public static double[] ForwardEvalReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int channels, int plane, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            y[i] = (x[i] - runningMean[c]) / Math.Sqrt(runningVar[c] + eps) * gamma[c] + beta[c];
        }
        return y;
    }

    /// <summary>Backward reference that recomputes the batch statistics from x in float64.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, int n, int channels, int plane, double eps)
    {
        var dx = new double[x.Length]; var dg = new double[channels]; var db = new double[channels];
        int count = n * plane;
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) s += x[(i * channels + c) * plane + p];
            double mu = s / count, sq = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * channels + c) * plane + p] - mu; sq += d * d; }
            double inv = 1 / Math.Sqrt(sq / count + eps);
            double sDy = 0, sDyX = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * channels + c) * plane + p;
                    sDy += dy[at];
                    sDyX += dy[at] * (x[at] - mu) * inv;
                }
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * channels + c) * plane + p;
                    double xh = (x[at] - mu) * inv;
                    dx[at] = gamma[c] * inv / count * (count * dy[at] - sDy - xh * sDyX);
                }
            dg[c] = sDyX; db[c] = sDy;
        }
        return (dx, dg, db);
    }
}
