using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// An offset that can move every step without a new kernel argument: Base + Scale·counters[Slot],
/// where counters is a small device buffer the device itself advances. A captured CUDA graph
/// freezes kernel arguments, so an RNG counter or a batch position passed by value would replay
/// the first step's draws; read through the counter it moves. With Scale 0 it is just Base.
/// </summary>
public struct CounterOffset
{
    public ulong Base;
    public ulong Scale;
    public int Slot;

    public CounterOffset(ulong @base, int slot, ulong scale)
    {
        Base = @base;
        Slot = slot;
        Scale = scale;
    }

    public readonly ulong At(ArrayView<ulong> counters) => Base + Scale * counters[Slot];

    /// <summary>As <see cref="At"/> for a host span (the CPU backend and references).</summary>
    public readonly ulong At(ReadOnlySpan<ulong> counters) => Scale == 0 ? Base : Base + Scale * counters[Slot];
}

/// <summary>The device's own step counters.</summary>
public static class CounterKernels
{
    /// <summary>counters[i] += 1 for i &lt; n: one launch after each update, so the count lives on the device.</summary>
    public static void Increment(ArrayView<ulong> counters, int n)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step) counters[i] = counters[i] + 1;
    }
}
