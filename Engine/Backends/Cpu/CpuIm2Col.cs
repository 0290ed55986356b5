using System.Numerics.Tensors;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// The managed layout passes behind <see cref="CpuConv"/>, with the ILGPU kernels' layouts
/// (<see cref="ConvKernels"/>): the column matrix cols[ImC·KH·KW, N·ColH·ColW], NCHW tensors, and the
/// channel-major [C, N·HW] form the batched GEMM reads and writes. Work is cut along the axis whose
/// pieces are disjoint in the output, so threads never write the same float and the results do not
/// depend on the thread count.
/// </summary>
static unsafe class CpuIm2Col
{
    /// <summary>
    /// Builds the column matrix (ldCols = its row length, N·ColPlane for the batch or ColPlane for one
    /// image with a.N = 1). Each (row, image) pair is a run of ColH rows of ColW values: a strided read
    /// of one input row with zeros where the window hangs over the padding.
    /// </summary>
    public static void Im2Col(float* image, float* cols, ConvArgs a, long ldCols, int threads)
    {
        int rows = a.Rows;
        CpuParallel.For(rows * a.N, (long)rows * a.Cols, threads, (start, end) =>
        {
            for (int item = start; item < end; item++) Im2ColRun(image, cols, a, ldCols, item / a.N, item % a.N);
        });
    }

    static void Im2ColRun(float* image, float* cols, ConvArgs a, long ldCols, int r, int n)
    {
        int kw = r % a.KW, kh = r / a.KW % a.KH, c = r / (a.KW * a.KH);
        float* dst = cols + r * ldCols + (long)n * a.ColPlane;
        float* plane = image + (long)(n * a.ImC + c) * a.ImH * a.ImW;
        int sw = a.StrideW, offW = kw * a.DilationW - a.PadW;
        // Output columns whose input column ow·sw + offW lies inside [0, ImW).
        int owLo = offW >= 0 ? 0 : Math.Min(a.ColW, (-offW + sw - 1) / sw);
        int owHi = Math.Clamp((a.ImW - 1 - offW) / sw + 1, owLo, a.ColW);
        if (a.ImW - 1 - offW < 0) owHi = owLo;
        for (int oh = 0; oh < a.ColH; oh++, dst += a.ColW)
        {
            int ih = oh * a.StrideH - a.PadH + kh * a.DilationH;
            if (ih < 0 || ih >= a.ImH || owLo >= owHi)
            {
                new Span<float>(dst, a.ColW).Clear();
                continue;
            }
            for (int ow = 0; ow < owLo; ow++) dst[ow] = 0f;
            float* src = plane + (long)ih * a.ImW + offW;
            if (sw == 1) new Span<float>(src + owLo, owHi - owLo).CopyTo(new Span<float>(dst + owLo, owHi - owLo));
            else for (int ow = owLo; ow < owHi; ow++) dst[ow] = src[ow * sw];
            for (int ow = owHi; ow < a.ColW; ow++) dst[ow] = 0f;
        }
    }

    /// <summary>
    /// image (+)= col2im(cols): each column entry added back to the pixel it was read from. Threads
    /// own whole (image, channel) planes, and within a plane the taps are added in a fixed order.
    /// </summary>
    public static void Col2Im(float* cols, float* image, ConvArgs a, long ldCols, bool accumulate, int threads)
    {
        int planeLen = a.ImH * a.ImW;
        CpuParallel.For(a.N * a.ImC, (long)a.Rows * a.Cols, threads, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int n = item / a.ImC, c = item % a.ImC;
                float* plane = image + (long)item * planeLen;
                if (!accumulate) new Span<float>(plane, planeLen).Clear();
                for (int kh = 0; kh < a.KH; kh++)
                    for (int kw = 0; kw < a.KW; kw++)
                        Col2ImRun(cols + ((c * a.KH + kh) * a.KW + kw) * ldCols + (long)n * a.ColPlane, plane, a, kh, kw);
            }
        });
    }

    static void Col2ImRun(float* src, float* plane, ConvArgs a, int kh, int kw)
    {
        int sw = a.StrideW, offW = kw * a.DilationW - a.PadW;
        int owLo = offW >= 0 ? 0 : Math.Min(a.ColW, (-offW + sw - 1) / sw);
        int owHi = a.ImW - 1 - offW < 0 ? owLo : Math.Clamp((a.ImW - 1 - offW) / sw + 1, owLo, a.ColW);
        if (owLo >= owHi) return;
        for (int oh = 0; oh < a.ColH; oh++, src += a.ColW)
        {
            int ih = oh * a.StrideH - a.PadH + kh * a.DilationH;
            if (ih < 0 || ih >= a.ImH) continue;
            float* dst = plane + (long)ih * a.ImW + offW;
            if (sw == 1)
            {
                var d = new Span<float>(dst + owLo, owHi - owLo);
                TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + owLo, owHi - owLo), d);
            }
            else for (int ow = owLo; ow < owHi; ow++) dst[ow * sw] += src[ow];
        }
    }

    /// <summary>
    /// dst[b, o, s] = src[o, b, s] (+ bias[o]) for src [outer, mid, inner]: between NCHW and the GEMM's
    /// channel-major layout, runs of inner floats at a time; the conv bias rides along for free.
    /// </summary>
    public static void SwapOuter(float* src, float* dst, float* bias, int outer, int mid, int inner, int threads)
    {
        CpuParallel.For(mid, (long)outer * mid * inner, threads, (start, end) =>
        {
            for (int b = start; b < end; b++)
                for (int o = 0; o < outer; o++)
                {
                    var s = new ReadOnlySpan<float>(src + ((long)o * mid + b) * inner, inner);
                    var d = new Span<float>(dst + ((long)b * outer + o) * inner, inner);
                    if (bias is null) s.CopyTo(d);
                    else TensorPrimitives.Add(s, bias[o], d);
                }
        });
    }

    /// <summary>y[n, c, ·] += bias[c].</summary>
    public static void AddChannelBias(float* y, float* bias, int n, int channels, int plane)
    {
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
            {
                var d = new Span<float>(y + ((long)i * channels + c) * plane, plane);
                TensorPrimitives.Add(d, bias[c], d);
            }
    }

    /// <summary>db[c] (+)= Σ dy[n, c, ·]: summed per plane, planes in image order.</summary>
    public static void ChannelSums(float* dy, float* db, int n, int channels, int plane, bool accumulate)
    {
        for (int c = 0; c < channels; c++)
        {
            float sum = 0f;
            for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(dy + ((long)i * channels + c) * plane, plane));
            db[c] = accumulate ? db[c] + sum : sum;
        }
    }
}
