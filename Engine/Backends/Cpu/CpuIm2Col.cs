using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// The managed layout passes behind <see cref="CpuConv"/>, with the ILGPU kernels' layouts
/// (<see cref="ConvKernels"/>): the column matrix cols[ImC·KH·KW, N·ColH·ColW], NCHW tensors, and the
/// channel-major [C, N·HW] form the batched GEMM reads and writes. Work is cut along the axis whose
/// pieces are disjoint in the output, so threads never write the same float and the results do not
/// depend on the thread count.
/// </summary>
public static unsafe class CpuIm2Col
{
    /// <summary>
    /// The tap table: for each kernel offset (kh, kw) and each column-side position p, the offset of
    /// the pixel it reads within one image plane, or −1 in the padding. The same for every image and
    /// channel, so it is built once per layer (KH·KW·ColH·ColW ints) and turns im2col and col2im into
    /// table-driven gathers and scatters with no per-row index arithmetic: the DCGAN's 7×7 layers have
    /// rows of only 7 values, where that arithmetic cost more than the copying.
    /// </summary>
    public static int[] TapTable(ConvArgs a)
    {
        int plane = a.ColPlane;
        var table = GC.AllocateUninitializedArray<int>(a.KH * a.KW * plane, pinned: true);
        for (int kh = 0; kh < a.KH; kh++)
            for (int kw = 0; kw < a.KW; kw++)
                for (int oh = 0; oh < a.ColH; oh++)
                    for (int ow = 0; ow < a.ColW; ow++)
                    {
                        int ih = oh * a.StrideH - a.PadH + kh * a.DilationH, iw = ow * a.StrideW - a.PadW + kw * a.DilationW;
                        table[(kh * a.KW + kw) * plane + oh * a.ColW + ow] = ih < 0 || ih >= a.ImH || iw < 0 || iw >= a.ImW ? -1 : ih * a.ImW + iw;
                    }
        return table;
    }

    /// <summary>
    /// Builds the column matrix (ldCols = its row length, N·ColPlane for the batch or ColPlane for one
    /// image with a.N = 1): the k4 s2 p1 block as row permutes (<see cref="CpuK4S2P1"/>, with AVX-512),
    /// every other geometry from the tap table (<see cref="Im2ColTaps"/>).
    /// </summary>
    public static void Im2Col(float* image, float* cols, ConvArgs a, long ldCols, int* taps, int threads)
    {
        if (CpuK4S2P1.Fits(a)) CpuK4S2P1.Im2Col(image, cols, a, ldCols, threads);
        else Im2ColTaps(image, cols, a, ldCols, taps, threads);
    }

    /// <summary>
    /// im2col through the tap table, for any geometry: each (row, image) pair is one image plane
    /// gathered through the table's row for the row's kernel offset.
    /// </summary>
    internal static void Im2ColTaps(float* image, float* cols, ConvArgs a, long ldCols, int* taps, int threads)
    {
        int rows = a.Rows;
        CpuParallel.For(rows * a.N, (long)rows * a.Cols, threads, (start, end) =>
        {
            int plane = a.ColPlane, kk = a.KH * a.KW, imPlane = a.ImH * a.ImW;
            for (int item = start; item < end; item++)
            {
                int r = item / a.N, n = item % a.N;
                int* t = taps + (r % kk) * plane;
                float* src = image + (long)(n * a.ImC + r / kk) * imPlane;
                float* dst = cols + r * ldCols + (long)n * plane;
                int p = 0;
                if (Avx2.IsSupported)
                {
                    // Eight taps per masked hardware gather; padding lanes (index −1) read nothing and store 0.
                    for (; p <= plane - 8; p += 8)
                    {
                        var idx = Avx.LoadVector256(t + p);
                        var mask = Avx2.CompareGreaterThan(idx, Vector256<int>.AllBitsSet).AsSingle();
                        Avx.Store(dst + p, Avx2.GatherMaskVector256(Vector256<float>.Zero, src, idx, mask, 4));
                    }
                }
                for (; p < plane; p++)
                {
                    int at = t[p];
                    dst[p] = at >= 0 ? src[at] : 0f;
                }
            }
        });
    }

    /// <summary>
    /// image (+)= col2im(cols): each column entry added back to the pixel it was read from. The k4 s2 p1
    /// block as a gather of whole rows (<see cref="CpuK4S2P1"/> with AVX-512, else
    /// <see cref="Col2ImK4S2P1"/>), every other geometry through the tap table. Threads own whole
    /// (image, channel) planes, and within a plane the taps are added in a fixed order, so the result
    /// does not depend on the thread count.
    /// </summary>
    public static void Col2Im(float* cols, float* image, ConvArgs a, long ldCols, int* taps, bool accumulate, int threads)
    {
        if (CpuK4S2P1.Fits(a)) CpuK4S2P1.Col2Im(cols, image, a, ldCols, accumulate, threads);
        else if (IsK4S2P1(a)) Col2ImK4S2P1(cols, image, a, ldCols, accumulate, threads);
        else Col2ImTaps(cols, image, a, ldCols, taps, accumulate, threads);
    }

    /// <summary>col2im through the tap table, for any geometry.</summary>
    internal static void Col2ImTaps(float* cols, float* image, ConvArgs a, long ldCols, int* taps, bool accumulate, int threads)
    {
        int planeLen = a.ImH * a.ImW;
        CpuParallel.For(a.N * a.ImC, (long)a.Rows * a.Cols, threads, (start, end) =>
        {
            int plane = a.ColPlane, kk = a.KH * a.KW;
            for (int item = start; item < end; item++)
            {
                int n = item / a.ImC, c = item % a.ImC;
                float* dst = image + (long)item * planeLen;
                if (!accumulate) new Span<float>(dst, planeLen).Clear();
                for (int k = 0; k < kk; k++)
                {
                    int* t = taps + k * plane;
                    float* src = cols + (c * kk + k) * ldCols + (long)n * plane;
                    for (int p = 0; p < plane; p++)
                    {
                        int at = t[p];
                        if (at >= 0) dst[at] += src[p];
                    }
                }
            }
        });
    }

    /// <summary>
    /// The DCGAN's up/down-sampling block, kernel 4, stride 2, padding 1, no dilation, with the image
    /// exactly twice the column side (7 ↔ 14 ↔ 28, and every layer of the 64×64 DCGAN but its ends).
    /// </summary>
    internal static bool IsK4S2P1(ConvArgs a) =>
        a.KH == 4 && a.KW == 4 && a.StrideH == 2 && a.StrideW == 2 && a.PadH == 1 && a.PadW == 1
        && a.DilationH == 1 && a.DilationW == 1 && a.ImH == 2 * a.ColH && a.ImW == 2 * a.ColW;

    /// <summary>
    /// col2im of a k4 s2 p1 geometry as a gather: pixel (ih, iw) is read by exactly the taps with
    /// kh ≡ ih + 1 (mod 2) and kw ≡ iw + 1 (mod 2), two of each, from column-side rows and columns
    /// i or i ± 1 (ih = 2i: kh 1 at row i, kh 3 at row i − 1; ih = 2i + 1: kh 2 at row i, kh 0 at row
    /// i + 1; the same along w). So each output row is two sums of shifted cols rows, even pixels and
    /// odd pixels, written once: no tap table, no read-modify-write scatter, no clearing pass. The same
    /// values are added as by the general loop, in a fixed order of its own (so the last bits may differ
    /// from it), and threads own whole planes, so the thread count does not change the result.
    /// </summary>
    internal static void Col2ImK4S2P1(float* cols, float* image, ConvArgs a, long ldCols, bool accumulate, int threads)
    {
        int planeLen = a.ImH * a.ImW;
        CpuParallel.For(a.N * a.ImC, (long)a.Rows * a.Cols, threads, (start, end) =>
        {
            int colW = a.ColW, colH = a.ColH, plane = a.ColPlane, imW = a.ImW;
            for (int item = start; item < end; item++)
            {
                int n = item / a.ImC, c = item % a.ImC;
                // Row kh·4 + kw of channel c, at image n: base + (kh·4 + kw)·ldCols.
                float* rows = cols + (long)(c * 16) * ldCols + (long)n * plane;
                float* dst = image + (long)item * planeLen;
                for (int ih = 0; ih < a.ImH; ih++)
                {
                    // The two (kh, oh) pairs that reach this image row; oh out of range contributes nothing.
                    int i = ih >> 1;
                    int khA, ohA, khB, ohB;
                    if ((ih & 1) == 0) { khA = 1; ohA = i; khB = 3; ohB = i - 1; }
                    else { khA = 2; ohA = i; khB = 0; ohB = i + 1; }
                    bool hasA = ohA < colH, hasB = ohB >= 0 && ohB < colH;
                    float* outRow = dst + ih * imW;
                    for (int j = 0; j < colW; j++)
                    {
                        // even pixel 2j: kw 1 at column j, kw 3 at column j − 1;
                        // odd pixel 2j + 1: kw 2 at column j, kw 0 at column j + 1.
                        float even = 0f, odd = 0f;
                        if (hasA)
                        {
                            float* r = rows + khA * 4 * ldCols + ohA * colW;
                            even += r[ldCols + j];
                            if (j > 0) even += r[3 * ldCols + j - 1];
                            odd += r[2 * ldCols + j];
                            if (j + 1 < colW) odd += r[j + 1];
                        }
                        if (hasB)
                        {
                            float* r = rows + khB * 4 * ldCols + ohB * colW;
                            even += r[ldCols + j];
                            if (j > 0) even += r[3 * ldCols + j - 1];
                            odd += r[2 * ldCols + j];
                            if (j + 1 < colW) odd += r[j + 1];
                        }
                        if (accumulate)
                        {
                            outRow[2 * j] += even;
                            outRow[2 * j + 1] += odd;
                        }
                        else
                        {
                            outRow[2 * j] = even;
                            outRow[2 * j + 1] = odd;
                        }
                    }
                }
            }
        });
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
