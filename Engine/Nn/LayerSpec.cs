using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// What a <see cref="Sequential"/> is built from, named after torch.nn. Positions in the list are
/// the indices in state_dict names ("0.weight", "2.running_mean"), as in PyTorch.
/// </summary>
public abstract record LayerSpec;

/// <summary>torch.nn.Linear; Bias false is torch's bias=False (no bias tensor in the state_dict).</summary>
public sealed record LinearSpec(int InFeatures, int OutFeatures, bool Bias = true) : LayerSpec;

/// <summary>
/// A Linear to Units·Pieces features, then the max over each unit's contiguous group of Pieces
/// (Goodfellow et al.'s maxout; Blocks' LinearMaxout, which PacGAN's D uses). Its state_dict is a
/// Linear's: weight [Units·Pieces, In] and bias [Units·Pieces] (the torch module is in the README).
/// </summary>
public sealed record LinearMaxoutSpec(int InFeatures, int Units, int Pieces) : LayerSpec;

public sealed record ActivationSpec(Activation Kind, float Alpha = 0f) : LayerSpec
{
    public static ActivationSpec LeakyReLU(float slope = 0.01f) => new(Activation.LeakyReLU, slope);
    public static readonly ActivationSpec ReLU = new(Activation.ReLU);
    public static readonly ActivationSpec Tanh = new(Activation.Tanh);
    public static readonly ActivationSpec Sigmoid = new(Activation.Sigmoid);
}

/// <summary>
/// torch.nn.BatchNorm1d. Groups &gt; 1 normalises each of that many interleaved groups of the batch
/// apart (row i in group i mod Groups), sharing γ, β and the running statistics: what PacGAN's code
/// gets by applying G once per pack slot (<see cref="Gan.PackBatchNorm.PerSlot"/>). Its state_dict
/// is torch's BatchNorm1d's either way.
/// </summary>
public sealed record BatchNorm1dSpec(int NumFeatures, float Eps = 1e-5f, float Momentum = 0.1f, int Groups = 1) : LayerSpec;

/// <summary>torch.nn.Conv2d (square kernel, stride, padding, dilation); PyTorch's default bias=True.</summary>
public sealed record Conv2dSpec(int InChannels, int OutChannels, int Kernel, int Stride = 1, int Padding = 0, bool Bias = true, int Dilation = 1) : LayerSpec;

/// <summary>torch.nn.ConvTranspose2d (square kernel, stride, padding, output padding, dilation).</summary>
public sealed record ConvTranspose2dSpec(int InChannels, int OutChannels, int Kernel, int Stride = 1, int Padding = 0, bool Bias = true,
    int OutputPadding = 0, int Dilation = 1) : LayerSpec;

/// <summary>torch.nn.BatchNorm2d: per-channel statistics over N·H·W.</summary>
public sealed record BatchNorm2dSpec(int NumFeatures, float Eps = 1e-5f, float Momentum = 0.1f) : LayerSpec;

/// <summary>
/// torch.nn.Flatten / torch.nn.Unflatten(1, (C, H, W)). A model's rows are C·H·W floats in NCHW
/// order either way, so both are views: they take an index (as in torch's state_dict) and cost
/// nothing; Unflatten only tells the layers after it the image shape.
/// </summary>
public sealed record FlattenSpec : LayerSpec;

/// <inheritdoc cref="FlattenSpec"/>
public sealed record UnflattenSpec(int Channels, int Height, int Width) : LayerSpec;
