namespace IlgpuGan.Engine.Backends;

// The convolution and BatchNorm2d ops: IlgpuConv (im2col + the backend's GEMM plans + a layout pass)
// and the BatchNorm2d kernels, compiled the first time a model prepares a convolution or runs one
// of these ops (an MLP run never compiles them).
public sealed partial class IlgpuBackend
{
    IlgpuConvOps? convOps;
    readonly Dictionary<Conv2dGeometry, IlgpuConv> convPlans = [];

    IlgpuConvOps ConvOps => convOps ??= new IlgpuConvOps(this);

    /// <summary>The convolution plans made so far (one per geometry, batch included).</summary>
    public IReadOnlyDictionary<Conv2dGeometry, IlgpuConv> ConvPlans => convPlans;

    /// <summary>The GEMM without the observer: a convolution's GEMMs are part of the conv op a profile sees.</summary>
    internal void GemmUnobserved(Tensor a, Tensor b, Tensor c, GemmProblem p) => GemmCore(a, b, c, p);

    IlgpuConv ConvPlan(in Conv2dGeometry g)
    {
        if (!convPlans.TryGetValue(g, out var plan))
        {
            plan = new IlgpuConv(ConvOps, g.Validated());
            convPlans.Add(g, plan);
        }
        return plan;
    }

    protected override void PrepareConvCore(Conv2dGeometry g) => ConvPlan(g);

    protected override void ConvForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        ConvPlan(g).Forward(x, weight, bias, y);

    protected override void ConvInputGradCore(Tensor dy, Tensor weight, Tensor dx, Conv2dGeometry g) =>
        ConvPlan(g).InputGrad(dy, weight, dx);

    protected override void ConvWeightGradCore(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, bool accumulate) =>
        ConvPlan(g).WeightGrad(x, dy, dw, accumulate);

    protected override void ConvBackwardCore(Tensor x, Tensor dy, Tensor weight, ConvGrads grads, Conv2dGeometry g) =>
        ConvPlan(g).Backward(x, dy, weight, grads.Dx, grads.DWeight, grads.Accumulate, grads.InputUnchanged);

    protected override void ConvBiasGradCore(Tensor dy, Tensor db, Conv2dGeometry g, bool accumulate) =>
        ConvOps.ChannelBiasGrad(dy, db, g.N, g.COut, g.OutH * g.OutW, accumulate);

    protected override void BatchNorm2dTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNorm2dShape s) =>
        ConvOps.BatchNorm2dTrain(x, p.Gamma, p.Beta, p.RunningMean, p.RunningVar, y, saved.Mean, saved.InvStd, s.N, s.C, s.Plane, p.Momentum, p.Eps);

    protected override void BatchNorm2dEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNorm2dShape s) =>
        ConvOps.BatchNorm2dEval(x, p.Gamma, p.Beta, p.RunningMean, p.RunningVar, y, s.N, s.C, s.Plane, p.Eps);

    protected override void BatchNorm2dBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNorm2dShape s) =>
        ConvOps.BatchNorm2dBackward(x, dy, p.Gamma, saved.Mean, saved.InvStd, grads.Dx, grads.DGamma, grads.DBeta, s.N, s.C, s.Plane, grads.Accumulate);

    void DisposeConvPlans()
    {
        foreach (var plan in convPlans.Values) plan.Dispose();
        convPlans.Clear();
    }
}
