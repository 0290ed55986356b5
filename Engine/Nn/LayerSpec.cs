using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// What a <see cref="Sequential"/> is built from, named after torch.nn. Positions in the list are
/// the indices in state_dict names ("0.weight", "2.running_mean"), as in PyTorch.
/// </summary>
public abstract record LayerSpec;

public sealed record LinearSpec(int InFeatures, int OutFeatures) : LayerSpec;

public sealed record ActivationSpec(Activation Kind, float Alpha = 0f) : LayerSpec
{
    public static ActivationSpec LeakyReLU(float slope = 0.01f) => new(Activation.LeakyReLU, slope);
    public static readonly ActivationSpec ReLU = new(Activation.ReLU);
    public static readonly ActivationSpec Tanh = new(Activation.Tanh);
    public static readonly ActivationSpec Sigmoid = new(Activation.Sigmoid);
}

public sealed record BatchNorm1dSpec(int NumFeatures, float Eps = 1e-5f, float Momentum = 0.1f) : LayerSpec;
