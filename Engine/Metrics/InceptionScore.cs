namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Inception Score (Salimans et al. 2016): IS = exp(E_x KL(p(y|x) ‖ p(y))), computed per split and
/// reported as mean and population standard deviation over splits, exactly as the original
/// TensorFlow code does: split k takes rows [k·⌊N/splits⌋, (k+1)·⌊N/splits⌋) (the last N mod splits
/// rows are dropped), p(y) is the mean prediction of that split, and np.std (ddof = 0) gives the spread.
/// Terms with p(y|x) = 0 contribute 0 (the limit of p log p) rather than the NaN the original yields.
/// </summary>
public static class InceptionScore
{
    /// <param name="probs">count×classes row-major class probabilities (each row a softmax output).</param>
    public static (double Mean, double Std) Compute(float[] probs, int count, int classes, int splits = 10)
    {
        ArgumentNullException.ThrowIfNull(probs);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), "classes must be positive.");
        if (splits <= 0) throw new ArgumentOutOfRangeException(nameof(splits), "splits must be positive.");
        if (count < splits) throw new ArgumentOutOfRangeException(nameof(count), $"Need at least one sample per split ({count} < {splits}).");
        if ((long)count * classes > probs.Length)
            throw new ArgumentException($"probs holds {probs.Length} values, fewer than {count}×{classes}.", nameof(probs));

        int perSplit = count / splits;
        var scores = new double[splits];
        var marginal = new double[classes];
        for (int k = 0; k < splits; k++)
        {
            int start = k * perSplit;

            // p(y) over this split only: the score measures diversity within each split.
            Array.Clear(marginal);
            for (int s = start; s < start + perSplit; s++)
            {
                ReadOnlySpan<float> row = probs.AsSpan(s * classes, classes);
                for (int c = 0; c < classes; c++) marginal[c] += row[c];
            }
            for (int c = 0; c < classes; c++) marginal[c] /= perSplit;

            double klSum = 0.0;
            for (int s = start; s < start + perSplit; s++)
            {
                ReadOnlySpan<float> row = probs.AsSpan(s * classes, classes);
                for (int c = 0; c < classes; c++)
                {
                    double p = row[c];
                    // p > 0 implies marginal[c] > 0, so the log is finite.
                    if (p > 0.0) klSum += p * (Math.Log(p) - Math.Log(marginal[c]));
                }
            }
            scores[k] = Math.Exp(klSum / perSplit);
        }

        double mean = 0.0;
        foreach (double v in scores) mean += v;
        mean /= splits;
        double variance = 0.0;
        foreach (double v in scores) variance += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(variance / splits));
    }
}
