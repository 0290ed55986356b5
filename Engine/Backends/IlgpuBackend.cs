using ILGPU;
using ILGPU.Runtime;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// The ILGPU implementation of <see cref="IBackend"/>: every kernel is compiled once when the
/// backend opens, and each call is one launch (two for a split-K GEMM or an Adam step) on the
/// backend's own stream, <see cref="Stream"/>, never on the accelerator's default stream: the
/// legacy default stream cannot be captured into a CUDA graph, and work issued there would either
/// break a capture or run outside it. Host copies go through the same stream and wait for it.
/// LinearForward and LinearInputGrad are the GEMM with its epilogue on: one launch too.
///
/// GEMM plans are chosen per shape the first time a shape is seen and cached (see
/// <see cref="PlanFor"/>); a model's shapes are fixed, so after the first step every GEMM launch
/// costs one dictionary lookup, and the split-K workspace is never allocated again. Like the rest
/// of the backend, the cache is for one thread.
/// </summary>
public sealed partial class IlgpuBackend : BackendBase
{
    readonly Accelerator acc;
    readonly AcceleratorStream stream;
    readonly HashSet<nint> live = [];   // device addresses of the buffers allocated and not yet disposed
    long allocations, frees, synchronizations, hostCopies;
    readonly bool ownsContext;
    readonly Context context;
    readonly Func<GemmProblem, GemmPlan> choosePlan;
    readonly Dictionary<GemmProblem, GemmPlan> plans = [];
    DeviceBuffer<float>? splitWorkspace;   // grow-only; sized by PlanFor for the largest split-K plan so far
    readonly int threads;      // threads per group for element-wise and column kernels
    readonly int maxGroups;    // grid size cap for grid-stride kernels

    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> gemm;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, GemmEpilogue> sumSplits;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float> biasAct;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> actBackward;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int> biasGrad;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int> maxout;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> maxoutBackward;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float> bnTrain;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> bnEval;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> bnBackward;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float, int> loss;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamScalars, ArrayView<float>, int, ArrayView<int>> adam;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<int>> advanceStep;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, RmsPropScalars> rmsProp;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, SgdScalars> sgd;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<ulong>, CounterOffset, int, int, float, int> crossEntropy;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int> softmax;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, ulong, uint, ArrayView<ulong>, CounterOffset, float, float> normal;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, ulong, uint, ArrayView<ulong>, CounterOffset, float, float> uniform;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<ulong>, CounterOffset, int, int> gather;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, float> fill;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, float, float> clamp;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> interpolate;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float> rowPenalty;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, float, int> penaltyStats;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<ulong>, CounterOffset, int, int, int, int, int> oneHotLabels;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, int, int, int, int, ulong, uint, ArrayView<ulong>, CounterOffset> oneHotRandom;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<ulong>, int> increment;
    readonly DeviceBuffer<ulong> noCounters;   // one zero: what kernels read through an offset without a device counter
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int> copyColumns;
    readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, ArrayView<float>, int, ArrayView<ulong>, CounterOffset> markNonFinite;

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
        stream = accelerator.CreateStream();
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
        // An OpenCL CPU driver (PoCL) runs a work-group as a loop over its work-items, vectorised
        // across them: it wants one element per work-item, not a grid-stride loop in each (which
        // walks memory with a stride of the grid size, defeats the vectorizer and made Adam 20x
        // slower than the memory bound there). GPUs keep the capped grid.
        maxGroups = cpu ? Math.Max(1, accelerator.NumMultiprocessors)
            : IsOpenClCpu(accelerator) ? int.MaxValue
            : Math.Max(1, accelerator.NumMultiprocessors) * 8;
        Description = cpu
            ? $"ILGPU CPU simulator ({accelerator.NumMultiprocessors} x {accelerator.MaxNumThreadsPerGroup} threads)"
            : $"{accelerator.Name} ({accelerator.AcceleratorType}, {accelerator.MemorySize / (1024 * 1024)} MiB)";

        Load(out gemm, GemmKernels.Gemm);
        Load(out sumSplits, GemmKernels.SumSplits);
        Load(out biasAct, ActivationKernels.BiasActivationForward);
        Load(out actBackward, ActivationKernels.ActivationBackward);
        Load(out biasGrad, ActivationKernels.BiasGrad);
        Load(out maxout, MaxoutKernels.Forward);
        Load(out maxoutBackward, MaxoutKernels.Backward);
        Load(out bnTrain, BatchNormKernels.ForwardTrain);
        Load(out bnEval, BatchNormKernels.ForwardEval);
        Load(out bnBackward, BatchNormKernels.Backward);
        Load(out loss, LossKernels.Adversarial);
        Load(out adam, AdamKernels.Step);
        Load(out advanceStep, AdamKernels.Advance);
        Load(out rmsProp, RmsPropKernels.Step);
        Load(out sgd, SgdKernels.Step);
        Load(out crossEntropy, SoftmaxKernels.CrossEntropy);
        Load(out softmax, SoftmaxKernels.Softmax);
        Load(out normal, RandomKernels.Normal);
        Load(out uniform, RandomKernels.Uniform);
        Load(out gather, DataKernels.GatherRows);
        Load(out fill, DataKernels.Fill);
        Load(out clamp, ClipKernels.Clamp);
        Load(out markNonFinite, FiniteKernels.MarkNonFinite);
        Load(out interpolate, GradientPenaltyKernels.Interpolate);
        Load(out rowPenalty, GradientPenaltyKernels.RowPenalty);
        Load(out penaltyStats, GradientPenaltyKernels.PenaltyStats);
        Load(out oneHotLabels, ConditionalKernels.OneHotLabels);
        Load(out oneHotRandom, ConditionalKernels.OneHotRandom);
        Load(out copyColumns, ConditionalKernels.CopyColumns);
        Load(out increment, CounterKernels.Increment);
        noCounters = Allocate<ulong>(1);
        if (ownedContext is not null) context = ownedContext;
    }

    public override string Kind { get; }
    public override string Description { get; }
    public Accelerator Accelerator => acc;

    /// <summary>
    /// The one stream every launch and copy of this backend is issued on (never the accelerator's
    /// default stream; on CUDA a non-blocking stream, which a CUDA graph can capture).
    /// </summary>
    public AcceleratorStream Stream => stream;

    /// <summary>
    /// What this backend has done that a step must not do once warm: allocations and frees of
    /// device memory, waits for the stream (<see cref="Synchronize"/> and host copies) and host
    /// copies. Tests compare it before and after steps.
    /// </summary>
    public StreamActivity Activity => new(allocations, frees, synchronizations, hostCopies);

    /// <summary>Device addresses of every buffer this backend holds now (its own workspace included).</summary>
    public IReadOnlyCollection<nint> LiveBuffers => live;

    /// <summary>The accelerator as the GEMM planner sees it.</summary>
    public GemmDevice GemmDevice { get; }

    /// <summary>The GEMM plans made so far, by shape.</summary>
    public IReadOnlyDictionary<GemmProblem, GemmPlan> Plans => plans;

    /// <summary>Floats in the split-K workspace now, and how many times it has been (re)allocated.</summary>
    public long WorkspaceFloats => splitWorkspace?.Length ?? 0;
    public int WorkspaceAllocations { get; private set; }

    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        try
        {
            var mem = acc.Allocate1D<T>(Math.Max(1, length));
            mem.MemSetToZero(stream);
            allocations++;
            live.Add(mem.NativePtr);
            return new IlgpuBuffer<T>(mem, this);
        }
        catch (Exception e) when (e is OutOfMemoryException || e is AcceleratorException || e is InsufficientMemoryException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            throw new DeviceMemoryException(bytes, Description, e);
        }
    }

    static ArrayView<float> V(Tensor t) => ((IlgpuBuffer<float>)t.Buffer).SubView(t.Offset, Math.Max(1, t.Length));
    static ArrayView<T> V<T>(DeviceBuffer<T> b) where T : unmanaged => ((IlgpuBuffer<T>)b).View;

    static bool IsOpenClCpu(Accelerator a) =>
        a is ILGPU.Runtime.OpenCL.CLAccelerator { Device: ILGPU.Runtime.OpenCL.CLDevice { DeviceType: ILGPU.Runtime.OpenCL.CLDeviceType.CL_DEVICE_TYPE_CPU } };

    KernelConfig Stride(long n) =>
        new(new Index1D((int)Math.Clamp((n + threads - 1) / threads, 1, maxGroups)), new Index1D(threads));

    protected override void GemmCore(Tensor a, Tensor b, Tensor c, GemmProblem p)
    {
        if (p.M == 0 || p.N == 0) return;
        Launch(PlanFor(p), a, b, c, p);
    }

    /// <summary>
    /// The GEMM y = x·Wᵀ with bias and activation applied as it stores: one launch (the split-K
    /// reduction applies them when the shape's plan splits K). Plans are shared with plain GEMMs
    /// of the same shape: the epilogue does not change which tiling is best.
    /// </summary>
    protected override void LinearForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act)
    {
        if (s.Rows == 0 || s.Out == 0) return;
        Launch(PlanFor(s.Forward), x, weight, y, s.Forward, GemmEpilogue.For(bias is not null, act.Kind, act.Alpha), bias);
    }

    /// <summary>The Linear forward with the given plan rather than the cached one, as <see cref="Gemm(GemmPlan, Tensor, Tensor, Tensor, GemmProblem)"/>.</summary>
    public void LinearForward(GemmPlan plan, Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act)
    {
        if (s.Rows == 0 || s.Out == 0) return;
        Check(plan, s.In);
        EnsureWorkspace(plan.WorkspaceFloats(s.Rows, s.Out));
        Launch(plan, x, weight, y, s.Forward, GemmEpilogue.For(bias is not null, act.Kind, act.Alpha), bias);
    }

    /// <summary>
    /// dx = (dy·W) ⊙ act'(maskOutput) as one A·B GEMM whose epilogue applies the derivative as it
    /// stores (the split-K reduction, when the shape's plan splits K). Plans are shared with the
    /// plain dX GEMM of the same shape.
    /// </summary>
    protected override void LinearInputGradCore(Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act)
    {
        if (s.Rows == 0 || s.In == 0) return;
        LinearInputGrad(PlanFor(s.InputGrad), dy, weight, dx, s, maskOutput, act, check: false);
    }

    /// <summary>The Linear input gradient with the given plan rather than the cached one, as <see cref="Gemm(GemmPlan, Tensor, Tensor, Tensor, GemmProblem)"/>.</summary>
    public void LinearInputGrad(GemmPlan plan, Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act) =>
        LinearInputGrad(plan, dy, weight, dx, s, maskOutput, act, check: true);

    void LinearInputGrad(GemmPlan plan, Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act, bool check)
    {
        if (s.Rows == 0 || s.In == 0) return;
        if (maskOutput is { } mask && mask.Length < s.Rows * s.In)
            throw new ArgumentException($"activation mask holds {mask.Length} floats; the input gradient is {s.Rows}x{s.In}");
        if (check)
        {
            Check(plan, s.Out);
            EnsureWorkspace(plan.WorkspaceFloats(s.Rows, s.In));
        }
        var epilogue = maskOutput is null ? default : GemmEpilogue.Grad(act.Kind, act.Alpha);
        Launch(plan, dy, weight, dx, s.InputGrad, epilogue, epilogue.IsOn ? maskOutput : null);
    }

    /// <summary>
    /// The plan for a shape: chosen and checked the first time the shape is seen, when the split-K
    /// workspace also grows to fit it, then a lookup. Models issue the same few shapes every step,
    /// so all of this happens in the first step, in effect at model build time. Accumulating or
    /// not, a shape has one plan.
    /// </summary>
    public GemmPlan PlanFor(GemmProblem problem)
    {
        var p = problem.Plan;
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
    public void Gemm(GemmPlan plan, Tensor a, Tensor b, Tensor c, GemmProblem p)
    {
        if (p.M == 0 || p.N == 0) return;
        Check(plan, p.K);
        EnsureWorkspace(plan.WorkspaceFloats(p.M, p.N));
        Launch(plan, a, b, c, p);
    }

    /// <summary>
    /// One GEMM with a checked plan whose workspace is in place: launches only. aux is the
    /// epilogue's operand (the bias, or the activation output of the input gradient's mask); without
    /// one the kernels get C's view in its place, which they never read.
    /// </summary>
    void Launch(GemmPlan plan, Tensor a, Tensor b, Tensor c, GemmProblem problem, GemmEpilogue epilogue = default, Tensor? aux = null)
    {
        var p = plan.Args(problem, epilogue);
        int m = problem.M, n = problem.N;
        var t = plan.Tiles;
        var grid = new Index3D((n + t.TileN - 1) / t.TileN, (m + t.TileM - 1) / t.TileM, plan.SplitK);
        var cfg = new KernelConfig(grid, new Index3D(t.Threads, 1, 1), SharedMemoryConfig.RequestDynamic<float>(p.SharedFloats));
        var auxView = aux is { } at ? V(at) : V(c);
        if (plan.SplitK == 1)
        {
            gemm(stream, cfg, V(a), V(b), V(c), auxView, p);
            return;
        }
        int mn = m * n;
        var partials = V(splitWorkspace!).SubView(0, (long)plan.SplitK * mn);
        gemm(stream, cfg, V(a), V(b), partials, auxView, p);
        sumSplits(stream, Stride(mn), partials, V(c), auxView, mn, n, plan.SplitK, problem.Accumulate ? 1 : 0, epilogue);
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
        Synchronize();
        splitWorkspace?.Dispose();
        splitWorkspace = Allocate<float>(floats);
        WorkspaceAllocations++;
    }

    protected override void BiasActivationCore(Tensor x, Tensor? bias, Tensor y, RowsCols s, Act act)
    {
        int n = s.Rows * s.Cols;
        biasAct(stream, Stride(n), V(x), bias is { } bt ? V(bt) : V(x), V(y), n, s.Cols, bias is null ? 0 : 1, (int)act.Kind, act.Alpha);
    }

    protected override void ActivationBackwardCore(Tensor y, Tensor dy, Tensor dx, Act act) =>
        actBackward(stream, Stride(y.Length), V(y), V(dy), V(dx), y.Length, (int)act.Kind, act.Alpha);

    protected override void BiasGradCore(Tensor dy, Tensor db, RowsCols s, bool accumulate) =>
        biasGrad(stream, Stride(s.Cols), V(dy), V(db), s.Rows, s.Cols, accumulate ? 1 : 0);

    protected override void MaxoutForwardCore(Tensor pre, Tensor y, MaxoutShape s) =>
        maxout(stream, Stride(s.Groups), V(pre), V(y), checked((int)s.Groups), s.Pieces);

    protected override void MaxoutBackwardCore(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s) =>
        maxoutBackward(stream, Stride(s.Groups), V(pre), V(dy), V(dpre), checked((int)s.Groups), s.Pieces);

    protected override void BatchNormTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNormShape s) =>
        bnTrain(stream, Stride(s.Cols), V(x), V(p.Gamma), V(p.Beta), V(p.RunningMean), V(p.RunningVar), V(y), V(saved.Mean), V(saved.InvStd), s.Rows, s.Cols, p.Momentum, p.Eps);

    protected override void BatchNormEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNormShape s) =>
        bnEval(stream, Stride(s.Rows * s.Cols), V(x), V(p.Gamma), V(p.Beta), V(p.RunningMean), V(p.RunningVar), V(y), s.Rows * s.Cols, s.Cols, p.Eps);

    protected override void BatchNormBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNormShape s) =>
        bnBackward(stream, Stride(s.Cols), V(x), V(dy), V(p.Gamma), V(saved.Mean), V(saved.InvStd), V(grads.Dx), V(grads.DGamma), V(grads.DBeta), s.Rows, s.Cols, grads.Accumulate ? 1 : 0);

    protected override void AdversarialLossCore(Tensor logits, LossKind kind, float target, LossOutput o) =>
        loss(stream, new KernelConfig(new Index1D(1), new Index1D(threads)), V(logits), V(o.Grad), V(o.Stats), logits.Length, (int)kind, target, o.GradScale, o.StatsIndex);

    protected override void SoftmaxCrossEntropyCore(Tensor logits, DeviceBuffer<int> labels, BatchIndices batch, RowsCols s, LossOutput o) =>
        crossEntropy(stream, new KernelConfig(new Index1D(1), new Index1D(threads)), V(logits), V(labels), V(batch.Indices), V(o.Grad), V(o.Stats),
            Counters(batch.Counter), Offset((ulong)batch.Offset, batch.Counter), s.Rows, s.Cols, o.GradScale, o.StatsIndex);

    protected override void SoftmaxCore(Tensor logits, Tensor probs, RowsCols s) =>
        softmax(stream, Stride(s.Rows), V(logits), V(probs), s.Rows, s.Cols);

    protected override void AdamCore(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars, StepSchedule schedule)
    {
        // Two launches: every thread of the step must read the counter after it has moved.
        advanceStep(stream, new KernelConfig(new Index1D(1), new Index1D(1)), V(schedule.Step));
        adam(stream, Stride(param.Length), V(param), V(grad), V(m), V(v), param.Length, scalars, V(schedule.Table), schedule.Rows, V(schedule.Step));
    }

    protected override void RmsPropCore(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s) =>
        rmsProp(stream, Stride(param.Length), V(param), V(grad), V(squareAvg), param.Length, s);

    protected override void SgdCore(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s) =>
        sgd(stream, Stride(param.Length), V(param), V(grad), V(momentumBuffer), param.Length, s);

    protected override void RandomNormalCore(Tensor dst, PhiloxCounter rng, float mean, float std) =>
        normal(stream, Stride(dst.Length), V(dst), dst.Length, rng.Seed, rng.Stream, Counters(rng.Counter), Offset(rng.Offset, rng.Counter), mean, std);

    protected override void RandomUniformCore(Tensor dst, PhiloxCounter rng, float low, float high) =>
        uniform(stream, Stride(dst.Length), V(dst), dst.Length, rng.Seed, rng.Stream, Counters(rng.Counter), Offset(rng.Offset, rng.Counter), low, high);

    protected override void GatherRowsCore(DeviceBuffer<byte> data, BatchIndices batch, RowsCols s, Tensor dst) =>
        gather(stream, Stride(s.Count), V(data), V(batch.Indices), V(dst), Counters(batch.Counter), Offset((ulong)batch.Offset, batch.Counter), s.Rows, s.Cols);

    protected override void FillCore(Tensor dst, float value) => fill(stream, Stride(dst.Length), V(dst), dst.Length, value);

    protected override void MarkNonFiniteCore(Tensor x, NonFiniteFlag flag) =>
        markNonFinite(stream, Stride(x.Length), V(x), x.Length, V(flag.Flags), flag.Index, Counters(flag.Counter), Offset((ulong)flag.Mark, flag.Counter));

    protected override void ClampCore(Tensor x, float min, float max) => clamp(stream, Stride(x.Length), V(x), x.Length, min, max);

    protected override void InterpolateCore(Tensor real, Tensor fake, Tensor eps, Tensor xhat, RowsCols s) =>
        interpolate(stream, Stride(s.Count), V(real), V(fake), V(eps), V(xhat), s.Rows, s.Cols);

    protected override void GradientPenaltyCore(Tensor g, Tensor norms, RowsCols s, float lambda, LossOutput o)
    {
        int rowThreads = Math.Min(GradientPenaltyKernels.RowThreads, threads);
        rowPenalty(stream, new KernelConfig(new Index1D(Math.Clamp(s.Rows, 1, maxGroups)), new Index1D(rowThreads)), V(g), V(o.Grad), V(norms), s.Rows, s.Cols, lambda, o.GradScale);
        penaltyStats(stream, new KernelConfig(new Index1D(1), new Index1D(threads)), V(norms), V(o.Stats), s.Rows, lambda, o.StatsIndex);
    }

    protected override void OneHotLabelsCore(DeviceBuffer<int> labels, BatchIndices batch, ColumnBlock dst, OneHotShape s) =>
        oneHotLabels(stream, Stride(s.Count), V(labels), V(batch.Indices), V(dst.Tensor), Counters(batch.Counter), Offset((ulong)batch.Offset, batch.Counter), s.Rows, s.Classes, s.Plane, dst.Stride, dst.Column);

    protected override void OneHotRandomCore(ColumnBlock dst, OneHotShape s, PhiloxCounter rng) =>
        oneHotRandom(stream, Stride(s.Count), V(dst.Tensor), s.Rows, s.Classes, s.Plane, dst.Stride, dst.Column, rng.Seed, rng.Stream, Counters(rng.Counter), Offset(rng.Offset, rng.Counter));

    protected override void CopyColumnsCore(ColumnBlock src, ColumnBlock dst, RowsCols s) =>
        copyColumns(stream, Stride(s.Count), V(src.Tensor), V(dst.Tensor), s.Rows, s.Cols, src.Stride, src.Column, dst.Stride, dst.Column);

    protected override void CopyCore(Tensor source, Tensor destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException("copy between tensors of different lengths");
        V(source).CopyTo(stream, V(destination));
    }

    protected override void IncrementCore(DeviceBuffer<ulong> counters, int count) => increment(stream, Stride(count), V(counters), count);

    ArrayView<ulong> Counters(DeviceCounter c) => V(c.Counters ?? noCounters);
    static CounterOffset Offset(ulong offset, DeviceCounter c) => new(offset, c.Slot, c.Counters is null ? 0 : c.Scale);

    public override void Synchronize()
    {
        synchronizations++;
        stream.Synchronize();
    }

    /// <summary>A host copy through the stream: ILGPU waits for the stream to finish it.</summary>
    internal void CountHostCopy()
    {
        hostCopies++;
        synchronizations++;
    }

    internal void Freed(nint address)
    {
        frees++;
        live.Remove(address);
    }

    public override void Dispose()
    {
        DisposeConvPlans();
        splitWorkspace?.Dispose();
        noCounters.Dispose();
        stream.Dispose();
        acc.Dispose();
        if (ownsContext) context.Dispose();
    }

    // One overload per kernel arity: the launcher field's type fixes the type arguments, so each
    // kernel's signature is written once, in its field's declaration.
    void Load<T1>(out Action<AcceleratorStream, KernelConfig, T1> launcher, Action<T1> kernel) where T1 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2>(out Action<AcceleratorStream, KernelConfig, T1, T2> launcher, Action<T1, T2> kernel) where T1 : struct where T2 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3> launcher, Action<T1, T2, T3> kernel) where T1 : struct where T2 : struct where T3 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4> launcher, Action<T1, T2, T3, T4> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5> launcher, Action<T1, T2, T3, T4, T5> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6> launcher, Action<T1, T2, T3, T4, T5, T6> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7> launcher, Action<T1, T2, T3, T4, T5, T6, T7> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7, T8>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> launcher, Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> launcher, Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> launcher, Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> launcher, Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct => launcher = acc.LoadKernel(kernel);
    void Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(out Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> launcher, Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct => launcher = acc.LoadKernel(kernel);

    static int LargestPowerOfTwoAtMost(int n)
    {
        int p = 1;
        while (p * 2 <= n) p *= 2;
        return p;
    }
}
