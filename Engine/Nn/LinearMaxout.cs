using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// <see cref="LinearMaxoutSpec"/>: pre = x·Wᵀ + b over Units·Pieces features (one GEMM with its bias
/// epilogue), then y[r, u] = max of pre's contiguous group u (<see cref="IBackend.MaxoutForward"/>).
/// The backward routes dy to each group's first argmax (as torch's max), then runs a Linear's three
/// products on that sparse dpre. The state_dict is a Linear's ("{i}.weight" [Units·Pieces, In],
/// "{i}.bias"); pre and dpre are scratch sized for the model's largest batch.
/// </summary>
public sealed class LinearMaxout : Layer
{
    readonly Slot weight, bias, pre, dpre;

    public LinearMaxout(int index, int inFeatures, int units, int pieces, int maxBatch, Func<int, double> uniform01, WeightInit? init = null)
        : base(inFeatures, units)
    {
        if (units < 1 || pieces < 1) throw new ArgumentException($"layer {index}: LinearMaxout needs at least one unit and one piece, got {units} units of {pieces}");
        Index = index;
        Pieces = pieces;
        init ??= WeightInit.TorchDefault;
        int width = units * pieces, weights = width * inFeatures;
        weight = new($"{index}.weight", [width, inFeatures], SlotKind.Parameter, i => init.Weight(uniform01, i, inFeatures));
        bias = new($"{index}.bias", [width], SlotKind.Parameter, i => init.Bias(uniform01, i, inFeatures, weights));
        pre = new($"{index}.pre", [maxBatch, width], SlotKind.Scratch);
        dpre = new($"{index}.dpre", [maxBatch, width], SlotKind.Scratch);
    }

    public int Units => OutFeatures;
    public int Pieces { get; }

    /// <summary>W [Units·Pieces, In]: unit u's pieces are rows u·Pieces … u·Pieces + Pieces − 1.</summary>
    public Slot Weight => weight;
    public Slot Bias => bias;

    public override IReadOnlyList<Slot> Slots => [weight, bias, pre, dpre];

    /// <summary>The dX GEMM on dpre can apply the lower layer's act' as it stores, as a Linear's does.</summary>
    public override bool AbsorbsInputActivation => true;

    LinearShape Shape(int n) => new(n, InFeatures, Units * Pieces);

    MaxoutShape Groups(int n) => new(n, Units, Pieces);

    Tensor Pre(int n) => pre.Value.Slice(0, n * Units * Pieces);

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training)
    {
        var p = Pre(n);
        b.LinearForward(x, weight.Value, bias.Value, p, Shape(n), Act.Identity);
        b.MaxoutForward(p, y, Groups(n));
    }

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate) =>
        Backward(b, x, y, dy, dx, n, paramGrads, accumulate, default);

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate, ActivationFusion fusion)
    {
        var shape = Shape(n);
        var d = dpre.Value.Slice(0, n * Units * Pieces);
        b.MaxoutBackward(Pre(n), dy, d, Groups(n));
        if (paramGrads)
        {
            b.Gemm(d, x, weight.Grad, shape.WeightGrad(accumulate));
            b.BiasGrad(d, bias.Grad, new(n, Units * Pieces), accumulate);
        }
        if (dx is { } target)
            b.LinearInputGrad(d, weight.Value, target, shape, fusion.Input.IsIdentity ? null : x, fusion.Input);
    }
}
