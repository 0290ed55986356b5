using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// torch.nn.Conv2d and torch.nn.ConvTranspose2d on NCHW rows (one row = one image's C·H·W floats).
/// The weight is stored as torch stores it: [out, in, kh, kw] for Conv2d, [in, out, kh, kw] for the
/// transpose. Initialisation is pytorch/examples dcgan's (weights N(0, 0.02)); a bias, when the spec
/// has one, starts at 0. The geometry is fixed when the model is built except for the batch, which
/// each call sets; the model prepares the backend's plan for the batch sizes it will run.
/// </summary>
public sealed class ConvLayer : Layer
{
    readonly Slot weight;
    readonly Slot? bias;
    readonly Conv2dGeometry geometry;   // for the model's largest batch

    public ConvLayer(int index, Conv2dGeometry geometry, bool withBias, Func<int, double> uniform01)
        : base(geometry.CIn * geometry.H * geometry.W, geometry.COut * geometry.OutH * geometry.OutW)
    {
        Index = index;
        this.geometry = geometry.Validated();
        int[] shape = geometry.Transposed
            ? [geometry.CIn, geometry.COut, geometry.KH, geometry.KW]
            : [geometry.COut, geometry.CIn, geometry.KH, geometry.KW];
        weight = new($"{index}.weight", shape, SlotKind.Parameter, i => InitDraws.Normal(uniform01, i, 0.0, 0.02));
        if (withBias) bias = new($"{index}.bias", [geometry.COut], SlotKind.Parameter);
    }

    public Slot Weight => weight;
    public Slot? Bias => bias;

    /// <summary>The geometry for a batch of n images.</summary>
    public Conv2dGeometry Geometry(int n) => geometry with { N = n };

    /// <summary>Output channels, height and width (the image shape the next layer sees).</summary>
    public (int C, int H, int W) OutputShape => (geometry.COut, geometry.OutH, geometry.OutW);

    public override IReadOnlyList<Slot> Slots => bias is null ? [weight] : [weight, bias];

    public override void Prepare(IBackend b, int n) => b.PrepareConv(Geometry(n));

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training) =>
        b.ConvForward(x, weight.Value, bias?.Value, y, Geometry(n));

    /// <summary>
    /// Both gradients in one op. The model runs a layer's backward right after the forward that fed
    /// it, with x untouched in between, so the backend may reuse that forward's column matrix.
    /// </summary>
    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate)
    {
        var g = Geometry(n);
        if (paramGrads)
        {
            b.ConvBackward(x, dy, weight.Value, new ConvGrads(dx, weight.Grad, accumulate, InputUnchanged: true), g);
            if (bias is { } bs) b.ConvBiasGrad(dy, bs.Grad, g, accumulate);
        }
        else if (dx is { } d) b.ConvInputGrad(dy, weight.Value, d, g);
    }
}
