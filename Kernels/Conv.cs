using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// One convolution's geometry as the kernels take it, by value: the image side (ImC×ImH×ImW, whose
/// KH×KW windows become column-matrix rows) and the column side (ColC×ColH×ColW, one column per
/// window position), for N images. A Conv2d reads its input as the image side and writes its output
/// on the column side; a ConvTranspose2d is the same pair the other way round. The engine builds it
/// from its Conv2dGeometry; kernels never derive sizes themselves.
/// </summary>
public struct ConvArgs
{
    public int N, ImC, ImH, ImW, ColC, ColH, ColW, KH, KW, StrideH, StrideW, PadH, PadW, DilationH, DilationW;

    /// <summary>Rows of the column matrix: (image channel, kernel row, kernel column).</summary>
    public readonly int Rows => ImC * KH * KW;
    /// <summary>Column-side positions of one image.</summary>
    public readonly int ColPlane => ColH * ColW;
    /// <summary>Columns of the batched column matrix: (image, column-side position).</summary>
    public readonly int Cols => N * ColH * ColW;
}

/// <summary>
/// The layout kernels that turn Conv2d and ConvTranspose2d into the existing GEMM: im2col builds the
/// batched column matrix cols[ImC·KH·KW, N·ColH·ColW] (one launch for the batch, so the GEMM that
/// follows sees the whole batch as one wide product), col2im folds such a matrix back into an NCHW
/// image, and <see cref="SwapOuter"/> moves between NCHW [N, C, HW] and the GEMM's channel-major
/// [C, N·HW]. With Wm the weight as a [ColC, ImC·KH·KW] matrix:
/// column side (channel-major) = Wm·cols, cols = Wmᵀ·(column side), dWm = (column side)·colsᵀ.
/// </summary>
public static class ConvKernels
{
    /// <summary>
    /// cols[r, n·ColPlane + p] = image[n, c, oh·s − pad + kh·d, ow·s − pad + kw·d] (zero outside), with
    /// r = (c, kh, kw) and p = (oh, ow). One thread per column-matrix element, walking it in storage
    /// order so the writes coalesce; the reads of neighbouring threads are neighbouring pixels at stride 1.
    /// </summary>
    public static void Im2Col(ArrayView<float> image, ArrayView<float> cols, ConvArgs a)
    {
        int plane = a.ColPlane, width = a.Cols;
        long total = (long)a.Rows * width;
        for (long i = Grid.GlobalIndex.X; i < total; i += GridStride.Step)
        {
            int at = (int)i;   // every conv tensor fits an int (the geometry checks it): 32-bit division is far cheaper on a GPU
            int r = at / width, j = at - r * width;
            cols[i] = Tap(image, a, r, j / plane, j % plane);
        }
    }

    /// <summary>The image value under kernel tap r at column-side position p of image n, or 0 in the padding.</summary>
    static float Tap(ArrayView<float> image, ConvArgs a, int r, int n, int p)
    {
        int kw = r % a.KW, kh = r / a.KW % a.KH, c = r / (a.KW * a.KH);
        int ih = p / a.ColW * a.StrideH - a.PadH + kh * a.DilationH;
        int iw = p % a.ColW * a.StrideW - a.PadW + kw * a.DilationW;
        if (ih < 0 || ih >= a.ImH || iw < 0 || iw >= a.ImW) return 0f;
        return image[((long)(n * a.ImC + c) * a.ImH + ih) * a.ImW + iw];
    }

    /// <summary>
    /// image[n, c, ih, iw] (+)= Σ cols[(c, kh, kw), n·ColPlane + (oh, ow)] over the taps that read
    /// (ih, iw). A gather, one thread per image element: no atomics, so results are deterministic and
    /// the same on every backend. Only kernel offsets with (ih + pad − kh·d) divisible by the stride
    /// land on a window position.
    /// </summary>
    public static void Col2Im(ArrayView<float> cols, ArrayView<float> image, ConvArgs a, int accumulate)
    {
        long total = (long)a.N * a.ImC * a.ImH * a.ImW;
        for (long i = Grid.GlobalIndex.X; i < total; i += GridStride.Step)
        {
            float sum = Gather(cols, a, (int)i);
            image[i] = accumulate != 0 ? image[i] + sum : sum;
        }
    }

    /// <summary>The sum col2im stores at image element i.</summary>
    static float Gather(ArrayView<float> cols, ConvArgs a, int i)
    {
        int iw = i % a.ImW, rest = i / a.ImW;
        int ih = rest % a.ImH;
        rest /= a.ImH;
        int c = rest % a.ImC, n = rest / a.ImC;
        int width = a.Cols;
        float sum = 0f;
        for (int kh = 0; kh < a.KH; kh++)
        {
            int th = ih + a.PadH - kh * a.DilationH;
            if (th < 0 || th % a.StrideH != 0) continue;
            int oh = th / a.StrideH;
            if (oh >= a.ColH) continue;
            for (int kw = 0; kw < a.KW; kw++)
            {
                int tw = iw + a.PadW - kw * a.DilationW;
                if (tw < 0 || tw % a.StrideW != 0) continue;
                int ow = tw / a.StrideW;
                if (ow >= a.ColW) continue;
                int r = (c * a.KH + kh) * a.KW + kw;
                sum += cols[(long)r * width + (long)n * a.ColPlane + oh * a.ColW + ow];
            }
        }
        return sum;
    }

    /// <summary>
    /// dst[b, o, s] = src[o, b, s] (+ bias[o] when hasBias): src is [outer, mid, inner], dst
    /// [mid, outer, inner]. With (outer, mid) = (C, N) it turns the GEMM's channel-major output into
    /// NCHW, adding the per-channel bias on the way; with (N, C) it makes NCHW channel-major for the
    /// GEMM. Threads walk dst in order, so writes coalesce and reads are runs of inner.
    /// </summary>
    public static void SwapOuter(ArrayView<float> src, ArrayView<float> dst, ArrayView<float> bias, int outer, int mid, int inner, int hasBias)
    {
        long total = (long)outer * mid * inner;
        for (long i = Grid.GlobalIndex.X; i < total; i += GridStride.Step)
        {
            int at = (int)i, s = at % inner, rest = at / inner;
            int o = rest % outer, b = rest / outer;
            float v = src[((long)o * mid + b) * inner + s];
            dst[i] = hasBias != 0 ? v + bias[o] : v;
        }
    }

    /// <summary>y[n, c, s] += bias[c] over an NCHW tensor (the per-image and transposed paths' bias).</summary>
    public static void AddChannelBias(ArrayView<float> y, ArrayView<float> bias, int n, int channels, int plane)
    {
        long total = (long)n * channels * plane;
        for (long i = Grid.GlobalIndex.X; i < total; i += GridStride.Step)
            y[i] += bias[(int)i / plane % channels];
    }

    /// <summary>
    /// db[c] (+)= Σ dy[n, c, s] over n and s: the conv bias gradient. One group per channel (groups
    /// stride over channels), each thread summing a strided share, then a tree in shared memory.
    /// </summary>
    public static void ChannelBiasGrad(ArrayView<float> dy, ArrayView<float> db, int n, int channels, int plane, int accumulate)
    {
        var partial = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        var unused = SharedMemory.Allocate<float>(LossKernels.ReduceThreads);
        int t = Group.IdxX, count = n * plane;
        for (int c = Grid.IdxX; c < channels; c += Grid.DimX)
        {
            float sum = 0f;
            for (int i = t; i < count; i += Group.DimX)
                sum += dy[((long)(i / plane) * channels + c) * plane + i % plane];
            partial[t] = sum;
            unused[t] = 0f;
            GroupReduce.SumPair(partial, unused);
            if (t == 0) db[c] = accumulate != 0 ? db[c] + partial[0] : partial[0];
            Group.Barrier();   // partial[0] is read before the next channel overwrites it
        }
    }
}
