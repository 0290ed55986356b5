using System.Numerics;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// BatchNorm2d on the managed CPU backend, the semantics of <see cref="Kernels.BatchNorm2dKernels"/>:
/// per-channel statistics over the n·plane values of a channel of an NCHW tensor. Threads own whole
/// channels, and a channel is a run of n contiguous planes, so every pass is a SIMD sweep over planes.
/// Each direction is two passes over a channel: the statistics (or the gradient's sums), then one
/// fused affine pass that writes the output; partial sums are kept in double.
/// </summary>
public static unsafe class CpuBatchNorm2d
{
    /// <summary>dst = src·scale + shift (TensorPrimitives has no span·scalar + scalar).</summary>
    static void ScaleShift(ReadOnlySpan<float> src, Span<float> dst, float scale, float shift)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = new Vector<float>(scale); var vb = new Vector<float>(shift);
            for (; i <= src.Length - Vector<float>.Count; i += Vector<float>.Count)
                Vector.FusedMultiplyAdd(new Vector<float>(src[i..]), vs, vb).CopyTo(dst[i..]);
        }
        for (; i < src.Length; i++) dst[i] = MathF.FusedMultiplyAdd(src[i], scale, shift);
    }

    static Span<float> Plane(float* t, int i, int c, int channels, int plane) => new(t + ((long)i * channels + c) * plane, plane);

    /// <summary>
    /// Train-mode forward: one pass for the statistics (sums of x − shift and of its squares, shifted
    /// by the channel's first value so that the variance does not cancel when the mean is far from 0;
    /// per-plane partial sums in double), one pass for y = x·scale + shift. Two reads of x and one
    /// write of y, against five passes when the centred values were staged in y (docs/perf-conv.md).
    /// </summary>
    public static void ForwardTrain(float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float* y, float* saveMean, float* saveInvStd, int n, int channels, int plane, float momentum, float eps, int threads)
    {
        int count = n * plane;
        CpuParallel.For(channels, (long)channels * count, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float origin = x[(long)c * plane];
                double sum = 0, sq = 0;
                for (int i = 0; i < n; i++)
                {
                    var (s1, s2) = ShiftedSums(Plane(x, i, c, channels, plane), origin);
                    sum += s1; sq += s2;
                }
                double meanShift = sum / count;
                double var = Math.Max(0, (sq - sum * meanShift) / count);
                float mean = (float)(origin + meanShift);
                float invStd = (float)(1 / Math.Sqrt(var + eps)), scale = gamma[c] * invStd;
                for (int i = 0; i < n; i++)
                    Combine(Plane(x, i, c, channels, plane), default, Plane(y, i, c, channels, plane), mean, scale, 0f, beta[c]);
                saveMean[c] = mean;
                saveInvStd[c] = invStd;
                runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
                runningVar[c] = (1f - momentum) * runningVar[c] + momentum * (float)(count > 1 ? var * count / (count - 1) : var);
            }
        });
    }

    /// <summary>(Σ(v − origin), Σ(v − origin)²) of one plane, in SIMD lanes and summed in double.</summary>
    static (double Sum, double Squares) ShiftedSums(ReadOnlySpan<float> v, float origin)
    {
        int i = 0;
        double sum = 0, sq = 0;
        if (Vector.IsHardwareAccelerated && v.Length >= Vector<float>.Count)
        {
            var o = new Vector<float>(origin);
            Vector<float> s1 = default, s2 = default;
            for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var d = new Vector<float>(v[i..]) - o;
                s1 += d;
                s2 = Vector.FusedMultiplyAdd(d, d, s2);
            }
            sum = Vector.Sum(s1); sq = Vector.Sum(s2);
        }
        for (; i < v.Length; i++)
        {
            float d = v[i] - origin;
            sum += d; sq += d * d;
        }
        return (sum, sq);
    }

    /// <summary>(Σdy, Σdy·(x − mean)) of one plane, in SIMD lanes and summed in double.</summary>
    static (double SumDy, double SumDyCentred) GradSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float mean)
    {
        int i = 0;
        double sum = 0, dot = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var m = new Vector<float>(mean);
            Vector<float> s1 = default, s2 = default;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(dy[i..]);
                s1 += g;
                s2 = Vector.FusedMultiplyAdd(g, new Vector<float>(x[i..]) - m, s2);
            }
            sum = Vector.Sum(s1); dot = Vector.Sum(s2);
        }
        for (; i < x.Length; i++)
        {
            sum += dy[i]; dot += dy[i] * (x[i] - mean);
        }
        return (sum, dot);
    }

    /// <summary>
    /// dst = (x − mean)·a + dy·b + shift in one pass (dy may be empty: then without its term). x − mean
    /// is formed first, as in the reference, so a mean far from 0 does not cancel digits.
    /// </summary>
    static void Combine(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dst, float mean, float a, float b, float shift)
    {
        int i = 0;
        bool withDy = !dy.IsEmpty;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<float>(mean); var va = new Vector<float>(a); var vb = new Vector<float>(b); var vs = new Vector<float>(shift);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var rest = withDy ? Vector.FusedMultiplyAdd(new Vector<float>(dy[i..]), vb, vs) : vs;
                Vector.FusedMultiplyAdd(new Vector<float>(x[i..]) - vm, va, rest).CopyTo(dst[i..]);
            }
        }
        for (; i < x.Length; i++)
            dst[i] = MathF.FusedMultiplyAdd(x[i] - mean, a, withDy ? MathF.FusedMultiplyAdd(dy[i], b, shift) : shift);
    }

    public static void ForwardEval(float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float* y, int n, int channels, int plane, float eps, int threads)
    {
        CpuParallel.For(channels, (long)channels * n * plane, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float scale = gamma[c] / MathF.Sqrt(runningVar[c] + eps), shift = beta[c] - runningMean[c] * scale;
                for (int i = 0; i < n; i++)
                {
                    var yp = Plane(y, i, c, channels, plane);
                    ScaleShift(Plane(x, i, c, channels, plane), yp, scale, shift);
                }
            }
        });
    }

    /// <summary>
    /// dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)), M = n·plane; dγ (+)= Σ(dy·x̂), dβ (+)= Σdy.
    /// dx must not overlap x or dy.
    /// </summary>
    public static void Backward(float* x, float* dy, float* gamma, float* saveMean, float* saveInvStd,
        float* dx, float* dgamma, float* dbeta, int n, int channels, int plane, bool accumulate, int threads)
    {
        // Two passes: the sums (reading x and dy), then dx = (x − mean)·a + dy·b + shift (reading both again),
        // with nothing staged in dx in between.
        int count = n * plane;
        CpuParallel.For(channels, (long)channels * count, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float mean = saveMean[c], invStd = saveInvStd[c];
                double sumDy = 0, sumDyCentred = 0;
                for (int i = 0; i < n; i++)
                {
                    var (s1, s2) = GradSums(Plane(x, i, c, channels, plane), Plane(dy, i, c, channels, plane), mean);
                    sumDy += s1; sumDyCentred += s2;
                }
                double sumDyXhat = sumDyCentred * invStd;
                double k = (double)gamma[c] * invStd / count;
                // dx = (x − mean)·(−k·invstd·Σdyx̂) + dy·(k·M) − k·Σdy
                double aCentred = -k * invStd * sumDyXhat;
                float a = (float)aCentred, b = (float)(k * count), shift = (float)(-k * sumDy);
                for (int i = 0; i < n; i++)
                    Combine(Plane(x, i, c, channels, plane), Plane(dy, i, c, channels, plane), Plane(dx, i, c, channels, plane), mean, a, b, shift);
                dgamma[c] = accumulate ? dgamma[c] + (float)sumDyXhat : (float)sumDyXhat;
                dbeta[c] = accumulate ? dbeta[c] + (float)sumDy : (float)sumDy;
            }
        });
    }
}
