namespace IlgpuGan.Engine;

/// <summary>
/// Every Philox stream id of the code base. A random draw is a pure function of (seed, stream,
/// counter), so draws for different purposes never overlap and each is reproducible on its own.
/// Ids must be unique among draws under the same seed; the groups below are the seeds
/// (key domains). Changing an id changes the numbers behind golden files, checkpoints and
/// resumed runs: add ids, never renumber.
/// </summary>
/// <remarks>
/// A stream id may repeat across groups: draws keyed by different seeds are independent anyway,
/// and where two groups happen to get the same seed value (seed 0 everywhere by default) the
/// repeated stream feeds unrelated computations that never meet. The one repeat today is
/// <see cref="Classifier.Shuffle"/> = <see cref="PenaltyMix"/> = 7: the feature classifier's data
/// order (cached classifier training) and WGAN-GP's interpolation weights (GAN training) share
/// no computation. <see cref="Verification"/>'s ids (test data of the kernel checks) may repeat any
/// other group's. Tests/Engine/RngStreamsTests.cs pins the groups' uniqueness and this list of repeats.
/// </remarks>
public static class RngStreams
{
    // ---- keyed by the run seed (GanConfig.Seed) ----
    public const uint Noise = 1;       // z for training steps; the counter is checkpointed
    public const uint FixedGrid = 2;   // the fixed z behind every sample grid (and 2D scatter)
    public const uint Shuffle = 3;     // minibatch order, keyed by epoch (EpochShuffle)
    public const uint Sample = 4;      // `ilgpugan sample`/eval/morph z (keyed by their --seed)
    public const uint Mixture = 5;     // real samples of the 2D benchmarks
    public const uint Labels = 6;      // classes of conditional fakes, counter = D update × batch + row
    public const uint PenaltyMix = 7;  // WGAN-GP's interpolation weights ε, counter = D update × rows + row
    public const uint TrainingSet = 8; // a 2D run's fixed training set (GanConfig.TrainingSet), counter = sample index
    public const uint GeneratorNoise = 9; // G's own z when its update draws fresh z (GanConfig.FreshGeneratorZ), counter = D update × batch·latent + i

    /// <summary>Seeds for G's and D's initial weights, derived from the run seed.</summary>
    public static ulong GeneratorInit(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0x1001;
    public static ulong DiscriminatorInit(ulong seed) => seed * 0x9E3779B97F4A7C15UL + 0x2002;

    /// <summary>
    /// Keyed by a network's init seed (<see cref="GeneratorInit"/>, ...): layer k's weights come from
    /// stream k + 1. A uniform init (Linear) draws counter i for element i; a normal init (conv
    /// weights, BatchNorm2d's γ: <see cref="Nn.InitDraws"/>) draws counters 2i and 2i + 1 (Box–Muller).
    /// </summary>
    public static uint LayerInit(int layerIndex) => (uint)(layerIndex + 1);

    /// <summary>Keyed by the feature classifier's training seed (`classifier train --seed`).</summary>
    public static class Classifier
    {
        public const uint Shuffle = 7;   // its epoch order (EpochShuffle); 7 since it was written, see the remarks above
    }

    /// <summary>Keyed by the evaluation seed (`eval --seed`; 0 during `train --eval-every`).</summary>
    public static class Evaluation
    {
        public const uint TrainSubset = 11;   // which training images precision/recall compares against
    }

    /// <summary>Keyed by the kernel checks' seed (`ilgpugan verify`, the kernel tests): test data, not training.</summary>
    public static class Verification
    {
        /// <summary>Random inputs take streams FirstInput, FirstInput + 1, ... in the order one KernelChecks draws them.</summary>
        public const uint FirstInput = 1;
        public const uint VariantLabels = 96;
        public const uint Labels = 97;
        public const uint GatherIndices = 98;
        public const uint GatherBytes = 99;
        /// <summary>KernelChecks.Random draws from (seed 42, stream 3); the literals stay there until the backend-call rewrite lands.</summary>
        public const uint RandomOps = 3;
    }
}
