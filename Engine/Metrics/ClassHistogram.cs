namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Histogram of predicted classes for generated samples (e.g. a pretrained classifier's argmax on
/// generated digits), with the two usual mode-collapse summaries: how many classes are produced at
/// all, and how far the class distribution is from uniform.
/// </summary>
public sealed class ClassHistogram
{
    /// <summary>Samples per class; Counts[c] for c in [0, classes).</summary>
    public int[] Counts { get; }

    /// <summary>Number of samples counted.</summary>
    public int Total { get; }

    /// <summary>
    /// Classes holding at least 1% of the samples (count·100 ≥ total, in exact integer arithmetic).
    /// A threshold rather than "≥ 1 sample" so that a handful of stray predictions do not count a
    /// collapsed generator as covering a mode. 0 when there are no samples.
    /// </summary>
    public int ModesCovered { get; }

    /// <summary>
    /// KL(p ‖ uniform) = Σ_c p_c·ln(p_c·C) in nats, with p_c = Counts[c]/Total and 0·ln 0 = 0.
    /// 0 for a perfectly balanced histogram, ln C when every sample falls in one class. 0 when empty.
    /// </summary>
    public double KlToUniform { get; }

    private ClassHistogram(int[] counts, int total, int modesCovered, double klToUniform)
    {
        Counts = counts;
        Total = total;
        ModesCovered = modesCovered;
        KlToUniform = klToUniform;
    }

    /// <summary>Builds the histogram; every prediction must lie in [0, classes).</summary>
    public static ClassHistogram Compute(ReadOnlySpan<int> predictions, int classes)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), "classes must be positive.");
        var counts = new int[classes];
        foreach (int p in predictions)
        {
            if ((uint)p >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(predictions), $"Class index {p} is outside [0, {classes}).");
            counts[p]++;
        }

        int total = predictions.Length;
        int covered = 0;
        double kl = 0.0;
        if (total > 0)
        {
            foreach (int c in counts)
            {
                if (c > 0 && (long)c * 100 >= total) covered++;
                if (c == 0) continue;
                double p = (double)c / total;
                kl += p * Math.Log(p * classes);
            }
        }
        return new ClassHistogram(counts, total, covered, kl);
    }
}
