namespace IlgpuGan.Kernels;

/// <summary>
/// Philox4x32-10 (Salmon et al. 2011, the generator behind cuRAND and PyTorch's CUDA RNG): a
/// counter-based generator, so value i of a stream is a pure function of (key, counter + i). That
/// makes the numbers independent of launch shape and device, and a run's RNG position is one
/// integer to checkpoint. Shared by kernels and host code.
/// </summary>
public static class Philox
{
    const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Four 32-bit words for counter (c0..c3) under key (k0, k1).</summary>
    public static void Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            uint n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
            k0 += W0; k1 += W1;
        }
        r0 = c0; r1 = c1; r2 = c2; r3 = c3;
    }

    /// <summary>A uniform float in [0, 1) from the top 24 bits of a word.</summary>
    public static float ToUniform(uint x) => (x >> 8) * (1f / 16777216f);

    /// <summary>A uniform float in (0, 1]: safe to take the log of.</summary>
    public static float ToUniformOpenZero(uint x) => ((x >> 8) + 1) * (1f / 16777216f);

    /// <summary>Words of element <paramref name="index"/> of stream <paramref name="stream"/>.</summary>
    public static void Element(ulong seed, uint stream, ulong index, out uint r0, out uint r1, out uint r2, out uint r3) =>
        Block((uint)index, (uint)(index >> 32), stream, 0u, (uint)seed, (uint)(seed >> 32), out r0, out r1, out r2, out r3);

    /// <summary>Host-side uniform double in [0, 1) with 53 random bits, for initialisation and shuffles.</summary>
    public static double UniformDouble(ulong seed, uint stream, ulong index)
    {
        Element(seed, stream, index, out uint r0, out uint r1, out _, out _);
        ulong bits = ((ulong)r0 << 21) ^ (r1 >> 11);
        return (bits & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));
    }
}
