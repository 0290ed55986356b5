using System.Numerics.Tensors;

namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Fréchet Inception Distance (Heusel et al. 2017): the squared 2-Wasserstein distance between two
/// Gaussians fitted to feature sets,
/// FID = ‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2}).
/// The usual code takes sqrtm(Σ1Σ2) of a non-symmetric product and has to discard imaginary parts;
/// the symmetric form used here has the same trace (Σ1Σ2 and Σ1^{1/2}Σ2Σ1^{1/2} are similar) but
/// only ever takes square roots of symmetric PSD matrices, which an eigen-decomposition does exactly.
/// Everything is float64: the trace term is a difference of large nearly equal numbers.
/// </summary>
public static class Fid
{
    /// <summary>FID between two Gaussians given by mean and covariance.</summary>
    public static double Compute(double[] mu1, double[,] sigma1, double[] mu2, double[,] sigma2)
    {
        ArgumentNullException.ThrowIfNull(mu1);
        ArgumentNullException.ThrowIfNull(mu2);
        int dim = mu1.Length;
        if (mu2.Length != dim) throw new ArgumentException($"Mean lengths differ: {dim} vs {mu2.Length}.");
        CheckCovariance(sigma1, dim, nameof(sigma1));
        CheckCovariance(sigma2, dim, nameof(sigma2));

        double meanTerm = 0.0;
        for (int i = 0; i < dim; i++)
        {
            double d = mu1[i] - mu2[i];
            meanTerm += d * d;
        }

        // Tr((Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2}) = Σ √λ_i of the symmetric PSD product: its eigenvalues suffice,
        // no second matrix root has to be formed. Negative round-off eigenvalues count as 0.
        double[,] root1 = SymmetricEigen.Sqrt(sigma1);
        double[,] product = DenseMatrix.Multiply(DenseMatrix.Multiply(root1, sigma2), root1);
        DenseMatrix.Symmetrize(product);
        double traceRoot = 0.0;
        foreach (double lambda in SymmetricEigen.Eigenvalues(product)) traceRoot += Math.Sqrt(Math.Max(lambda, 0.0));

        double fid = meanTerm + DenseMatrix.Trace(sigma1) + DenseMatrix.Trace(sigma2) - 2.0 * traceRoot;
        // The exact value is a squared distance (≥ 0); for identical statistics round-off can leave −1e-13.
        return Math.Max(fid, 0.0);
    }

    /// <summary>
    /// Mean and unbiased (N−1) covariance of count row-major feature vectors of length dim.
    /// Two passes (mean first, then centred outer products) in float64: the one-pass E[xxᵀ]−μμᵀ form
    /// cancels catastrophically when features have a large common offset.
    /// </summary>
    public static (double[] Mean, double[,] Cov) Statistics(float[] features, int count, int dim)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), "dim must be positive.");
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), "A covariance needs at least 2 samples.");
        if ((long)count * dim > features.Length)
            throw new ArgumentException($"features holds {features.Length} values, fewer than {count}×{dim}.", nameof(features));

        var mean = new double[dim];
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<float> row = features.AsSpan(s * dim, dim);
            for (int i = 0; i < dim; i++) mean[i] += row[i];
        }
        for (int i = 0; i < dim; i++) mean[i] /= count;

        // Only the upper triangle is accumulated (row i from column i on), vectorised by TensorPrimitives;
        // the lower triangle is mirrored at the end.
        var acc = new double[dim * dim];
        var centred = new double[dim];
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<float> row = features.AsSpan(s * dim, dim);
            for (int i = 0; i < dim; i++) centred[i] = row[i] - mean[i];
            for (int i = 0; i < dim; i++)
            {
                double ci = centred[i];
                if (ci == 0.0) continue;
                Span<double> target = acc.AsSpan(i * dim + i, dim - i);
                TensorPrimitives.MultiplyAdd(centred.AsSpan(i), ci, target, target);
            }
        }

        var cov = new double[dim, dim];
        double scale = 1.0 / (count - 1);
        for (int i = 0; i < dim; i++)
            for (int j = i; j < dim; j++)
            {
                double c = acc[i * dim + j] * scale;
                cov[i, j] = c;
                cov[j, i] = c;
            }
        return (mean, cov);
    }

    /// <summary>FID between two row-major feature sets (count×dim each), via <see cref="Statistics"/>.</summary>
    public static double Compute(float[] featuresA, int countA, float[] featuresB, int countB, int dim)
    {
        var (mu1, sigma1) = Statistics(featuresA, countA, dim);
        var (mu2, sigma2) = Statistics(featuresB, countB, dim);
        return Compute(mu1, sigma1, mu2, sigma2);
    }

    private static void CheckCovariance(double[,] sigma, int dim, string name)
    {
        ArgumentNullException.ThrowIfNull(sigma, name);
        if (sigma.GetLength(0) != dim || sigma.GetLength(1) != dim)
            throw new ArgumentException($"{name} must be {dim}×{dim}, got {sigma.GetLength(0)}×{sigma.GetLength(1)}.", name);
    }
}
