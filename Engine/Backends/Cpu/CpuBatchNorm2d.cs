using System.Numerics;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// BatchNorm2d on the managed CPU backend, the semantics of <see cref="Kernels.BatchNorm2dKernels"/>:
/// per-channel statistics over the n·plane values of a channel of an NCHW tensor. Threads own whole
/// channels, and a channel is a run of n contiguous planes, so every pass is a SIMD sweep over planes.
/// Each direction is two passes over a channel: the statistics (or the gradient's sums), then one
/// fused affine pass that writes the output; partial sums are kept in double.
/// A following ReLU or LeakyReLU is fused (act: <see cref="Kernels.Activation"/>'s value, alpha its
/// slope): the forward applies it in the affine pass's store, and the backward multiplies dy by its
/// derivative where it reads dy, so the values are those of the unfused pair without its pass over
/// the tensor. The derivative comes from the sign of the pre-activation z = (x − mean)·γ·invstd + β,
/// recomputed from x (which the backward reads anyway) with the forward's float operations, so it is
/// the forward's z bit for bit: z > 0 exactly where the output is, which is what the activation
/// backward reads (a LeakyReLU slope ≥ 0), and reading the output instead would cost a third stream.
/// </summary>
public static unsafe class CpuBatchNorm2d
{
    /// <summary>The fused activation as a type, so that each pass is compiled per activation with no branch in its loop.</summary>
    interface IAct { static abstract int Kind { get; } }
    struct NoAct : IAct { public static int Kind => 0; }
    struct Relu : IAct { public static int Kind => 1; }
    struct Leaky : IAct { public static int Kind => 2; }

    /// <summary>
    /// Whether <paramref name="act"/> (a <see cref="Kernels.Activation"/> value) is one these passes
    /// fuse; a negative LeakyReLU slope would make the output's sign differ from the pre-activation's.
    /// </summary>
    public static bool Fuses(int act, float alpha) => act is 0 or 1 || (act == 2 && alpha >= 0f);

    /// <summary>The fused activation of v: ReLU (1), LeakyReLU (2) with slope a, else v (as CpuBackend's activation pass).</summary>
    static Vector<float> Activate<T>(Vector<float> v, Vector<float> a) where T : struct, IAct => T.Kind switch
    {
        1 => Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero),
        2 => Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * a),
        _ => v,
    };

    static float Activate<T>(float v, float alpha) where T : struct, IAct => T.Kind switch
    {
        1 => v > 0f ? v : 0f,
        2 => v > 0f ? v : alpha * v,
        _ => v,
    };

    /// <summary>
    /// dy·act'(z), z = centred·scale + shift the forward's pre-activation, act' = 1 where z > 0, else
    /// the slope (0 for ReLU), as the activation backward's from the output.
    /// </summary>
    static Vector<float> Through<T>(Vector<float> dy, Vector<float> centred, Vector<float> scale, Vector<float> shift, Vector<float> slope) where T : struct, IAct =>
        T.Kind == 0 ? dy : dy * Vector.ConditionalSelect(Vector.GreaterThan(Vector.FusedMultiplyAdd(centred, scale, shift), Vector<float>.Zero), Vector<float>.One, slope);

    static float Through<T>(float dy, float centred, float scale, float shift, float slope) where T : struct, IAct =>
        T.Kind == 0 ? dy : dy * (MathF.FusedMultiplyAdd(centred, scale, shift) > 0f ? 1f : slope);

    /// <summary>dst = act(src·scale + shift) (TensorPrimitives has no span·scalar + scalar).</summary>
    static void ScaleShift<T>(ReadOnlySpan<float> src, Span<float> dst, float scale, float shift, float alpha) where T : struct, IAct
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = new Vector<float>(scale); var vb = new Vector<float>(shift); var va = new Vector<float>(alpha);
            for (; i <= src.Length - Vector<float>.Count; i += Vector<float>.Count)
                Activate<T>(Vector.FusedMultiplyAdd(new Vector<float>(src[i..]), vs, vb), va).CopyTo(dst[i..]);
        }
        for (; i < src.Length; i++) dst[i] = Activate<T>(MathF.FusedMultiplyAdd(src[i], scale, shift), alpha);
    }

    static Span<float> Plane(float* t, int i, int c, int channels, int plane) => new(t + ((long)i * channels + c) * plane, plane);

    /// <summary>
    /// Train-mode forward: one pass for the statistics (sums of x − shift and of its squares, shifted
    /// by the channel's first value so that the variance does not cancel when the mean is far from 0;
    /// per-plane partial sums in double), one pass for y = act(x·scale + shift). Two reads of x and one
    /// write of y, against five passes when the centred values were staged in y (docs/perf-conv.md).
    /// </summary>
    public static void ForwardTrain(float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float* y, float* saveMean, float* saveInvStd, int n, int channels, int plane, float momentum, float eps, int threads,
        int act = 0, float alpha = 0f)
    {
        if (!Fuses(act, alpha)) throw new ArgumentOutOfRangeException(nameof(act), $"activation {act} is not fused here");
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
                    switch (act)
                    {
                        case 0: Normalise<NoAct>(Plane(x, i, c, channels, plane), Plane(y, i, c, channels, plane), mean, scale, beta[c], alpha); break;
                        case 1: Normalise<Relu>(Plane(x, i, c, channels, plane), Plane(y, i, c, channels, plane), mean, scale, beta[c], alpha); break;
                        default: Normalise<Leaky>(Plane(x, i, c, channels, plane), Plane(y, i, c, channels, plane), mean, scale, beta[c], alpha); break;
                    }
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

    /// <summary>
    /// (Σg, Σg·(x − mean)) of one plane, g = dy·act'(z) (<see cref="Through{T}(Vector{float}, Vector{float}, Vector{float}, Vector{float}, Vector{float})"/>;
    /// scale, shift: the forward's), in SIMD lanes and summed in double.
    /// </summary>
    static (double SumDy, double SumDyCentred) GradSums<T>(float* x, float* dy, int length, float mean, float scale, float shift, float slope) where T : struct, IAct
    {
        int i = 0;
        double sum = 0, dot = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<float>.Count)
        {
            var m = new Vector<float>(mean); var vscale = new Vector<float>(scale); var vshift = new Vector<float>(shift); var vslope = new Vector<float>(slope);
            Vector<float> s1 = default, s2 = default;
            for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var centred = *(Vector<float>*)(x + i) - m;
                var g = Through<T>(*(Vector<float>*)(dy + i), centred, vscale, vshift, vslope);
                s1 += g;
                s2 = Vector.FusedMultiplyAdd(g, centred, s2);
            }
            sum = Vector.Sum(s1); dot = Vector.Sum(s2);
        }
        for (; i < length; i++)
        {
            float centred = x[i] - mean;
            float g = Through<T>(dy[i], centred, scale, shift, slope);
            sum += g; dot += g * centred;
        }
        return (sum, dot);
    }

    /// <summary>
    /// dst = act((x − mean)·scale + shift) in one pass. x − mean is formed first, as in the reference,
    /// so a mean far from 0 does not cancel digits.
    /// </summary>
    static void Normalise<T>(ReadOnlySpan<float> x, Span<float> dst, float mean, float scale, float shift, float alpha) where T : struct, IAct
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<float>(mean); var va = new Vector<float>(scale); var vs = new Vector<float>(shift); var valpha = new Vector<float>(alpha);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                Activate<T>(Vector.FusedMultiplyAdd(new Vector<float>(x[i..]) - vm, va, vs), valpha).CopyTo(dst[i..]);
        }
        for (; i < x.Length; i++)
            dst[i] = Activate<T>(MathF.FusedMultiplyAdd(x[i] - mean, scale, shift), alpha);
    }

    /// <summary>
    /// dst = (x − mean)·a + g·b + shift in one pass, g = dy·act'(z) as in <see cref="GradSums"/>
    /// (zScale, zShift: the forward's scale and shift).
    /// </summary>
    static void Combine<T>(float* x, float* dy, float* dst, int length, float mean, float a, float b, float shift,
        float zScale, float zShift, float slope) where T : struct, IAct
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<float>(mean); var va = new Vector<float>(a); var vb = new Vector<float>(b); var vs = new Vector<float>(shift);
            var vzs = new Vector<float>(zScale); var vzb = new Vector<float>(zShift); var vslope = new Vector<float>(slope);
            for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var centred = *(Vector<float>*)(x + i) - vm;
                var rest = Vector.FusedMultiplyAdd(Through<T>(*(Vector<float>*)(dy + i), centred, vzs, vzb, vslope), vb, vs);
                *(Vector<float>*)(dst + i) = Vector.FusedMultiplyAdd(centred, va, rest);
            }
        }
        for (; i < length; i++)
        {
            float centred = x[i] - mean;
            dst[i] = MathF.FusedMultiplyAdd(centred, a, MathF.FusedMultiplyAdd(Through<T>(dy[i], centred, zScale, zShift, slope), b, shift));
        }
    }

    public static void ForwardEval(float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float* y, int n, int channels, int plane, float eps, int threads, int act = 0, float alpha = 0f)
    {
        if (!Fuses(act, alpha)) throw new ArgumentOutOfRangeException(nameof(act), $"activation {act} is not fused here");
        CpuParallel.For(channels, (long)channels * n * plane, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float scale = gamma[c] / MathF.Sqrt(runningVar[c] + eps), shift = beta[c] - runningMean[c] * scale;
                for (int i = 0; i < n; i++)
                {
                    var yp = Plane(y, i, c, channels, plane);
                    switch (act)
                    {
                        case 0: ScaleShift<NoAct>(Plane(x, i, c, channels, plane), yp, scale, shift, alpha); break;
                        case 1: ScaleShift<Relu>(Plane(x, i, c, channels, plane), yp, scale, shift, alpha); break;
                        default: ScaleShift<Leaky>(Plane(x, i, c, channels, plane), yp, scale, shift, alpha); break;
                    }
                }
            }
        });
    }

    /// <summary>
    /// dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)), M = n·plane; dγ (+)= Σ(dy·x̂), dβ (+)= Σdy.
    /// dx must not overlap x or dy. With a fused activation (act 1 or 2), dy is dL/d(act's output) and
    /// act' comes from the pre-activation recomputed from x, γ, β and the saved statistics (β is only
    /// read then): they must be the forward's.
    /// </summary>
    public static void Backward(float* x, float* dy, float* gamma, float* saveMean, float* saveInvStd,
        float* dx, float* dgamma, float* dbeta, int n, int channels, int plane, bool accumulate, int threads,
        float* beta = null, int act = 0, float alpha = 0f)
    {
        if (!Fuses(act, alpha)) throw new ArgumentOutOfRangeException(nameof(act), $"activation {act} is not fused here");
        if (act != 0 && beta == null) throw new ArgumentNullException(nameof(beta), "a fused activation's backward needs β for the pre-activation");
        float slope = act == 2 ? alpha : 0f;
        // Two passes: the sums (reading x and dy), then dx = (x − mean)·a + dy·b + shift (reading both again),
        // with nothing staged in dx in between.
        int count = n * plane;
        CpuParallel.For(channels, (long)channels * count, threads, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                float mean = saveMean[c], invStd = saveInvStd[c];
                // The forward's z = (x − mean)·scale + β, with its float scale.
                float zScale = gamma[c] * invStd, zShift = act == 0 ? 0f : beta[c];
                double sumDy = 0, sumDyCentred = 0;
                for (int i = 0; i < n; i++)
                {
                    long o = ((long)i * channels + c) * plane;
                    var (s1, s2) = act switch
                    {
                        0 => GradSums<NoAct>(x + o, dy + o, plane, mean, zScale, zShift, slope),
                        1 => GradSums<Relu>(x + o, dy + o, plane, mean, zScale, zShift, slope),
                        _ => GradSums<Leaky>(x + o, dy + o, plane, mean, zScale, zShift, slope),
                    };
                    sumDy += s1; sumDyCentred += s2;
                }
                double sumDyXhat = sumDyCentred * invStd;
                double k = (double)gamma[c] * invStd / count;
                // dx = (x − mean)·(−k·invstd·Σdyx̂) + dy·(k·M) − k·Σdy
                double aCentred = -k * invStd * sumDyXhat;
                float a = (float)aCentred, b = (float)(k * count), shift = (float)(-k * sumDy);
                for (int i = 0; i < n; i++)
                {
                    long o = ((long)i * channels + c) * plane;
                    switch (act)
                    {
                        case 0: Combine<NoAct>(x + o, dy + o, dx + o, plane, mean, a, b, shift, zScale, zShift, slope); break;
                        case 1: Combine<Relu>(x + o, dy + o, dx + o, plane, mean, a, b, shift, zScale, zShift, slope); break;
                        default: Combine<Leaky>(x + o, dy + o, dx + o, plane, mean, a, b, shift, zScale, zShift, slope); break;
                    }
                }
                dgamma[c] = accumulate ? dgamma[c] + (float)sumDyXhat : (float)sumDyXhat;
                dbeta[c] = accumulate ? dbeta[c] + (float)sumDy : (float)sumDy;
            }
        });
    }
}
