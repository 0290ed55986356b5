using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Nn;

/// <summary>A stand-alone activation (one not fused into a preceding Linear).</summary>
public sealed class ActivationLayer : Layer
{
    public ActivationLayer(int index, int features, Activation kind, float alpha) : base(features, features)
    {
        Index = index;
        Kind = kind;
        Alpha = alpha;
    }

    public Activation Kind { get; }
    public float Alpha { get; }

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training) =>
        b.BiasActivation(x, null, y, new(n, OutFeatures), new(Kind, Alpha));

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate)
    {
        if (dx is { } d) b.ActivationBackward(y, dy, d, new(Kind, Alpha));
    }
}
