using System.Numerics;
using System.Numerics.Tensors;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// BatchNorm2d on the managed CPU backend, the semantics of <see cref="Kernels.BatchNorm2dKernels"/>:
/// per-channel statistics over the n·plane values of a channel of an NCHW tensor. Threads own whole
/// channels, and a channel is a run of n contiguous planes, so every pass is a SIMD sweep over planes.
/// The output (dx in the backward) doubles as the scratch for x − mean, which keeps the variance
/// two-pass (as accurate as the kernels') without a workspace.
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

    public static void ForwardTrain(float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float* y, float* saveMean, float* saveInvStd, int n, int channels, int plane, float momentum, float eps, int threads)
    {
        int count = n * plane;
        CpuParallel.For(channels, (long)channels * count, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float sum = 0f;
                for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum<float>(Plane(x, i, c, channels, plane));
                float mean = sum / count, sq = 0f;
                for (int i = 0; i < n; i++)
                {
                    var yp = Plane(y, i, c, channels, plane);
                    TensorPrimitives.Subtract(Plane(x, i, c, channels, plane), mean, yp);
                    sq += TensorPrimitives.SumOfSquares<float>(yp);
                }
                float var = sq / count, invStd = 1f / MathF.Sqrt(var + eps), scale = gamma[c] * invStd;
                for (int i = 0; i < n; i++)
                {
                    var yp = Plane(y, i, c, channels, plane);
                    ScaleShift(yp, yp, scale, beta[c]);
                }
                saveMean[c] = mean;
                saveInvStd[c] = invStd;
                runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
                runningVar[c] = (1f - momentum) * runningVar[c] + momentum * (count > 1 ? sq / (count - 1) : var);
            }
        });
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
        int count = n * plane;
        CpuParallel.For(channels, (long)channels * count, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float mean = saveMean[c], invStd = saveInvStd[c];
                float sumDy = 0f, sumDyCentred = 0f;
                for (int i = 0; i < n; i++)
                {
                    var d = Plane(dx, i, c, channels, plane);
                    var g = Plane(dy, i, c, channels, plane);
                    TensorPrimitives.Subtract(Plane(x, i, c, channels, plane), mean, d);   // x − mean, kept in dx
                    sumDy += TensorPrimitives.Sum<float>(g);
                    sumDyCentred += TensorPrimitives.Dot<float>(g, d);
                }
                float sumDyXhat = sumDyCentred * invStd;
                float k = gamma[c] * invStd / count;
                // dx = (x − mean)·(−k·invstd·Σdyx̂) + dy·(k·M) − k·Σdy
                float aCentred = -k * invStd * sumDyXhat, aDy = k * count, shift = -k * sumDy;
                for (int i = 0; i < n; i++)
                {
                    var d = Plane(dx, i, c, channels, plane);
                    ScaleShift(d, d, aCentred, shift);
                    TensorPrimitives.FusedMultiplyAdd(Plane(dy, i, c, channels, plane), aDy, d, d);
                }
                dgamma[c] = accumulate ? dgamma[c] + sumDyXhat : sumDyXhat;
                dbeta[c] = accumulate ? dbeta[c] + sumDy : sumDy;
            }
        });
    }
}
