using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// Device RNG: element i of the output is drawn from Philox counter (offset + i) of (seed, stream),
/// the offset read through a device counter (<see cref="CounterOffset"/>) so it can move per step.
/// Normals use Box–Muller on two words of the same block, so each element is self-contained.
/// </summary>
public static class RandomKernels
{
    public static void Normal(ArrayView<float> dst, int n, ulong seed, uint stream, ArrayView<ulong> counters, CounterOffset counter, float mean, float std)
    {
        ulong offset = counter.At(counters);
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            Philox.Element(seed, stream, offset + (ulong)i, out uint r0, out uint r1, out _, out _);
            dst[i] = mean + std * BoxMuller(r0, r1);
        }
    }

    public static void Uniform(ArrayView<float> dst, int n, ulong seed, uint stream, ArrayView<ulong> counters, CounterOffset counter, float low, float high)
    {
        ulong offset = counter.At(counters);
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            Philox.Element(seed, stream, offset + (ulong)i, out uint r0, out _, out _, out _);
            dst[i] = low + (high - low) * Philox.ToUniform(r0);
        }
    }

    public static float BoxMuller(uint r0, uint r1)
    {
        float u1 = Philox.ToUniformOpenZero(r0), u2 = Philox.ToUniform(r1);
        return XMath.Sqrt(-2f * XMath.Log(u1)) * XMath.Cos(2f * XMath.PI * u2);
    }

    // ---- float64 references ----

    public static double NormalReference(ulong seed, uint stream, ulong index)
    {
        Philox.Element(seed, stream, index, out uint r0, out uint r1, out _, out _);
        double u1 = ((r0 >> 8) + 1) / 16777216.0, u2 = (r1 >> 8) / 16777216.0;
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static double UniformReference(ulong seed, uint stream, ulong index)
    {
        Philox.Element(seed, stream, index, out uint r0, out _, out _, out _);
        return (r0 >> 8) / 16777216.0;
    }
}
