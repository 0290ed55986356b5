using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// The layer kinds the double backward knows: the linear maps (Linear, conv) with their three
/// products, and the masks (an activation fused into a Linear, or a stand-alone one).
/// </summary>
public sealed partial class GradientPenalty
{
    /// <summary>Refuses critics whose penalty gradient this class would get wrong, with the reason.</summary>
    public static void Check(Sequential critic)
    {
        foreach (var layer in critic.Layers)
        {
            if (layer is BatchNorm1d or BatchNorm2d)
                throw new GanException("wgan-gp: the critic has BatchNorm, which couples the samples of a batch; the gradient penalty is per sample (Gulrajani et al.), so use a critic without BatchNorm");
            if (layer is not (Linear or ConvLayer or ActivationLayer))
                throw new GanException($"wgan-gp: critic layer {layer.Index} ({layer.GetType().Name}) is not supported by the exact double backward; use Linear or Conv2d layers with ReLU/LeakyReLU");
            if (MaskOf(layer).Kind is not (Activation.Identity or Activation.ReLU or Activation.LeakyReLU))
                throw new GanException($"wgan-gp: critic activation {MaskOf(layer).Kind} is not piecewise linear; the exact double backward supports ReLU and LeakyReLU");
        }
        if (!critic.Layers.Any(IsMap)) throw new GanException("wgan-gp: the critic has no Linear or Conv2d layer");
        if (critic.OutFeatures != 1) throw new GanException($"wgan-gp: the critic must output one value per sample, not {critic.OutFeatures}");
    }

    /// <summary>A layer linear in its input and its weight (bias aside).</summary>
    static bool IsMap(Layer layer) => layer is Linear or ConvLayer;

    /// <summary>The activation a layer applies after its map (fused), or is (stand-alone).</summary>
    static Act MaskOf(Layer layer) => layer is ActivationLayer a ? new(a.Kind, a.Alpha) : layer.OutputActivation;

    /// <summary>dx = ∂(Σ δ·a)/∂x of map <paramref name="layer"/>: δ·W, or the conv input gradient.</summary>
    void InputGradient(int layer, Tensor delta, Tensor dx, int n)
    {
        switch (layers[layer])
        {
            case Linear l:
                b.Gemm(delta, l.Weight.Value, dx, new(n, l.InFeatures, l.OutFeatures, TransA: false, TransB: false));
                break;
            case ConvLayer c:
                b.ConvInputGrad(delta, c.Weight.Value, dx, c.Geometry(n));
                break;
        }
    }

    /// <summary>∂W += δᵀ·r, the weight gradient with r in place of the map's input.</summary>
    void WeightGradient(int layer, Tensor r, Tensor delta, int n)
    {
        switch (layers[layer])
        {
            case Linear l:
                b.Gemm(delta, r, l.Weight.Grad, new(l.OutFeatures, l.InFeatures, n, TransA: true, TransB: false, Accumulate: true));
                break;
            case ConvLayer c:
                b.ConvWeightGrad(r, delta, c.Weight.Grad, c.Geometry(n), accumulate: true);
                break;
        }
    }

    /// <summary>
    /// <see cref="WeightGradient"/>, then next = the map applied to r without its bias (r·Wᵀ, or the
    /// conv forward). A conv runs the forward first, so its weight gradient reuses the forward's
    /// column matrix of r (r is unchanged in between).
    /// </summary>
    void WeightGradientAndForward(int layer, Tensor r, Tensor delta, Tensor next, int n)
    {
        switch (layers[layer])
        {
            case Linear l:
                WeightGradient(layer, r, delta, n);
                b.Gemm(r, l.Weight.Value, next, new(n, l.OutFeatures, l.InFeatures, TransA: false, TransB: true));
                break;
            case ConvLayer c:
                var g = c.Geometry(n);
                b.ConvForward(r, c.Weight.Value, null, next, g);
                b.ConvBackward(r, delta, c.Weight.Value, new ConvGrads(null, c.Weight.Grad, Accumulate: true, InputUnchanged: true), g);
                break;
        }
    }
}
