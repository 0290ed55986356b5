namespace IlgpuGan.Engine.Backends.Cpu;

// The convolution and BatchNorm2d ops: CpuConv and CpuBatchNorm2d behind the IBackend API.
public sealed unsafe partial class CpuBackend
{
    // One CpuConv per geometry (batch included): its column matrix and staging are sized when a
    // layer prepares it at build time, so a step only looks its plan up.
    readonly Dictionary<Conv2dGeometry, CpuConv> convPlans = [];

    /// <summary>The convolution plans made so far (one per geometry, batch included).</summary>
    public IReadOnlyDictionary<Conv2dGeometry, CpuConv> ConvPlans => convPlans;

    CpuConv ConvPlan(in Conv2dGeometry g)
    {
        if (!convPlans.TryGetValue(g, out var plan))
        {
            plan = new CpuConv(g.Validated(), threads);
            convPlans.Add(g, plan);
        }
        return plan;
    }

    static float* PN(Tensor? t) => t is { } v ? P(v) : null;

    protected override void PrepareConvCore(Conv2dGeometry g) => ConvPlan(g);

    protected override void ConvForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        ConvPlan(g).Forward(P(x), P(weight), PN(bias), P(y));

    protected override void ConvInputGradCore(Tensor dy, Tensor weight, Tensor dx, Conv2dGeometry g) =>
        ConvPlan(g).InputGrad(P(dy), P(weight), P(dx));

    protected override void ConvWeightGradCore(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, bool accumulate) =>
        ConvPlan(g).WeightGrad(P(x), P(dy), P(dw), accumulate);

    protected override void ConvBackwardCore(Tensor x, Tensor dy, Tensor weight, ConvGrads grads, Conv2dGeometry g) =>
        ConvPlan(g).Backward(P(x), P(dy), P(weight), PN(grads.Dx), P(grads.DWeight), grads.Accumulate, grads.InputUnchanged);

    protected override void ConvBiasGradCore(Tensor dy, Tensor db, Conv2dGeometry g, bool accumulate) =>
        CpuIm2Col.ChannelSums(P(dy), P(db), g.N, g.COut, g.OutH * g.OutW, accumulate);

    /// <summary>
    /// ReLU and LeakyReLU ride in the normalising store and the backward's reads of dy
    /// (<see cref="CpuBatchNorm2d"/>; the derivative from the recomputed pre-activation, so saved.Output is not read).
    /// </summary>
    protected override bool FusesBatchNormActivation(Act act) => CpuBatchNorm2d.Fuses((int)act.Kind, act.Alpha);

    protected override void BatchNorm2dTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNorm2dShape s) =>
        CpuBatchNorm2d.ForwardTrain(P(x), P(p.Gamma), P(p.Beta), P(p.RunningMean), P(p.RunningVar), P(y), P(saved.Mean), P(saved.InvStd),
            s.N, s.C, s.Plane, p.Momentum, p.Eps, threads, (int)s.Act.Kind, s.Act.Alpha);

    protected override void BatchNorm2dEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNorm2dShape s) =>
        CpuBatchNorm2d.ForwardEval(P(x), P(p.Gamma), P(p.Beta), P(p.RunningMean), P(p.RunningVar), P(y), s.N, s.C, s.Plane, p.Eps, threads,
            (int)s.Act.Kind, s.Act.Alpha);

    protected override void BatchNorm2dBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNorm2dShape s) =>
        CpuBatchNorm2d.Backward(P(x), P(dy), P(p.Gamma), P(saved.Mean), P(saved.InvStd), P(grads.Dx), P(grads.DGamma), P(grads.DBeta),
            s.N, s.C, s.Plane, grads.Accumulate, threads, P(p.Beta), (int)s.Act.Kind, s.Act.Alpha);
}
