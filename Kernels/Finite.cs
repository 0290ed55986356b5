using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// The divergence check: does a flat range hold a NaN or an infinity? The answer goes into a
/// set-once flag on the device, so a training step can ask every step without waiting for it.
/// The flag is one float slot holding an int in its bits (0: nothing seen yet); the first launch
/// that finds a non-finite value writes its mark there, and later launches leave it alone. The mark
/// is read through a <see cref="CounterOffset"/> (the trainer's D-update count on the device), so a
/// step's launch has the same arguments every step, as a captured CUDA graph needs. The test is on the exponent bits, so fast-math and flush-to-zero cannot change it,
/// and the flag is compared as an int for the same reason (a small mark is a denormal float).
/// </summary>
public static class FiniteKernels
{
    const uint ExponentMask = 0x7F80_0000;

    /// <summary>True for NaN and ±infinity: all exponent bits set.</summary>
    public static bool IsNonFinite(float v) => (Interop.FloatAsInt(v) & ExponentMask) == ExponentMask;

    /// <summary>
    /// flags[index] = mark.At(counters) if x[0..n) holds a non-finite value and flags[index] is still
    /// 0. Threads that race write the same mark, so no atomics are needed; launches on one stream are
    /// ordered.
    /// </summary>
    public static void MarkNonFinite(ArrayView<float> x, int n, ArrayView<float> flags, int index, ArrayView<ulong> counters, CounterOffset mark)
    {
        bool bad = false;
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
            bad |= IsNonFinite(x[i]);
        if (bad && Interop.FloatAsInt(flags[index]) == 0)
            flags[index] = Interop.IntAsFloat((uint)mark.At(counters));
    }

    /// <summary>The float64 reference: what flags[index] holds after the launch.</summary>
    public static int MarkNonFiniteReference(ReadOnlySpan<float> x, int flagBefore, int mark)
    {
        if (flagBefore != 0) return flagBefore;
        foreach (var v in x)
            if (double.IsNaN(v) || double.IsInfinity(v)) return mark;
        return 0;
    }

    /// <summary>The mark a flag slot holds (0: none), from the slot's float.</summary>
    public static int ReadMark(float slot) => BitConverter.SingleToInt32Bits(slot);
}
