using ILGPU;
using ILGPU.Runtime;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// The ILGPU implementation of <see cref="IBackend"/>: every kernel is compiled once when the
/// backend opens, and each call is one launch on the accelerator's default stream (two for a
/// split-K GEMM). <see cref="LinearForward"/> and <see cref="LinearInputGrad"/> are the GEMM with
/// its epilogue on: one launch too.
///
/// GEMM plans are chosen per shape the first time a shape is seen and cached (see
/// <see cref="PlanFor"/>); a model's shapes are fixed, so after the first step every GEMM launch
/// costs one dictionary lookup, and the split-K workspace is never allocated again. Like the rest
/// of the backend, the cache is for one thread.
/// </summary>
public sealed class IlgpuBackend : IBackend
{
    readonly Accelerator acc;
    readonly bool ownsContext;
    readonly Context context;
    readonly Func<GemmProblem, GemmPlan> choosePlan;
    readonly Dictionary<GemmProblem, GemmPlan> plans = [];
    DeviceBuffer<float>? splitWorkspace;   // grow-only; sized by PlanFor for the largest split-K plan so far
    readonly int threads;      // threads per group for element-wise and column kernels
    readonly int maxGroups;    // grid size cap for grid-stride kernels

    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> gemm;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, GemmEpilogue> sumSplits;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float> biasAct;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> actBackward;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> biasGrad;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float> bnTrain;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> bnEval;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> bnBackward;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float, int> loss;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamScalars> adam;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, RmsPropScalars> rmsProp;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SgdScalars> sgd;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, float, int> crossEntropy;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int> softmax;
    readonly Action<KernelConfig, ArrayView<float>, int, ulong, uint, ulong, float, float> normal;
    readonly Action<KernelConfig, ArrayView<float>, int, ulong, uint, ulong, float, float> uniform;
    readonly Action<KernelConfig, ArrayView<byte>, ArrayView<int>, ArrayView<float>, int, int, int> gather;
    readonly Action<KernelConfig, ArrayView<float>, int, float> fill;
    readonly Action<KernelConfig, ArrayView<float>, int, float, float> clamp;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> interpolate;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float> rowPenalty;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float, int> penaltyStats;
    readonly Action<KernelConfig, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int, int> oneHotLabels;
    readonly Action<KernelConfig, ArrayView<float>, int, int, int, int, ulong, uint, ulong> oneHotRandom;
    readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int> copyColumns;

    /// <param name="accelerator">An open accelerator; the backend disposes it.</param>
    /// <param name="kind">The user-facing device name ("cuda", "opencl", "ilgpu-cpu").</param>
    /// <param name="ownedContext">A context to dispose with the backend, if it owns one.</param>
    /// <param name="tiles">One GEMM tiling for every shape, without split-K; ignored when <paramref name="gemmPlans"/> is given.</param>
    /// <param name="gemmPlans">
    /// The GEMM plan for each shape. When neither this nor <paramref name="tiles"/> is given: on a
    /// GPU, <see cref="GemmPlanner"/> for this accelerator; on the simulator, <see cref="GemmTiles.Simulator"/>.
    /// </param>
    public IlgpuBackend(Accelerator accelerator, string kind, Context? ownedContext = null, GemmTiles? tiles = null,
        Func<GemmProblem, GemmPlan>? gemmPlans = null)
    {
        acc = accelerator;
        Kind = kind;
        context = accelerator.Context;
        ownsContext = ownedContext is not null;
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        GemmDevice = new GemmDevice(accelerator.NumMultiprocessors, accelerator.MaxNumThreadsPerGroup);
        if (tiles is null && cpu) tiles = GemmTiles.Simulator;
        if (tiles is not null && tiles.Threads > accelerator.MaxNumThreadsPerGroup)
            throw new ArgumentException($"GEMM tile needs {tiles.Threads} threads per group; {accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup}");
        var device = GemmDevice;
        choosePlan = gemmPlans
            ?? (tiles is { } fixedTiles ? p => GemmPlan.Single(fixedTiles, p.K) : p => GemmPlanner.Choose(p, device));
        threads = LargestPowerOfTwoAtMost(Math.Min(LossKernels.ReduceThreads, accelerator.MaxNumThreadsPerGroup));
        // On a GPU a few waves of groups hide latency; on the simulator every group is a batch of
        // OS-thread work, so one group per simulated multiprocessor is fastest.
        maxGroups = cpu ? Math.Max(1, accelerator.NumMultiprocessors) : Math.Max(1, accelerator.NumMultiprocessors) * 8;
        Description = cpu
            ? $"ILGPU CPU simulator ({accelerator.NumMultiprocessors} x {accelerator.MaxNumThreadsPerGroup} threads)"
            : $"{accelerator.Name} ({accelerator.AcceleratorType}, {accelerator.MemorySize / (1024 * 1024)} MiB)";

        gemm = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernels.Gemm);
        sumSplits = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, GemmEpilogue>(GemmKernels.SumSplits);
        biasAct = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float>(ActivationKernels.BiasActivationForward);
        actBackward = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(ActivationKernels.ActivationBackward);
        biasGrad = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int>(ActivationKernels.BiasGrad);
        bnTrain = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float>(BatchNormKernels.ForwardTrain);
        bnEval = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(BatchNormKernels.ForwardEval);
        bnBackward = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(BatchNormKernels.Backward);
        loss = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float, int>(LossKernels.Adversarial);
        adam = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamScalars>(AdamKernels.Step);
        rmsProp = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, RmsPropScalars>(RmsPropKernels.Step);
        sgd = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SgdScalars>(SgdKernels.Step);
        crossEntropy = acc.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, float, int>(SoftmaxKernels.CrossEntropy);
        softmax = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(SoftmaxKernels.Softmax);
        normal = acc.LoadStreamKernel<ArrayView<float>, int, ulong, uint, ulong, float, float>(RandomKernels.Normal);
        uniform = acc.LoadStreamKernel<ArrayView<float>, int, ulong, uint, ulong, float, float>(RandomKernels.Uniform);
        gather = acc.LoadStreamKernel<ArrayView<byte>, ArrayView<int>, ArrayView<float>, int, int, int>(DataKernels.GatherRows);
        fill = acc.LoadStreamKernel<ArrayView<float>, int, float>(DataKernels.Fill);
        clamp = acc.LoadStreamKernel<ArrayView<float>, int, float, float>(ClipKernels.Clamp);
        interpolate = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GradientPenaltyKernels.Interpolate);
        rowPenalty = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float>(GradientPenaltyKernels.RowPenalty);
        penaltyStats = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float, int>(GradientPenaltyKernels.PenaltyStats);
        oneHotLabels = acc.LoadStreamKernel<ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int, int>(ConditionalKernels.OneHotLabels);
        oneHotRandom = acc.LoadStreamKernel<ArrayView<float>, int, int, int, int, ulong, uint, ulong>(ConditionalKernels.OneHotRandom);
        copyColumns = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int, int, int, int, int>(ConditionalKernels.CopyColumns);
        if (ownedContext is not null) context = ownedContext;
    }

    public string Kind { get; }
    public string Description { get; }
    public Accelerator Accelerator => acc;

    /// <summary>The accelerator as the GEMM planner sees it.</summary>
    public GemmDevice GemmDevice { get; }

    /// <summary>The GEMM plans made so far, by shape.</summary>
    public IReadOnlyDictionary<GemmProblem, GemmPlan> Plans => plans;

    /// <summary>Floats in the split-K workspace now, and how many times it has been (re)allocated.</summary>
    public long WorkspaceFloats => splitWorkspace?.Length ?? 0;
    public int WorkspaceAllocations { get; private set; }

    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        try
        {
            var mem = acc.Allocate1D<T>(Math.Max(1, length));
            mem.MemSetToZero();
            return new IlgpuBuffer<T>(mem);
        }
        catch (Exception e) when (e is OutOfMemoryException || e is AcceleratorException || e is InsufficientMemoryException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            throw new DeviceMemoryException(bytes, Description, e);
        }
    }

    static ArrayView<float> V(Tensor t) => ((IlgpuBuffer<float>)t.Buffer).SubView(t.Offset, Math.Max(1, t.Length));
    static ArrayView<T> V<T>(DeviceBuffer<T> b) where T : unmanaged => ((IlgpuBuffer<T>)b).View;

    KernelConfig Stride(long n) =>
        new(new Index1D((int)Math.Clamp((n + threads - 1) / threads, 1, maxGroups)), new Index1D(threads));

    public void Gemm(Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        Launch(PlanFor(new GemmProblem(m, n, k, transA, transB)), a, b, c, m, n, k, transA, transB, accumulate);
    }

    /// <summary>
    /// The GEMM y = x·Wᵀ with bias and activation applied as it stores: one launch (the split-K
    /// reduction applies them when the shape's plan splits K). Plans are shared with plain GEMMs
    /// of the same shape: the epilogue does not change which tiling is best.
    /// </summary>
    public void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int outFeatures, int inFeatures, Activation act, float alpha)
    {
        if (rows == 0 || outFeatures == 0) return;
        Launch(PlanFor(new GemmProblem(rows, outFeatures, inFeatures, false, true)), x, weight, y, rows, outFeatures, inFeatures,
            false, true, false, GemmEpilogue.For(bias is not null, act, alpha), bias);
    }

    /// <summary>The Linear forward with the given plan rather than the cached one, as <see cref="Gemm(GemmPlan, Tensor, Tensor, Tensor, int, int, int, bool, bool, bool)"/>.</summary>
    public void LinearForward(GemmPlan plan, Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int outFeatures, int inFeatures, Activation act, float alpha)
    {
        if (rows == 0 || outFeatures == 0) return;
        Check(plan, inFeatures);
        EnsureWorkspace(plan.WorkspaceFloats(rows, outFeatures));
        Launch(plan, x, weight, y, rows, outFeatures, inFeatures, false, true, false, GemmEpilogue.For(bias is not null, act, alpha), bias);
    }

    /// <summary>
    /// dx = (dy·W) ⊙ act'(maskOutput) as one A·B GEMM whose epilogue applies the derivative as it
    /// stores (the split-K reduction, when the shape's plan splits K). Plans are shared with the
    /// plain dX GEMM of the same shape.
    /// </summary>
    public void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha)
    {
        if (rows == 0 || inFeatures == 0) return;
        LinearInputGrad(PlanFor(new GemmProblem(rows, inFeatures, outFeatures, false, false)), dy, weight, dx, rows, inFeatures, outFeatures, maskOutput, act, alpha, check: false);
    }

    /// <summary>The Linear input gradient with the given plan rather than the cached one, as <see cref="Gemm(GemmPlan, Tensor, Tensor, Tensor, int, int, int, bool, bool, bool)"/>.</summary>
    public void LinearInputGrad(GemmPlan plan, Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha) =>
        LinearInputGrad(plan, dy, weight, dx, rows, inFeatures, outFeatures, maskOutput, act, alpha, check: true);

    void LinearInputGrad(GemmPlan plan, Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha, bool check)
    {
        if (rows == 0 || inFeatures == 0) return;
        if (maskOutput is { } mask && mask.Length < rows * inFeatures)
            throw new ArgumentException($"activation mask holds {mask.Length} floats; the input gradient is {rows}x{inFeatures}");
        if (check)
        {
            Check(plan, outFeatures);
            EnsureWorkspace(plan.WorkspaceFloats(rows, inFeatures));
        }
        var epilogue = maskOutput is null ? default : GemmEpilogue.Grad(act, alpha);
        Launch(plan, dy, weight, dx, rows, inFeatures, outFeatures, false, false, false, epilogue, epilogue.IsOn ? maskOutput : null);
    }

    /// <summary>
    /// The plan for a shape: chosen and checked the first time the shape is seen, when the split-K
    /// workspace also grows to fit it, then a lookup. Models issue the same few shapes every step,
    /// so all of this happens in the first step, in effect at model build time.
    /// </summary>
    public GemmPlan PlanFor(GemmProblem p)
    {
        if (plans.TryGetValue(p, out var plan)) return plan;
        plan = choosePlan(p);
        Check(plan, p.K);
        EnsureWorkspace(plan.WorkspaceFloats(p.M, p.N));
        plans.Add(p, plan);
        return plan;
    }

    /// <summary>
    /// One GEMM with the given plan rather than the cached one: how tests and `verify` exercise
    /// split-K and every tiling on any accelerator. Grows the workspace if the plan needs more.
    /// </summary>
    public void Gemm(GemmPlan plan, Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        Check(plan, k);
        EnsureWorkspace(plan.WorkspaceFloats(m, n));
        Launch(plan, a, b, c, m, n, k, transA, transB, accumulate);
    }

    /// <summary>
    /// One GEMM with a checked plan whose workspace is in place: launches only. aux is the
    /// epilogue's operand (the bias, or the activation output of the input gradient's mask); without
    /// one the kernels get C's view in its place, which they never read.
    /// </summary>
    void Launch(GemmPlan plan, Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate,
        GemmEpilogue epilogue = default, Tensor? aux = null)
    {
        var p = plan.Args(m, n, k, transA, transB, accumulate, epilogue);
        var t = plan.Tiles;
        var grid = new Index3D((n + t.TileN - 1) / t.TileN, (m + t.TileM - 1) / t.TileM, plan.SplitK);
        var cfg = new KernelConfig(grid, new Index3D(t.Threads, 1, 1), SharedMemoryConfig.RequestDynamic<float>(p.SharedFloats));
        var auxView = aux is { } at ? V(at) : V(c);
        if (plan.SplitK == 1)
        {
            gemm(cfg, V(a), V(b), V(c), auxView, p);
            return;
        }
        int mn = m * n;
        var partials = V(splitWorkspace!).SubView(0, (long)plan.SplitK * mn);
        gemm(cfg, V(a), V(b), partials, auxView, p);
        sumSplits(Stride(mn), partials, V(c), auxView, mn, n, plan.SplitK, accumulate ? 1 : 0, epilogue);
    }

    void Check(GemmPlan plan, int k)
    {
        if (plan.Tiles.Threads > acc.MaxNumThreadsPerGroup)
            throw new ArgumentException($"GEMM plan ({plan}) needs {plan.Tiles.Threads} threads per group; {acc.Name} allows {acc.MaxNumThreadsPerGroup}");
        if (plan.SplitK < 1 || plan.Tiles.Bk < 1 || !plan.Covers(k))
            throw new ArgumentException($"GEMM plan ({plan}) does not cover K = {k} once");
    }

    /// <summary>
    /// Grows the split-K workspace (never shrinks it). Called when a plan enters the cache, so a
    /// training loop allocates only while its first step meets its shapes.
    /// </summary>
    void EnsureWorkspace(long floats)
    {
        if (floats == 0 || splitWorkspace is { } w && w.Length >= floats) return;
        if (floats > int.MaxValue) throw new ArgumentException($"split-K workspace of {floats} floats exceeds the kernel's int indexing");
        // Launches already queued may still read the old buffer.
        acc.Synchronize();
        splitWorkspace?.Dispose();
        splitWorkspace = Allocate<float>(floats);
        WorkspaceAllocations++;
    }

    public void BiasActivation(Tensor x, Tensor? bias, Tensor y, int rows, int cols, Activation act, float alpha)
    {
        int n = rows * cols;
        biasAct(Stride(n), V(x), bias is { } bt ? V(bt) : V(x), V(y), n, cols, bias is null ? 0 : 1, (int)act, alpha);
    }

    public void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Activation act, float alpha) =>
        actBackward(Stride(y.Length), V(y), V(dy), V(dx), y.Length, (int)act, alpha);

    public void BiasGrad(Tensor dy, Tensor db, int rows, int cols, bool accumulate) =>
        biasGrad(Stride(cols), V(dy), V(db), rows, cols, accumulate ? 1 : 0);

    public void BatchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, Tensor saveMean, Tensor saveInvStd, int rows, int cols, float momentum, float eps) =>
        bnTrain(Stride(cols), V(x), V(gamma), V(beta), V(runningMean), V(runningVar), V(y), V(saveMean), V(saveInvStd), rows, cols, momentum, eps);

    public void BatchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, int rows, int cols, float eps) =>
        bnEval(Stride(rows * cols), V(x), V(gamma), V(beta), V(runningMean), V(runningVar), V(y), rows * cols, cols, eps);

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, int rows, int cols, bool accumulate) =>
        bnBackward(Stride(cols), V(x), V(dy), V(gamma), V(saveMean), V(saveInvStd), V(dx), V(dgamma), V(dbeta), rows, cols, accumulate ? 1 : 0);

    public void AdversarialLoss(LossKind kind, Tensor logits, float target, Tensor grad, float gradScale, Tensor stats, int statsIndex) =>
        loss(new KernelConfig(new Index1D(1), new Index1D(threads)), V(logits), V(grad), V(stats), logits.Length, (int)kind, target, gradScale, statsIndex);

    public void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset,
        int rows, int classes, Tensor grad, float gradScale, Tensor stats, int statsIndex) =>
        crossEntropy(new KernelConfig(new Index1D(1), new Index1D(threads)), V(logits), V(labels), V(indices), V(grad), V(stats),
            indexOffset, rows, classes, gradScale, statsIndex);

    public void Softmax(Tensor logits, Tensor probs, int rows, int classes) =>
        softmax(Stride(rows), V(logits), V(probs), rows, classes);

    public void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars) =>
        adam(Stride(param.Length), V(param), V(grad), V(m), V(v), param.Length, scalars);

    public void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s) =>
        rmsProp(Stride(param.Length), V(param), V(grad), V(squareAvg), param.Length, s);

    public void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s) =>
        sgd(Stride(param.Length), V(param), V(grad), V(momentumBuffer), param.Length, s);

    public void RandomNormal(Tensor dst, ulong seed, uint stream, ulong offset, float mean = 0f, float std = 1f) =>
        normal(Stride(dst.Length), V(dst), dst.Length, seed, stream, offset, mean, std);

    public void RandomUniform(Tensor dst, ulong seed, uint stream, ulong offset, float low = 0f, float high = 1f) =>
        uniform(Stride(dst.Length), V(dst), dst.Length, seed, stream, offset, low, high);

    public void GatherRows(DeviceBuffer<byte> data, DeviceBuffer<int> indices, int indexOffset, int rows, int cols, Tensor dst) =>
        gather(Stride((long)rows * cols), V(data), V(indices), V(dst), indexOffset, rows, cols);

    public void Fill(Tensor dst, float value) => fill(Stride(dst.Length), V(dst), dst.Length, value);

    public void Clamp(Tensor x, float min, float max) => clamp(Stride(x.Length), V(x), x.Length, min, max);

    public void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, int rows, int cols) =>
        interpolate(Stride((long)rows * cols), V(real), V(fake), V(eps), V(xhat), rows, cols);

    public void GradientPenalty(Tensor g, Tensor dg, Tensor norms, int rows, int cols, float lambda, float gradScale, Tensor stats, int statsIndex)
    {
        int rowThreads = Math.Min(GradientPenaltyKernels.RowThreads, threads);
        rowPenalty(new KernelConfig(new Index1D(Math.Clamp(rows, 1, maxGroups)), new Index1D(rowThreads)), V(g), V(dg), V(norms), rows, cols, lambda, gradScale);
        penaltyStats(new KernelConfig(new Index1D(1), new Index1D(threads)), V(norms), V(stats), rows, lambda, statsIndex);
    }

    public void OneHotLabels(DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset, Tensor dst, int rows, int classes, int dstStride, int dstColumn) =>
        oneHotLabels(Stride((long)rows * classes), V(labels), V(indices), V(dst), indexOffset, rows, classes, dstStride, dstColumn);

    public void OneHotRandom(Tensor dst, int rows, int classes, int dstStride, int dstColumn, ulong seed, uint stream, ulong offset) =>
        oneHotRandom(Stride((long)rows * classes), V(dst), rows, classes, dstStride, dstColumn, seed, stream, offset);

    public void CopyColumns(Tensor src, Tensor dst, int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn) =>
        copyColumns(Stride((long)rows * cols), V(src), V(dst), rows, cols, srcStride, srcColumn, dstStride, dstColumn);

    public void Copy(Tensor source, Tensor destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException("copy between tensors of different lengths");
        V(source).CopyTo(V(destination));
    }

    public void Synchronize() => acc.Synchronize();

    public void Dispose()
    {
        splitWorkspace?.Dispose();
        acc.Dispose();
        if (ownsContext) context.Dispose();
    }

    static int LargestPowerOfTwoAtMost(int n)
    {
        int p = 1;
        while (p * 2 <= n) p *= 2;
        return p;
    }
}
