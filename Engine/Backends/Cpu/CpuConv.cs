using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>How <see cref="CpuConv"/> feeds the GEMM.</summary>
public enum CpuConvStrategy
{
    /// <summary>
    /// One column matrix for the whole batch and one wide GEMM per product (its N is batch·positions),
    /// with a transpose between NCHW and the GEMM's channel-major layout. The default: faster on every
    /// layer of the DCGAN (docs/perf-conv.md).
    /// </summary>
    Batched,
    /// <summary>
    /// One GEMM per image, whose [C, H·W] output is already that image's NCHW slice: no transposes and a
    /// column matrix for one image, but GEMMs as narrow as one image's positions (49 in the DCGAN's
    /// 7×7 layers).
    /// </summary>
    PerImage,
}

/// <summary>
/// Conv2d and ConvTranspose2d on the managed CPU backend: im2col/col2im (<see cref="CpuIm2Col"/>)
/// around <see cref="CpuGemm"/>. One instance per layer geometry: the workspaces (the column matrix
/// and, batched, a channel-major staging tensor) are allocated here, once, so no call allocates.
/// Not thread-safe (the workspaces are shared by its calls), like the backend itself.
///
/// A dense geometry (<see cref="Conv2dGeometry.IsDense"/>: the kernel covers the whole image, as in
/// the DCGAN's first and last layers) skips im2col and runs the Linear layer's three GEMMs directly.
///
/// Every op is one of three products between the geometry's image side and column side
/// (<see cref="Conv2dGeometry"/>), so Conv2d and ConvTranspose2d share them: a Conv2d's forward is
/// the transpose's input gradient, and vice versa. All tensors are dense NCHW; weights as torch
/// stores them ([COut, CIn, KH, KW], or [CIn, COut, KH, KW] for the transpose).
/// </summary>
public sealed unsafe class CpuConv
{
    readonly ConvArgs args, one;       // the batch, and one image of it
    readonly int threads;
    readonly float[] cols;             // [Rows, N·ColPlane] batched, [Rows, ColPlane] per image
    readonly float[] staging;          // channel-major column side [ColC, N·ColPlane] (batched only)
    readonly int[] taps;               // CpuIm2Col.TapTable: the pixel each kernel offset reads at each position
    float* columnsOf;                  // the image whose batched column matrix cols holds now, or null

    public CpuConv(Conv2dGeometry geometry, int threads, CpuConvStrategy strategy = CpuConvStrategy.Batched)
    {
        Geometry = geometry.Validated();
        Strategy = strategy;
        this.threads = Math.Max(1, threads);
        args = geometry.Args;
        one = args with { N = 1 };
        // A dense geometry (a Linear in disguise) needs no workspace at all.
        long colFloats = geometry.IsDense ? 0 : strategy == CpuConvStrategy.Batched ? geometry.ColumnFloats : (long)geometry.ColumnRows * geometry.ColumnColsPerImage;
        cols = GC.AllocateUninitializedArray<float>(checked((int)colFloats), pinned: true);
        taps = geometry.IsDense ? [] : CpuIm2Col.TapTable(args);
        staging = GC.AllocateUninitializedArray<float>(!geometry.IsDense && strategy == CpuConvStrategy.Batched ? geometry.ColSideLength : 0, pinned: true);
    }

    public Conv2dGeometry Geometry { get; }
    public CpuConvStrategy Strategy { get; }

    /// <summary>Floats of workspace this layer holds.</summary>
    public long WorkspaceFloats => cols.LongLength + staging.LongLength;

    /// <summary>The tap table's ints (KH·KW·ColH·ColW; none for a dense geometry).</summary>
    public int TapTableLength => taps.Length;

    // ---- The torch ops ----

    /// <summary>y = conv(x, w) + bias (Conv2d) or convT(x, w) + bias (ConvTranspose2d); bias may be null.</summary>
    public void Forward(float* x, float* w, float* bias, float* y)
    {
        if (Geometry.Transposed)
        {
            ColSideToImage(x, w, y, accumulate: false);
            if (bias is not null) CpuIm2Col.AddChannelBias(y, bias, args.N, args.ImC, args.ImH * args.ImW);
        }
        else ImageToColSide(x, w, bias, y);
    }

    /// <summary>dx = ∂L/∂x from dy = ∂L/∂y (written, not accumulated: a layer's input has one consumer).</summary>
    public void InputGrad(float* dy, float* w, float* dx)
    {
        if (Geometry.Transposed) ImageToColSide(dy, w, null, dx);
        else ColSideToImage(dy, w, dx, accumulate: false);
    }

    /// <summary>dw (+)= ∂L/∂w, from the op's input x and dy.</summary>
    public void WeightGrad(float* x, float* dy, float* dw, bool accumulate = false)
    {
        if (Geometry.Transposed) WeightGradCore(dy, x, dw, accumulate);
        else WeightGradCore(x, dy, dw, accumulate);
    }

    /// <summary>db (+)= Σ dy over images and positions, per output channel.</summary>
    public void BiasGrad(float* dy, float* db, bool accumulate = false)
    {
        var g = Geometry;
        CpuIm2Col.ChannelSums(dy, db, g.N, g.COut, g.OutH * g.OutW, accumulate);
    }

    // ---- The three products ----

    /// <summary>colSide = Wm·im2col(image) (+ bias per column-side channel), NCHW.</summary>
    void ImageToColSide(float* image, float* w, float* bias, float* colSide)
    {
        if (Geometry.IsDense)
        {
            // colSide[N, ColC] = image[N, Rows]·Wmᵀ: the Linear forward.
            CpuGemm.Gemm(image, w, colSide, args.N, args.ColC, args.Rows, false, true, false, threads);
            if (bias is not null) CpuIm2Col.AddChannelBias(colSide, bias, args.N, args.ColC, 1);
            return;
        }
        fixed (float* c = cols, s = staging)
        fixed (int* tp = taps)
        {
            int rows = args.Rows, plane = args.ColPlane;
            if (Strategy == CpuConvStrategy.Batched)
            {
                CpuIm2Col.Im2Col(image, c, args, args.Cols, tp, threads);
                columnsOf = image;
                CpuGemm.Gemm(w, c, s, args.ColC, args.Cols, rows, false, false, false, threads);
                CpuIm2Col.SwapOuter(s, colSide, bias, args.ColC, args.N, plane, threads);
                return;
            }
            long imLen = (long)args.ImC * args.ImH * args.ImW, colLen = (long)args.ColC * plane;
            for (int n = 0; n < args.N; n++)
            {
                CpuIm2Col.Im2Col(image + n * imLen, c, one, plane, tp, threads);
                CpuGemm.Gemm(w, c, colSide + n * colLen, args.ColC, plane, rows, false, false, false, threads);
            }
            if (bias is not null) CpuIm2Col.AddChannelBias(colSide, bias, args.N, args.ColC, plane);
        }
    }

    /// <summary>image (+)= col2im(Wmᵀ·colSide), NCHW.</summary>
    void ColSideToImage(float* colSide, float* w, float* image, bool accumulate)
    {
        if (Geometry.IsDense)
        {
            // image[N, Rows] (+)= colSide[N, ColC]·Wm: the Linear input gradient.
            CpuGemm.Gemm(colSide, w, image, args.N, args.Rows, args.ColC, false, false, accumulate, threads);
            return;
        }
        fixed (float* c = cols, s = staging)
        fixed (int* tp = taps)
        {
            int rows = args.Rows, plane = args.ColPlane;
            if (Strategy == CpuConvStrategy.Batched)
            {
                CpuIm2Col.SwapOuter(colSide, s, null, args.N, args.ColC, plane, threads);
                ChannelMajorToImage(w, image, accumulate);
                return;
            }
            long imLen = (long)args.ImC * args.ImH * args.ImW, colLen = (long)args.ColC * plane;
            for (int n = 0; n < args.N; n++)
            {
                CpuGemm.Gemm(w, colSide + n * colLen, c, rows, plane, args.ColC, true, false, false, threads);
                CpuIm2Col.Col2Im(c, image + n * imLen, one, plane, tp, accumulate, threads);
            }
        }
    }

    /// <summary>image (+)= col2im(Wmᵀ·staging), staging holding the column side channel-major (batched).</summary>
    void ChannelMajorToImage(float* w, float* image, bool accumulate)
    {
        fixed (float* c = cols, s = staging)
        fixed (int* tp = taps)
        {
            columnsOf = null;
            CpuGemm.Gemm(w, s, c, args.Rows, args.Cols, args.ColC, true, false, false, threads);
            CpuIm2Col.Col2Im(c, image, args, args.Cols, tp, accumulate, threads);
        }
    }

    /// <summary>
    /// Both gradients of the op in one call, sharing what the two separate calls would each redo:
    /// dx (may be null: a first layer needs none) and dw (+)= from the op's input x and dy. Batched,
    /// a Conv2d transposes dy once for both, and with <paramref name="columnsFromForward"/> (the
    /// caller's promise that x is unchanged since this layer's last <see cref="Forward"/>) reuses the
    /// forward's column matrix, if it is still there, instead of rebuilding it; a ConvTranspose2d
    /// builds im2col(dy) once for both. The results equal InputGrad and WeightGrad's.
    /// </summary>
    public void Backward(float* x, float* dy, float* w, float* dx, float* dw, bool accumulateWeight = false, bool columnsFromForward = false)
    {
        if (Strategy != CpuConvStrategy.Batched || Geometry.IsDense)
        {
            WeightGrad(x, dy, dw, accumulateWeight);
            if (dx is not null) InputGrad(dy, w, dx);
            return;
        }
        fixed (float* c = cols, s = staging)
        fixed (int* tp = taps)
        {
            if (Geometry.Transposed)
            {
                // image = dy, column side = x: im2col(dy) serves dW = x_cm·colsᵀ and dx_cm = Wm·cols.
                CpuIm2Col.Im2Col(dy, c, args, args.Cols, tp, threads);
                columnsOf = dy;
                CpuIm2Col.SwapOuter(x, s, null, args.N, args.ColC, args.ColPlane, threads);
                CpuGemm.Gemm(s, c, dw, args.ColC, args.Rows, args.Cols, false, true, accumulateWeight, threads);
                if (dx is null) return;
                CpuGemm.Gemm(w, c, s, args.ColC, args.Cols, args.Rows, false, false, false, threads);
                CpuIm2Col.SwapOuter(s, dx, null, args.ColC, args.N, args.ColPlane, threads);
                return;
            }
            // image = x, column side = dy: dy_cm serves dW = dy_cm·colsᵀ and dx = col2im(Wmᵀ·dy_cm).
            CpuIm2Col.SwapOuter(dy, s, null, args.N, args.ColC, args.ColPlane, threads);
            if (!(columnsFromForward && columnsOf == x))
            {
                CpuIm2Col.Im2Col(x, c, args, args.Cols, tp, threads);
                columnsOf = x;
            }
            CpuGemm.Gemm(s, c, dw, args.ColC, args.Rows, args.Cols, false, true, accumulateWeight, threads);
            if (dx is not null) ChannelMajorToImage(w, dx, accumulate: false);
        }
    }

    /// <summary>dWm (+)= colSide·im2col(image)ᵀ: one GEMM over the whole batch (its K is batch·positions).</summary>
    void WeightGradCore(float* image, float* colSide, float* dw, bool accumulate)
    {
        if (Geometry.IsDense)
        {
            // dWm (+)= colSide[N, ColC]ᵀ·image[N, Rows]: the Linear weight gradient.
            CpuGemm.Gemm(colSide, image, dw, args.ColC, args.Rows, args.N, true, false, accumulate, threads);
            return;
        }
        fixed (float* c = cols, s = staging)
        fixed (int* tp = taps)
        {
            int rows = args.Rows, plane = args.ColPlane;
            if (Strategy == CpuConvStrategy.Batched)
            {
                CpuIm2Col.Im2Col(image, c, args, args.Cols, tp, threads);
                columnsOf = image;
                CpuIm2Col.SwapOuter(colSide, s, null, args.N, args.ColC, plane, threads);
                CpuGemm.Gemm(s, c, dw, args.ColC, rows, args.Cols, false, true, accumulate, threads);
                return;
            }
            long imLen = (long)args.ImC * args.ImH * args.ImW, colLen = (long)args.ColC * plane;
            for (int n = 0; n < args.N; n++)
            {
                CpuIm2Col.Im2Col(image + n * imLen, c, one, plane, tp, threads);
                CpuGemm.Gemm(colSide + n * colLen, c, dw, args.ColC, rows, plane, false, true, accumulate || n > 0, threads);
            }
        }
    }
}
