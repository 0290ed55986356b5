namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Where <see cref="IBackend.MarkNonFinite"/> records what it found: Flags[Index] is a set-once slot
/// holding an int in its float's bits (read it with <see cref="Kernels.FiniteKernels.ReadMark"/>),
/// 0 until a checked range holds a NaN or an infinity, then Mark + Counter (nonzero: the trainer
/// writes the D updates done so far, read on the device through its update counter so that the
/// step's launch keeps its arguments), never overwritten by a later mark.
/// </summary>
public readonly record struct NonFiniteFlag(Tensor Flags, int Index, int Mark, DeviceCounter Counter = default);
