using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// y = act(x·Wᵀ + b), W stored [out, in] as torch.nn.Linear; without a bias (torch's bias=False)
/// the state_dict holds the weight only. When the next layer of the spec is an activation, the
/// model fuses it here (bias and activation in the GEMM's epilogue); the activation keeps its own
/// index for naming. Initialisation: <see cref="WeightInit"/> (PyTorch's default, U(±1/√in) for W
/// and b, or N(0, σ²) weights and zero biases).
/// </summary>
public sealed class Linear : Layer
{
    readonly Slot weight;
    readonly Slot? bias;

    public Linear(int index, int inFeatures, int outFeatures, Func<int, double> uniform01, bool hasBias = true, WeightInit? init = null)
        : base(inFeatures, outFeatures)
    {
        Index = index;
        init ??= WeightInit.TorchDefault;
        int weights = inFeatures * outFeatures;
        weight = new($"{index}.weight", [outFeatures, inFeatures], SlotKind.Parameter, i => init.Weight(uniform01, i, inFeatures));
        if (hasBias) bias = new($"{index}.bias", [outFeatures], SlotKind.Parameter, i => init.Bias(uniform01, i, inFeatures, weights));
    }

    /// <summary>W [out, in] and its gradient.</summary>
    public Slot Weight => weight;

    /// <summary>The bias, or null for a Linear without one.</summary>
    public Slot? Bias => bias;

    public Activation FusedActivation { get; internal set; } = Activation.Identity;
    public float FusedAlpha { get; internal set; }

    public override IReadOnlyList<Slot> Slots => bias is null ? [weight] : [weight, bias];

    public override Act OutputActivation => new(FusedActivation, FusedAlpha);

    /// <summary>The dX GEMM applies the lower layer's act' in its epilogue.</summary>
    public override bool AbsorbsInputActivation => true;

    LinearShape Shape(int n) => new(n, InFeatures, OutFeatures);

    /// <summary>One op: the backend's GEMM applies bias and activation as it stores y.</summary>
    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training) =>
        b.LinearForward(x, weight.Value, bias?.Value, y, Shape(n), OutputActivation);

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate) =>
        Backward(b, x, y, dy, dx, n, paramGrads, accumulate, default);

    /// <summary>
    /// With fusion.DyIsPreActivation, dy already holds dL/d(pre-activation) (the layer above applied
    /// this layer's act' in its dX GEMM), so this layer skips its activation backward; with an
    /// input activation, this layer's dX GEMM applies its derivative (taken from x, its output) as
    /// it stores, so dx leaves holding dL/d(the lower layer's pre-activation).
    /// </summary>
    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate, ActivationFusion fusion)
    {
        var shape = Shape(n);
        if (FusedActivation != Activation.Identity && !fusion.DyIsPreActivation)
            b.ActivationBackward(y, dy, dy, OutputActivation);   // dy now holds dL/d(pre-activation)
        if (paramGrads)
        {
            b.Gemm(dy, x, weight.Grad, shape.WeightGrad(accumulate));
            if (bias is not null) b.BiasGrad(dy, bias.Grad, new(n, OutFeatures), accumulate);
        }
        if (dx is { } d)
            b.LinearInputGrad(dy, weight.Value, d, shape, fusion.Input.IsIdentity ? null : x, fusion.Input);
    }
}
