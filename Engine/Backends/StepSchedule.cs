namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Scalars that change every step, kept in device memory so that kernels read them rather than
/// take them as arguments (a captured CUDA graph freezes arguments, so a replayed step would
/// otherwise reuse the first step's values). <see cref="Table"/> holds rows of
/// <see cref="Width"/> floats written ahead of time on the host; <see cref="Step"/> is a one-int
/// device counter the op advances by one before reading row min(step, Rows) − 1. The last row
/// must be the limit the scalars settle at (Engine/Optim/AdamSchedule.cs says when that is).
/// </summary>
public readonly record struct StepSchedule(Tensor Table, int Width, DeviceBuffer<int> Step)
{
    public int Rows => Table.Length / Width;
}
