using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

// The geometry and small argument groups of the backend's ops. Each is a readonly record struct:
// passed by value, so a call allocates nothing, and named, so a call reads as what it computes
// rather than as a run of ints. An op family that grows (Conv2d: N, C, H, W, kernel, stride,
// padding, dilation) gets its own record here rather than longer signatures.

/// <summary>A row-major matrix's extent: rows × cols (for a softmax, rows × classes).</summary>
public readonly record struct RowsCols(int Rows, int Cols)
{
    public long Count => (long)Rows * Cols;
}

/// <summary>
/// torch.nn.Linear's geometry for a batch: x is Rows×In, W is Out×In, y is Rows×Out.
/// <see cref="Forward"/> and <see cref="InputGrad"/> are the GEMMs the two ops are.
/// </summary>
public readonly record struct LinearShape(int Rows, int In, int Out)
{
    /// <summary>y = x·Wᵀ: Rows×Out×In, A·Bᵀ.</summary>
    public GemmProblem Forward => new(Rows, Out, In, TransA: false, TransB: true);

    /// <summary>dx = dy·W: Rows×In×Out, A·B.</summary>
    public GemmProblem InputGrad => new(Rows, In, Out, TransA: false, TransB: false);

    /// <summary>dW (+)= dyᵀ·x: Out×In×Rows, Aᵀ·B.</summary>
    public GemmProblem WeightGrad(bool accumulate) => new(Out, In, Rows, TransA: true, TransB: false, accumulate);
}

/// <summary>An activation and its parameter (LeakyReLU's negative slope; ignored by the others).</summary>
public readonly record struct Act(Activation Kind, float Alpha = 0f)
{
    public static Act Identity => default;
    public bool IsIdentity => Kind == Activation.Identity;
}

/// <summary>
/// BatchNorm's geometry: per-channel statistics of a Rows×Cols batch, one channel per column.
/// (BatchNorm2d will extend this to (N, C, HW): channel c's statistics over N·HW values at stride HW.)
/// </summary>
public readonly record struct BatchNormShape(int Rows, int Cols);

/// <summary>A BatchNorm layer's affine parameters, running statistics and hyperparameters.</summary>
public readonly record struct BatchNormState(Tensor Gamma, Tensor Beta, Tensor RunningMean, Tensor RunningVar, float Momentum, float Eps);

/// <summary>
/// The batch statistics the training forward saves for the backward: mean and 1/√(var + eps) per
/// channel. Output: the forward's output, which only a backward with a fused activation reads (its
/// derivative comes from the output, as <see cref="IBackend.ActivationBackward"/>'s).
/// </summary>
public readonly record struct BatchNormSaved(Tensor Mean, Tensor InvStd, Tensor Output = default);

/// <summary>What the BatchNorm backward writes: dx, and dγ, dβ (added to what they hold with <paramref name="Accumulate"/>; dx is always overwritten).</summary>
public readonly record struct BatchNormGrads(Tensor Dx, Tensor DGamma, Tensor DBeta, bool Accumulate);

/// <summary>
/// Where a loss op writes: grad = ∂ℓ/∂x·GradScale, and its two statistics to Stats[StatsIndex..+1].
/// </summary>
public readonly record struct LossOutput(Tensor Grad, float GradScale, Tensor Stats, int StatsIndex);

/// <summary>
/// The rows of a batch, by index: batch row r is item Indices[Offset + r] of a dataset, Offset moved
/// on by <paramref name="Counter"/> when one is given.
/// </summary>
public readonly record struct BatchIndices(DeviceBuffer<int> Indices, int Offset, DeviceCounter Counter = default);

/// <summary>
/// A Philox stream: (Seed, Stream) names it, element i draws counter Offset + i, Offset moved on by
/// <paramref name="Counter"/> when one is given.
/// </summary>
public readonly record struct PhiloxCounter(ulong Seed, uint Stream, ulong Offset, DeviceCounter Counter = default);

/// <summary>
/// Scale × Counters[Slot], added to an op's offset: a count the device keeps and advances
/// (<see cref="IBackend.Increment"/>), so a per-step offset is not a kernel argument (a captured
/// CUDA graph freezes those). The default adds nothing.
/// </summary>
public readonly record struct DeviceCounter(DeviceBuffer<ulong>? Counters, int Slot, ulong Scale);

/// <summary>Columns [Column, Column + width) of a row-major matrix whose rows are Stride floats apart.</summary>
public readonly record struct ColumnBlock(Tensor Tensor, int Stride, int Column);

/// <summary>
/// A one-hot class block of Rows rows: class k takes Plane consecutive columns, all ones for the
/// row's class and zeros otherwise. Plane 1 is a one-hot vector; Plane H·W gives a conv D's
/// one-hot maps (Classes constant planes after the image's channels, NCHW).
/// </summary>
public readonly record struct OneHotShape(int Rows, int Classes, int Plane = 1)
{
    public int Width => Classes * Plane;
    public long Count => (long)Rows * Width;
}

/// <summary>
/// BatchNorm2d's geometry: an NCHW tensor of N images, C channels and Plane = H·W values per channel
/// plane; channel c's statistics are over its N·Plane values (N runs of Plane contiguous floats, HW
/// apart in the channel stride). With Plane 1 it is BatchNorm1d's [N, C] layout. Act: the activation
/// that follows the normalisation, fused into it (Identity: none); the forward writes act(BN(x)), and
/// the backward takes dL/d(act's output) and applies act's derivative (from the forward's output,
/// <see cref="BatchNormSaved.Output"/>) before BN's own.
/// </summary>
public readonly record struct BatchNorm2dShape(int N, int C, int Plane, Act Act = default)
{
    public long Count => (long)N * C * Plane;
}

/// <summary>
/// What a convolution's backward (<see cref="IBackend.ConvBackward"/>) writes: the input gradient Dx
/// (null for a first layer, which needs none) and the weight gradient DWeight (added to with
/// <paramref name="Accumulate"/>). <paramref name="InputUnchanged"/> is the caller's promise that x
/// holds what it held at the last <see cref="IBackend.ConvForward"/> of this geometry, so a backend
/// may reuse that forward's column matrix instead of rebuilding it.
/// </summary>
public readonly record struct ConvGrads(Tensor? Dx, Tensor DWeight, bool Accumulate, bool InputUnchanged = false);

/// <summary>
/// A maxout over contiguous groups: Rows × (Units·Pieces) pre-activations give Rows × Units outputs,
/// unit u being the max of columns [u·Pieces, (u + 1)·Pieces).
/// </summary>
public readonly record struct MaxoutShape(int Rows, int Units, int Pieces)
{
    public long Groups => (long)Rows * Units;
    public long PreCount => Groups * Pieces;
}
