namespace IlgpuGan.Engine.Gan;

/// <summary>
/// Philox stream ids: every random draw of a run comes from (seed, stream, counter), so draws for
/// different purposes never overlap and each is reproducible on its own.
/// </summary>
public static class RngStreams
{
    public const uint Noise = 1;       // z for training steps; the counter is checkpointed
    public const uint FixedGrid = 2;   // the fixed z behind every sample grid
    public const uint Shuffle = 3;     // minibatch order, keyed by epoch
    public const uint Sample = 4;      // `ilgpugan sample`
    public const uint Mixture = 5;     // real samples of the 2D benchmarks
    public const uint Labels = 6;      // classes of conditional fakes, counter = D update × batch + row
    public const uint PenaltyMix = 7;  // WGAN-GP's interpolation weights ε, counter = D update × rows + row

    /// <summary>Seeds for G's and D's initial weights, derived from the run seed.</summary>
    public static ulong GeneratorInit(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0x1001;
    public static ulong DiscriminatorInit(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0x2002;
}
