using ILGPU;
using ILGPU.Runtime;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// The conv-family kernels (<see cref="ConvKernels"/>, <see cref="BatchNorm2dKernels"/>) compiled once
/// for an <see cref="IlgpuBackend"/>'s accelerator, with their launch shapes. Standalone until the
/// backend's op signatures settle; then these fields and launchers move into the backend as they are.
/// Launches queue on the backend's stream (<see cref="IlgpuBackend.Stream"/>), in order with its own.
/// </summary>
public sealed class IlgpuConvOps
{
    readonly Accelerator acc;
    readonly int threads, maxGroups;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ConvArgs> im2col;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ConvArgs, int> col2im;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> swapOuter;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> addBias;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int> biasGrad;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float> bnTrain;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float> bnEval;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> bnBackward;

    public IlgpuConvOps(IlgpuBackend backend)
    {
        Backend = backend;
        acc = backend.Accelerator;
        // The backend's own launch shapes: power-of-two groups (the reductions need it) of at most
        // ReduceThreads, a few waves on a GPU, one group per simulated multiprocessor on the simulator.
        int t = Math.Min(LossKernels.ReduceThreads, acc.MaxNumThreadsPerGroup);
        threads = 1;
        while (threads * 2 <= t) threads *= 2;
        maxGroups = Math.Max(1, acc.NumMultiprocessors) * (acc.AcceleratorType == AcceleratorType.CPU ? 1 : 8);

        im2col = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ConvArgs>(ConvKernels.Im2Col);
        col2im = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ConvArgs, int>(ConvKernels.Col2Im);
        swapOuter = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(ConvKernels.SwapOuter);
        addBias = acc.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int>(ConvKernels.AddChannelBias);
        biasGrad = acc.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int, int>(ConvKernels.ChannelBiasGrad);
        bnTrain = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(BatchNorm2dKernels.ForwardTrain);
        bnEval = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(BatchNorm2dKernels.ForwardEval);
        bnBackward = acc.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BatchNorm2dKernels.Backward);
    }

    public IlgpuBackend Backend { get; }

    /// <summary>The backend's stream: conv launches stay in order with its GEMMs and copies.</summary>
    AcceleratorStream Stream => Backend.Stream;

    static ArrayView<float> V(Tensor t) => ((IlgpuBuffer<float>)t.Buffer).SubView(t.Offset, Math.Max(1, t.Length));

    KernelConfig Stride(long n) => new(new Index1D((int)Math.Clamp((n + threads - 1) / threads, 1, maxGroups)), new Index1D(threads));

    /// <summary>One group per channel, up to the grid cap (groups then stride over channels).</summary>
    KernelConfig PerChannel(int channels) => new(new Index1D(Math.Clamp(channels, 1, maxGroups)), new Index1D(threads));

    public void Im2Col(Tensor image, Tensor cols, ConvArgs a) => im2col(Stream, Stride((long)a.Rows * a.Cols), V(image), V(cols), a);

    public void Col2Im(Tensor cols, Tensor image, ConvArgs a, bool accumulate) =>
        col2im(Stream, Stride((long)a.N * a.ImC * a.ImH * a.ImW), V(cols), V(image), a, accumulate ? 1 : 0);

    /// <summary>dst[b, o, s] = src[o, b, s] (+ bias[o]); src is [outer, mid, inner].</summary>
    public void SwapOuter(Tensor src, Tensor dst, Tensor? bias, int outer, int mid, int inner) =>
        swapOuter(Stream, Stride((long)outer * mid * inner), V(src), V(dst), bias is { } b ? V(b) : V(src), outer, mid, inner, bias is null ? 0 : 1);

    public void AddChannelBias(Tensor y, Tensor bias, int n, int channels, int plane) =>
        addBias(Stream, Stride((long)n * channels * plane), V(y), V(bias), n, channels, plane);

    public void ChannelBiasGrad(Tensor dy, Tensor db, int n, int channels, int plane, bool accumulate) =>
        biasGrad(Stream, PerChannel(channels), V(dy), V(db), n, channels, plane, accumulate ? 1 : 0);

    public void BatchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, Tensor saveMean, Tensor saveInvStd, int n, int channels, int plane, float momentum, float eps) =>
        bnTrain(Stream, PerChannel(channels), V(x), V(gamma), V(beta), V(runningMean), V(runningVar), V(y), V(saveMean), V(saveInvStd), n, channels, plane, momentum, eps);

    public void BatchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int n, int channels, int plane, float eps) =>
        bnEval(Stream, Stride((long)n * channels * plane), V(x), V(gamma), V(beta), V(runningMean), V(runningVar), V(y), n, channels, plane, eps);

    public void BatchNorm2dBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, int n, int channels, int plane, bool accumulate) =>
        bnBackward(Stream, PerChannel(channels), V(x), V(dy), V(gamma), V(saveMean), V(saveInvStd), V(dx), V(dgamma), V(dbeta), n, channels, plane, accumulate ? 1 : 0);
}

/// <summary>
/// Conv2d and ConvTranspose2d for one geometry on an ILGPU backend: the batched im2col for the whole
/// batch in one launch, one GEMM over batch·positions through the backend's GEMM plans, and a
/// transpose between the GEMM's channel-major layout and NCHW (which also adds the bias). The same
/// three products as <see cref="Cpu.CpuConv"/>; its workspaces (column matrix, channel-major
/// staging) are allocated here, once. A dense geometry (<see cref="Conv2dGeometry.IsDense"/>) runs
/// the Linear layer's GEMMs on the NCHW tensors directly.
/// </summary>
public sealed class IlgpuConv : IDisposable
{
    readonly IlgpuConvOps ops;
    readonly IlgpuBackend backend;
    readonly ConvArgs a;
    readonly DeviceBuffer<float> colBuffer, stagingBuffer;
    readonly Tensor cols, staging;
    Tensor? columnsOf;   // the image whose column matrix cols holds now

    public IlgpuConv(IlgpuConvOps ops, Conv2dGeometry geometry)
    {
        this.ops = ops;
        backend = ops.Backend;
        Geometry = geometry.Validated();
        a = geometry.Args;
        // A dense geometry runs the Linear GEMMs on the NCHW tensors: no workspace.
        long colFloats = geometry.IsDense ? 1 : geometry.ColumnFloats;
        int stagingFloats = geometry.IsDense ? 1 : geometry.ColSideLength;
        colBuffer = backend.Allocate<float>(colFloats);
        stagingBuffer = backend.Allocate<float>(stagingFloats);
        cols = new Tensor(colBuffer, 0, (int)colFloats);
        staging = new Tensor(stagingBuffer, 0, stagingFloats);
    }

    public Conv2dGeometry Geometry { get; }

    public void Forward(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        if (Geometry.Transposed)
        {
            ColSideToImage(x, w, y, accumulate: false);
            if (bias is { } b) ops.AddChannelBias(y, b, a.N, a.ImC, a.ImH * a.ImW);
        }
        else ImageToColSide(x, w, bias, y);
    }

    public void InputGrad(Tensor dy, Tensor w, Tensor dx)
    {
        if (Geometry.Transposed) ImageToColSide(dy, w, null, dx);
        else ColSideToImage(dy, w, dx, accumulate: false);
    }

    public void WeightGrad(Tensor x, Tensor dy, Tensor dw, bool accumulate = false)
    {
        var (image, colSide) = Geometry.Transposed ? (dy, x) : (x, dy);
        if (Geometry.IsDense)
        {
            backend.GemmUnobserved(colSide, image, dw, new(a.ColC, a.Rows, a.N, true, false, accumulate));
            return;
        }
        ops.Im2Col(image, cols, a);
        columnsOf = image;
        ops.SwapOuter(colSide, staging, null, a.N, a.ColC, a.ColPlane);
        backend.GemmUnobserved(staging, cols, dw, new(a.ColC, a.Rows, a.Cols, false, true, accumulate));
    }

    public void BiasGrad(Tensor dy, Tensor db, bool accumulate = false) =>
        ops.ChannelBiasGrad(dy, db, a.N, Geometry.COut, Geometry.OutH * Geometry.OutW, accumulate);

    /// <summary>
    /// Both gradients in one call, as <see cref="Cpu.CpuConv.Backward"/>: dy's transpose (Conv2d) or
    /// im2col(dy) (ConvTranspose2d) done once for both; with <paramref name="columnsFromForward"/> (x
    /// unchanged since this layer's last forward) a Conv2d reuses the forward's column matrix if it
    /// is still there. dx may be null.
    /// </summary>
    public void Backward(Tensor x, Tensor dy, Tensor w, Tensor? dx, Tensor dw, bool accumulateWeight = false, bool columnsFromForward = false)
    {
        if (Geometry.IsDense)
        {
            WeightGrad(x, dy, dw, accumulateWeight);
            if (dx is { } d) InputGrad(dy, w, d);
            return;
        }
        if (Geometry.Transposed)
        {
            ops.Im2Col(dy, cols, a);
            columnsOf = dy;
            ops.SwapOuter(x, staging, null, a.N, a.ColC, a.ColPlane);
            backend.GemmUnobserved(staging, cols, dw, new(a.ColC, a.Rows, a.Cols, false, true, accumulateWeight));
            if (dx is not { } dxT) return;
            backend.GemmUnobserved(w, cols, staging, new(a.ColC, a.Cols, a.Rows, false, false, false));
            ops.SwapOuter(staging, dxT, null, a.ColC, a.N, a.ColPlane);
            return;
        }
        ops.SwapOuter(dy, staging, null, a.N, a.ColC, a.ColPlane);
        if (!(columnsFromForward && columnsOf == x))
        {
            ops.Im2Col(x, cols, a);
            columnsOf = x;
        }
        backend.GemmUnobserved(staging, cols, dw, new(a.ColC, a.Rows, a.Cols, false, true, accumulateWeight));
        if (dx is not { } dxC) return;
        columnsOf = null;
        backend.GemmUnobserved(w, staging, cols, new(a.Rows, a.Cols, a.ColC, true, false, false));
        ops.Col2Im(cols, dxC, a, accumulate: false);
    }

    void ImageToColSide(Tensor image, Tensor w, Tensor? bias, Tensor colSide)
    {
        if (Geometry.IsDense)
        {
            backend.GemmUnobserved(image, w, colSide, new(a.N, a.ColC, a.Rows, false, true, false));
            if (bias is { } b) ops.AddChannelBias(colSide, b, a.N, a.ColC, 1);
            return;
        }
        ops.Im2Col(image, cols, a);
        columnsOf = image;
        backend.GemmUnobserved(w, cols, staging, new(a.ColC, a.Cols, a.Rows, false, false, false));
        ops.SwapOuter(staging, colSide, bias, a.ColC, a.N, a.ColPlane);
    }

    void ColSideToImage(Tensor colSide, Tensor w, Tensor image, bool accumulate)
    {
        if (Geometry.IsDense)
        {
            backend.GemmUnobserved(colSide, w, image, new(a.N, a.Rows, a.ColC, false, false, accumulate));
            return;
        }
        ops.SwapOuter(colSide, staging, null, a.N, a.ColC, a.ColPlane);
        columnsOf = null;
        backend.GemmUnobserved(w, staging, cols, new(a.Rows, a.Cols, a.ColC, true, false, false));
        ops.Col2Im(cols, image, a, accumulate);
    }

    public void Dispose()
    {
        colBuffer.Dispose();
        stagingBuffer.Dispose();
    }
}
