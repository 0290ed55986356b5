using IlgpuGan.Kernels;

namespace IlgpuGan.Engine;

/// <summary>
/// The data order of one epoch: Fisher–Yates over [0, n) with the swap partner of position i drawn
/// from Philox(seed, stream, epoch « 32 | i). The order is a pure function of (seed, stream, epoch),
/// so a resumed run rebuilds it from the epoch number alone. GanTrainer (stream
/// <see cref="RngStreams.Shuffle"/>) and FeatureClassifier (<see cref="RngStreams.Classifier.Shuffle"/>) both use it.
/// </summary>
public static class EpochShuffle
{
    public static void Fill(Span<int> permutation, ulong seed, uint stream, int epoch)
    {
        for (int i = 0; i < permutation.Length; i++) permutation[i] = i;
        for (int i = permutation.Length - 1; i > 0; i--)
        {
            int j = (int)(Philox.UniformDouble(seed, stream, ((ulong)(uint)epoch << 32) | (uint)i) * (i + 1));
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
    }
}
