namespace IlgpuGan.Kernels;

/// <summary>
/// float64 references for Conv2d and ConvTranspose2d (NCHW, torch's weight layouts, no groups), as
/// direct loops over every (image, column-side channel, column-side position, image channel, kernel
/// tap): the definition, nothing clever. Tensors are described by <see cref="ConvArgs"/>: a Conv2d's
/// input is the image side and its output the column side; a ConvTranspose2d's input is the column
/// side and its output the image side. Either way the weight is [ColC, ImC, KH, KW].
/// </summary>
public static class ConvReference
{
    /// <summary>
    /// Calls tap(imageIndex, colSideIndex, weightIndex) for every pair that the convolution connects:
    /// image[n, ci, oh·s − p + kh·d, ow·s − p + kw·d] with colSide[n, co, oh, ow] through
    /// w[co, ci, kh, kw]. Padding taps are skipped (they multiply zeros). Tests that build their own
    /// float64 layers (the double backward's) walk the same taps.
    /// </summary>
    public static void ForEachTap(ConvArgs a, Action<int, int, int> tap)
    {
        for (int n = 0; n < a.N; n++)
            for (int co = 0; co < a.ColC; co++)
                for (int oh = 0; oh < a.ColH; oh++)
                    for (int ow = 0; ow < a.ColW; ow++)
                        for (int ci = 0; ci < a.ImC; ci++)
                            for (int kh = 0; kh < a.KH; kh++)
                                for (int kw = 0; kw < a.KW; kw++)
                                {
                                    int ih = oh * a.StrideH - a.PadH + kh * a.DilationH;
                                    int iw = ow * a.StrideW - a.PadW + kw * a.DilationW;
                                    if (ih < 0 || ih >= a.ImH || iw < 0 || iw >= a.ImW) continue;
                                    tap(((n * a.ImC + ci) * a.ImH + ih) * a.ImW + iw,
                                        ((n * a.ColC + co) * a.ColH + oh) * a.ColW + ow,
                                        ((co * a.ImC + ci) * a.KH + kh) * a.KW + kw);
                                }
    }

    static int ImageLength(ConvArgs a) => a.N * a.ImC * a.ImH * a.ImW;
    static int ColSideLength(ConvArgs a) => a.N * a.ColC * a.ColH * a.ColW;
    static int WeightLength(ConvArgs a) => a.ColC * a.ImC * a.KH * a.KW;

    /// <summary>Per-channel sum over images and positions of an NCHW tensor: every bias gradient.</summary>
    public static double[] ChannelSums(ReadOnlySpan<float> dy, int n, int channels, int plane)
    {
        var db = new double[channels];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++) db[c] += dy[(i * channels + c) * plane + p];
        return db;
    }

    static void AddBias(double[] y, ReadOnlySpan<float> bias, int n, int channels, int plane)
    {
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++) y[(i * channels + c) * plane + p] += bias[c];
    }

    // ---- Conv2d: x is the image side, y the column side, w is [COut, CIn, KH, KW] ----

    /// <summary>y[n, co, oh, ow] = b[co] + Σ w[co, ci, kh, kw]·x[n, ci, oh·s − p + kh·d, ow·s − p + kw·d]; bias may be empty.</summary>
    public static double[] Conv2dForward(float[] x, float[] w, float[]? bias, ConvArgs a)
    {
        var y = new double[ColSideLength(a)];
        ForEachTap(a, (im, col, wi) => y[col] += (double)w[wi] * x[im]);
        if (bias is not null) AddBias(y, bias, a.N, a.ColC, a.ColPlane);
        return y;
    }

    /// <summary>dx = ∂(Σ dy·y)/∂x.</summary>
    public static double[] Conv2dInputGrad(float[] dy, float[] w, ConvArgs a)
    {
        var dx = new double[ImageLength(a)];
        ForEachTap(a, (im, col, wi) => dx[im] += (double)w[wi] * dy[col]);
        return dx;
    }

    /// <summary>dw = ∂(Σ dy·y)/∂w.</summary>
    public static double[] Conv2dWeightGrad(float[] x, float[] dy, ConvArgs a)
    {
        var dw = new double[WeightLength(a)];
        ForEachTap(a, (im, col, wi) => dw[wi] += (double)dy[col] * x[im]);
        return dw;
    }

    /// <summary>db[co] = Σ dy[n, co, ·, ·].</summary>
    public static double[] Conv2dBiasGrad(float[] dy, ConvArgs a) => ChannelSums(dy, a.N, a.ColC, a.ColPlane);

    // ---- ConvTranspose2d: x is the column side, y the image side, w is [CIn, COut, KH, KW] ----

    /// <summary>y[n, co, ih·s − p + kh·d, …] += w[ci, co, kh, kw]·x[n, ci, ih, iw]: each input pixel scatters a weighted kernel; plus b[co].</summary>
    public static double[] ConvTranspose2dForward(float[] x, float[] w, float[]? bias, ConvArgs a)
    {
        var y = new double[ImageLength(a)];
        ForEachTap(a, (im, col, wi) => y[im] += (double)w[wi] * x[col]);
        if (bias is not null) AddBias(y, bias, a.N, a.ImC, a.ImH * a.ImW);
        return y;
    }

    public static double[] ConvTranspose2dInputGrad(float[] dy, float[] w, ConvArgs a)
    {
        var dx = new double[ColSideLength(a)];
        ForEachTap(a, (im, col, wi) => dx[col] += (double)w[wi] * dy[im]);
        return dx;
    }

    public static double[] ConvTranspose2dWeightGrad(float[] x, float[] dy, ConvArgs a)
    {
        var dw = new double[WeightLength(a)];
        ForEachTap(a, (im, col, wi) => dw[wi] += (double)x[col] * dy[im]);
        return dw;
    }

    public static double[] ConvTranspose2dBiasGrad(float[] dy, ConvArgs a) => ChannelSums(dy, a.N, a.ImC, a.ImH * a.ImW);

    /// <summary>The batched column matrix im2col builds, [ImC·KH·KW, N·ColH·ColW], for checking the layout kernels.</summary>
    public static double[] Im2Col(float[] image, ConvArgs a)
    {
        var cols = new double[(long)a.Rows * a.Cols];
        for (int n = 0; n < a.N; n++)
            for (int ci = 0; ci < a.ImC; ci++)
                for (int kh = 0; kh < a.KH; kh++)
                    for (int kw = 0; kw < a.KW; kw++)
                        for (int oh = 0; oh < a.ColH; oh++)
                            for (int ow = 0; ow < a.ColW; ow++)
                            {
                                int ih = oh * a.StrideH - a.PadH + kh * a.DilationH, iw = ow * a.StrideW - a.PadW + kw * a.DilationW;
                                if (ih < 0 || ih >= a.ImH || iw < 0 || iw >= a.ImW) continue;
                                int r = (ci * a.KH + kh) * a.KW + kw;
                                cols[(long)r * a.Cols + n * a.ColPlane + oh * a.ColW + ow] = image[((n * a.ImC + ci) * a.ImH + ih) * a.ImW + iw];
                            }
        return cols;
    }

    /// <summary>col2im: the adjoint of <see cref="Im2Col"/>, each column entry added back to the pixel it came from.</summary>
    public static double[] Col2Im(float[] cols, ConvArgs a)
    {
        var image = new double[ImageLength(a)];
        for (int n = 0; n < a.N; n++)
            for (int ci = 0; ci < a.ImC; ci++)
                for (int kh = 0; kh < a.KH; kh++)
                    for (int kw = 0; kw < a.KW; kw++)
                        for (int oh = 0; oh < a.ColH; oh++)
                            for (int ow = 0; ow < a.ColW; ow++)
                            {
                                int ih = oh * a.StrideH - a.PadH + kh * a.DilationH, iw = ow * a.StrideW - a.PadW + kw * a.DilationW;
                                if (ih < 0 || ih >= a.ImH || iw < 0 || iw >= a.ImW) continue;
                                int r = (ci * a.KH + kh) * a.KW + kw;
                                image[((n * a.ImC + ci) * a.ImH + ih) * a.ImW + iw] += cols[(long)r * a.Cols + n * a.ColPlane + oh * a.ColW + ow];
                            }
        return image;
    }
}
