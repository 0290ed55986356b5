using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Sees every op of a backend: <see cref="Begin"/> before it runs and <see cref="End"/> after, with
/// the op's kernel key (op, dimensions, flags; a value type, so nothing allocates). Profilers are
/// observers (<see cref="ProfilingBackend"/>, <see cref="KernelProfiler"/>); they need no code per op.
/// </summary>
public interface IOpObserver
{
    void Begin(in KernelKey key);
    void End(in KernelKey key);
}

/// <summary>
/// The base of every real backend: each public op names its kernel (<see cref="KernelKey"/>) for
/// the attached <see cref="Observer"/>, if any, and runs the derived backend's implementation
/// (the protected abstract method of the same name with "Core" appended). This is the one place
/// profiling hooks into, so adding an op means: the interface method, its wrapper here (one
/// line: the key), its cost row in <see cref="KernelCost"/>, and the implementations.
/// Implementations that reuse other ops call their Core methods, so an observer sees each op
/// the caller issued once, never the pieces it is made of.
/// </summary>
public abstract class BackendBase : IBackend
{
    IOpObserver? observer;

    /// <summary>The one observer of this backend's ops, or null. Setting one replaces the last.</summary>
    public IOpObserver? Observer { get => observer; set => observer = value; }

    /// <summary>While an observer is attached, the span of one op; a struct, so `using` it allocates nothing.</summary>
    protected Scope Observe(in KernelKey key) => observer is { } o ? new Scope(o, key) : default;

    protected readonly struct Scope : IDisposable
    {
        readonly IOpObserver? observer;
        readonly KernelKey key;

        public Scope(IOpObserver observer, in KernelKey key)
        {
            this.observer = observer;
            this.key = key;
            observer.Begin(key);
        }

        public void Dispose() => observer?.End(key);
    }

    public abstract string Kind { get; }
    public abstract string Description { get; }
    public abstract DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;
    public abstract void Synchronize();
    public abstract void Dispose();

    public void Gemm(Tensor a, Tensor b, Tensor c, GemmProblem p)
    {
        using (Observe(KernelKey.Gemm(p))) GemmCore(a, b, c, p);
    }

    public void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act)
    {
        using (Observe(KernelKey.LinearForward(s, act, bias is not null))) LinearForwardCore(x, weight, bias, y, s, act);
    }

    public void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act)
    {
        using (Observe(KernelKey.LinearInputGrad(s, maskOutput is not null, act))) LinearInputGradCore(dy, weight, dx, s, maskOutput, act);
    }

    public void BiasActivation(Tensor x, Tensor? bias, Tensor y, RowsCols s, Act act)
    {
        using (Observe(new(KernelOp.BiasActivation, s.Rows, s.Cols, 0, KernelKey.ActVariant(act, bias is not null)))) BiasActivationCore(x, bias, y, s, act);
    }

    public void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Act act)
    {
        using (Observe(new(KernelOp.ActivationBackward, y.Length, 0, 0, KernelKey.ActVariant(act)))) ActivationBackwardCore(y, dy, dx, act);
    }

    public void BiasGrad(Tensor dy, Tensor db, RowsCols s, bool accumulate)
    {
        using (Observe(new(KernelOp.BiasGrad, s.Rows, s.Cols, 0, accumulate ? KernelKey.Accumulate : 0))) BiasGradCore(dy, db, s, accumulate);
    }

    public void MaxoutForward(Tensor pre, Tensor y, MaxoutShape s)
    {
        using (Observe(new(KernelOp.MaxoutForward, s.Rows, s.Units, s.Pieces))) MaxoutForwardCore(pre, y, s);
    }

    public void MaxoutBackward(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s)
    {
        using (Observe(new(KernelOp.MaxoutBackward, s.Rows, s.Units, s.Pieces))) MaxoutBackwardCore(pre, dy, dpre, s);
    }

    public void BatchNormTrain(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNormShape s)
    {
        using (Observe(new(KernelOp.BatchNormTrain, s.Rows, s.Cols))) BatchNormTrainCore(x, y, p, saved, s);
    }

    public void BatchNormEval(Tensor x, Tensor y, BatchNormState p, BatchNormShape s)
    {
        using (Observe(new(KernelOp.BatchNormEval, s.Rows, s.Cols))) BatchNormEvalCore(x, y, p, s);
    }

    public void BatchNormBackward(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNormShape s)
    {
        using (Observe(new(KernelOp.BatchNormBackward, s.Rows, s.Cols, 0, grads.Accumulate ? KernelKey.Accumulate : 0)))
            BatchNormBackwardCore(x, dy, p, saved, grads, s);
    }

    public void PrepareConv(Conv2dGeometry g) => PrepareConvCore(g.Validated());

    public void ConvForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        using (Observe(KernelKey.Conv(KernelOp.ConvForward, g, bias is not null, false))) ConvForwardCore(x, weight, bias, y, g);
    }

    public void ConvInputGrad(Tensor dy, Tensor weight, Tensor dx, Conv2dGeometry g)
    {
        using (Observe(KernelKey.Conv(KernelOp.ConvInputGrad, g, false, false))) ConvInputGradCore(dy, weight, dx, g);
    }

    public void ConvWeightGrad(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, bool accumulate)
    {
        using (Observe(KernelKey.Conv(KernelOp.ConvWeightGrad, g, false, accumulate))) ConvWeightGradCore(x, dy, dw, g, accumulate);
    }

    public void ConvBackward(Tensor x, Tensor dy, Tensor weight, ConvGrads grads, Conv2dGeometry g)
    {
        using (Observe(KernelKey.Conv(grads.Dx is null ? KernelOp.ConvWeightGrad : KernelOp.ConvBackward, g, false, grads.Accumulate)))
            ConvBackwardCore(x, dy, weight, grads, g);
    }

    public void ConvBiasGrad(Tensor dy, Tensor db, Conv2dGeometry g, bool accumulate)
    {
        using (Observe(new(KernelOp.ConvBiasGrad, g.N, g.COut, (long)g.OutH * g.OutW, accumulate ? KernelKey.Accumulate : 0))) ConvBiasGradCore(dy, db, g, accumulate);
    }

    public void BatchNorm2dTrain(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNorm2dShape s)
    {
        using (Observe(new(KernelOp.BatchNorm2dTrain, s.N, s.C, s.Plane)))
        {
            if (FusesBatchNormActivation(s.Act)) { BatchNorm2dTrainCore(x, y, p, saved, s); return; }
            BatchNorm2dTrainCore(x, y, p, saved, s with { Act = Act.Identity });
        }
        ApplyActivation(y, s);
    }

    public void BatchNorm2dEval(Tensor x, Tensor y, BatchNormState p, BatchNorm2dShape s)
    {
        using (Observe(new(KernelOp.BatchNorm2dEval, s.N, s.C, s.Plane)))
        {
            if (FusesBatchNormActivation(s.Act)) { BatchNorm2dEvalCore(x, y, p, s); return; }
            BatchNorm2dEvalCore(x, y, p, s with { Act = Act.Identity });
        }
        ApplyActivation(y, s);
    }

    public void BatchNorm2dBackward(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNorm2dShape s)
    {
        bool fused = FusesBatchNormActivation(s.Act);
        if (!fused && !s.Act.IsIdentity)
        {
            int count = checked((int)s.Count);
            ActivationBackward(saved.Output.Slice(0, count), dy.Slice(0, count), dy.Slice(0, count), s.Act);   // dy now holds dL/d(BN's output)
        }
        using (Observe(new(KernelOp.BatchNorm2dBackward, s.N, s.C, s.Plane, grads.Accumulate ? KernelKey.Accumulate : 0)))
            BatchNorm2dBackwardCore(x, dy, p, saved, grads, fused ? s : s with { Act = Act.Identity });
    }

    /// <summary>
    /// Whether this backend's BatchNorm2d cores apply <paramref name="act"/> themselves (in the
    /// normalising store, and its derivative where the backward reads dy). Where not, the public ops
    /// run the unfused pair: BN then the activation in place; the activation backward into dy, then BN's.
    /// </summary>
    protected virtual bool FusesBatchNormActivation(Act act) => act.IsIdentity;

    void ApplyActivation(Tensor y, BatchNorm2dShape s)
    {
        if (!FusesBatchNormActivation(s.Act))
            BiasActivation(y, null, y, new(s.N, s.C * s.Plane), s.Act);
    }

    public void AdversarialLoss(Tensor logits, LossKind kind, float target, LossOutput output)
    {
        using (Observe(new(KernelOp.AdversarialLoss, logits.Length, 0, 0, (int)kind))) AdversarialLossCore(logits, kind, target, output);
    }

    public void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, BatchIndices batch, RowsCols s, LossOutput output)
    {
        using (Observe(new(KernelOp.SoftmaxCrossEntropy, s.Rows, s.Cols))) SoftmaxCrossEntropyCore(logits, labels, batch, s, output);
    }

    public void Softmax(Tensor logits, Tensor probs, RowsCols s)
    {
        using (Observe(new(KernelOp.Softmax, s.Rows, s.Cols))) SoftmaxCore(logits, probs, s);
    }

    public void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars, StepSchedule schedule)
    {
        using (Observe(new(KernelOp.Adam, param.Length))) AdamCore(param, grad, m, v, scalars, schedule);
    }

    public void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s)
    {
        using (Observe(new(KernelOp.RmsProp, param.Length))) RmsPropCore(param, grad, squareAvg, s);
    }

    public void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s)
    {
        using (Observe(new(KernelOp.Sgd, param.Length, 0, 0, s.Momentum != 0 ? 1 : 0))) SgdCore(param, grad, momentumBuffer, s);
    }

    public void RandomNormal(Tensor dst, PhiloxCounter rng, float mean = 0f, float std = 1f)
    {
        using (Observe(new(KernelOp.RandomNormal, dst.Length))) RandomNormalCore(dst, rng, mean, std);
    }

    public void RandomUniform(Tensor dst, PhiloxCounter rng, float low = 0f, float high = 1f)
    {
        using (Observe(new(KernelOp.RandomUniform, dst.Length))) RandomUniformCore(dst, rng, low, high);
    }

    public void GatherRows(DeviceBuffer<byte> data, BatchIndices batch, RowsCols s, Tensor dst)
    {
        using (Observe(new(KernelOp.GatherRows, s.Rows, s.Cols))) GatherRowsCore(data, batch, s, dst);
    }

    public void Fill(Tensor dst, float value)
    {
        using (Observe(new(KernelOp.Fill, dst.Length))) FillCore(dst, value);
    }

    public void Clamp(Tensor x, float min, float max)
    {
        using (Observe(new(KernelOp.Clamp, x.Length))) ClampCore(x, min, max);
    }

    public void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, RowsCols s)
    {
        using (Observe(new(KernelOp.Interpolate, s.Rows, s.Cols))) InterpolateCore(real, fake, eps, xhat, s);
    }

    public void GradientPenalty(Tensor g, Tensor norms, RowsCols s, float lambda, LossOutput output)
    {
        using (Observe(new(KernelOp.GradientPenalty, s.Rows, s.Cols))) GradientPenaltyCore(g, norms, s, lambda, output);
    }

    public void OneHotLabels(DeviceBuffer<int> labels, BatchIndices batch, ColumnBlock dst, OneHotShape s)
    {
        using (Observe(new(KernelOp.OneHotLabels, s.Rows, s.Classes, s.Plane))) OneHotLabelsCore(labels, batch, dst, s);
    }

    public void OneHotRandom(ColumnBlock dst, OneHotShape s, PhiloxCounter rng)
    {
        using (Observe(new(KernelOp.OneHotRandom, s.Rows, s.Classes, s.Plane))) OneHotRandomCore(dst, s, rng);
    }

    public void CopyColumns(ColumnBlock src, ColumnBlock dst, RowsCols s)
    {
        using (Observe(new(KernelOp.CopyColumns, s.Rows, s.Cols))) CopyColumnsCore(src, dst, s);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        using (Observe(new(KernelOp.Copy, source.Length))) CopyCore(source, destination);
    }

    public void Increment(DeviceBuffer<ulong> counters, int count)
    {
        using (Observe(new(KernelOp.Increment, count))) IncrementCore(counters, count);
    }

    public void MarkNonFinite(Tensor x, NonFiniteFlag flag)
    {
        using (Observe(new(KernelOp.MarkNonFinite, x.Length))) MarkNonFiniteCore(x, flag);
    }

    protected abstract void GemmCore(Tensor a, Tensor b, Tensor c, GemmProblem p);
    protected abstract void LinearForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act);
    protected abstract void LinearInputGradCore(Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act);
    protected abstract void BiasActivationCore(Tensor x, Tensor? bias, Tensor y, RowsCols s, Act act);
    protected abstract void ActivationBackwardCore(Tensor y, Tensor dy, Tensor dx, Act act);
    protected abstract void BiasGradCore(Tensor dy, Tensor db, RowsCols s, bool accumulate);
    protected abstract void MaxoutForwardCore(Tensor pre, Tensor y, MaxoutShape s);
    protected abstract void MaxoutBackwardCore(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s);
    protected abstract void BatchNormTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNormShape s);
    protected abstract void BatchNormEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNormShape s);
    protected abstract void BatchNormBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNormShape s);
    protected abstract void PrepareConvCore(Conv2dGeometry g);
    protected abstract void ConvForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g);
    protected abstract void ConvInputGradCore(Tensor dy, Tensor weight, Tensor dx, Conv2dGeometry g);
    protected abstract void ConvWeightGradCore(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, bool accumulate);
    protected abstract void ConvBackwardCore(Tensor x, Tensor dy, Tensor weight, ConvGrads grads, Conv2dGeometry g);
    protected abstract void ConvBiasGradCore(Tensor dy, Tensor db, Conv2dGeometry g, bool accumulate);
    protected abstract void BatchNorm2dTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNorm2dShape s);
    protected abstract void BatchNorm2dEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNorm2dShape s);
    protected abstract void BatchNorm2dBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNorm2dShape s);
    protected abstract void AdversarialLossCore(Tensor logits, LossKind kind, float target, LossOutput output);
    protected abstract void SoftmaxCrossEntropyCore(Tensor logits, DeviceBuffer<int> labels, BatchIndices batch, RowsCols s, LossOutput output);
    protected abstract void SoftmaxCore(Tensor logits, Tensor probs, RowsCols s);
    protected abstract void AdamCore(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars s, StepSchedule schedule);
    protected abstract void RmsPropCore(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s);
    protected abstract void SgdCore(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s);
    protected abstract void RandomNormalCore(Tensor dst, PhiloxCounter rng, float mean, float std);
    protected abstract void RandomUniformCore(Tensor dst, PhiloxCounter rng, float low, float high);
    protected abstract void GatherRowsCore(DeviceBuffer<byte> data, BatchIndices batch, RowsCols s, Tensor dst);
    protected abstract void FillCore(Tensor dst, float value);
    protected abstract void ClampCore(Tensor x, float min, float max);
    protected abstract void InterpolateCore(Tensor real, Tensor fake, Tensor eps, Tensor xhat, RowsCols s);
    protected abstract void GradientPenaltyCore(Tensor g, Tensor norms, RowsCols s, float lambda, LossOutput output);
    protected abstract void OneHotLabelsCore(DeviceBuffer<int> labels, BatchIndices batch, ColumnBlock dst, OneHotShape s);
    protected abstract void OneHotRandomCore(ColumnBlock dst, OneHotShape s, PhiloxCounter rng);
    protected abstract void CopyColumnsCore(ColumnBlock src, ColumnBlock dst, RowsCols s);
    protected abstract void CopyCore(Tensor source, Tensor destination);
    protected abstract void IncrementCore(DeviceBuffer<ulong> counters, int count);
    protected abstract void MarkNonFiniteCore(Tensor x, NonFiniteFlag flag);
}
