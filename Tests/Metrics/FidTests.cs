using IlgpuGan.Engine.Metrics;
using static IlgpuGan.Tests.Metrics.MetricsTestData;

namespace IlgpuGan.Tests.Metrics;

public class FidTests
{
    [Fact]
    public void IdenticalStatistics_GiveZero()
    {
        var rng = new Random(1);
        double[,] sigma = RandomSpd(rng, 32, 1e-2);
        var mu = new double[32];
        for (int i = 0; i < mu.Length; i++) mu[i] = Gaussian(rng);
        Assert.Equal(0.0, Fid.Compute(mu, sigma, mu, sigma), 1e-8);
    }

    [Fact]
    public void OneDimensional_ClosedForm()
    {
        // W2² between N(μ1, s1²) and N(μ2, s2²) is (μ1 − μ2)² + (s1 − s2)².
        double fid = Fid.Compute(new[] { 1.5 }, new double[,] { { 4.0 } }, new[] { -0.5 }, new double[,] { { 0.25 } });
        Assert.Equal(4.0 + 2.25, fid, 1e-12);
    }

    [Fact]
    public void DiagonalCovariances_ClosedForm()
    {
        // Commuting covariances: Tr term is Σ(√a_i − √b_i)².
        double[] a = { 1, 4, 9, 0.5, 2 }, b = { 9, 1, 9, 2, 0.1 };
        var s1 = new double[5, 5];
        var s2 = new double[5, 5];
        double expected = 0.0;
        for (int i = 0; i < 5; i++)
        {
            s1[i, i] = a[i];
            s2[i, i] = b[i];
            expected += Math.Pow(Math.Sqrt(a[i]) - Math.Sqrt(b[i]), 2);
        }
        var mu1 = new double[] { 0, 1, 2, 3, 4 };
        var mu2 = new double[] { 1, 1, 2, 3, 2 };
        Assert.Equal(expected + 1 + 4, Fid.Compute(mu1, s1, mu2, s2), 1e-12);
    }

    [Fact]
    public void TwoByTwo_NonCommuting_ClosedForm()
    {
        // For 2×2 PSD M, Tr √M = √(Tr M + 2√det M); M = Σ1^½Σ2Σ1^½ shares trace and determinant with Σ1Σ2.
        var s1 = new double[,] { { 2.0, 0.7 }, { 0.7, 1.0 } };
        var s2 = new double[,] { { 0.5, -0.3 }, { -0.3, 3.0 } };
        double trProd = s1[0, 0] * s2[0, 0] + s1[0, 1] * s2[1, 0] + s1[1, 0] * s2[0, 1] + s1[1, 1] * s2[1, 1];
        double det1 = s1[0, 0] * s1[1, 1] - s1[0, 1] * s1[1, 0];
        double det2 = s2[0, 0] * s2[1, 1] - s2[0, 1] * s2[1, 0];
        double trSqrt = Math.Sqrt(trProd + 2 * Math.Sqrt(det1 * det2));
        double expected = 0.25 + 4.0 + 3.0 + 3.5 - 2 * trSqrt;
        Assert.Equal(expected, Fid.Compute(new[] { 0.5, 0.0 }, s1, new[] { 0.0, 2.0 }, s2), 1e-12);
    }

    [Fact]
    public void ScaledCovariance_ClosedFormAndSymmetry()
    {
        // Σ2 = c²Σ1 ⇒ Tr term = (1 − c)² Tr Σ1.
        var rng = new Random(2);
        const int n = 64;
        double[,] s1 = RandomSpd(rng, n, 1e-2);
        var s2 = new double[n, n];
        const double c = 1.7;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                s2[i, j] = c * c * s1[i, j];
        double trace = 0;
        for (int i = 0; i < n; i++) trace += s1[i, i];
        var mu = new double[n];
        double expected = (1 - c) * (1 - c) * trace;
        Assert.Equal(expected, Fid.Compute(mu, s1, mu, s2), 1e-9 * trace);

        // Non-commuting pair: the distance is symmetric although the formula is not written symmetrically.
        double[,] s3 = RandomSpd(rng, n, 1e-2);
        Assert.Equal(Fid.Compute(mu, s1, mu, s3), Fid.Compute(mu, s3, mu, s1), 1e-9 * trace);
    }

    [Fact]
    public void Statistics_MatchesNaiveUnbiasedEstimate_EvenWithLargeOffset()
    {
        var rng = new Random(3);
        const int count = 50, dim = 7;
        float[] x = GaussianFeatures(rng, count, dim, scale: 0.01, offset: 1000.0);
        var (mean, cov) = Fid.Statistics(x, count, dim);

        for (int i = 0; i < dim; i++)
        {
            double m = 0;
            for (int s = 0; s < count; s++) m += x[s * dim + i];
            m /= count;
            Assert.Equal(m, mean[i], 1e-9);
        }
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++)
            {
                double c = 0;
                for (int s = 0; s < count; s++) c += (x[s * dim + i] - mean[i]) * (x[s * dim + j] - mean[j]);
                c /= count - 1;
                Assert.Equal(c, cov[i, j], 1e-15);
                Assert.Equal(cov[i, j], cov[j, i]);
            }

        // Two samples 0 and 2: mean 1, unbiased variance 2.
        var (m2, c2) = Fid.Statistics(new float[] { 0f, 2f }, 2, 1);
        Assert.Equal(1.0, m2[0]);
        Assert.Equal(2.0, c2[0, 0]);
    }

    [Fact]
    public void FromFeatures_TranslationGivesSquaredShift()
    {
        // Multiples of 1/256 in a small range: the shifted copy is exact in float, so both sets have
        // identical covariance and the FID is exactly dim·shift² up to eigen round-off.
        var rng = new Random(4);
        const int count = 400, dim = 16;
        var a = new float[count * dim];
        var b = new float[count * dim];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = rng.Next(-512, 512) / 256f;
            b[i] = a[i] + 2f;
        }
        Assert.Equal(dim * 4.0, Fid.Compute(a, count, b, count, dim), 1e-8);
        Assert.Equal(0.0, Fid.Compute(a, count, a, count, dim), 1e-8);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Fid.Statistics(new float[4], 1, 4));
        Assert.Throws<ArgumentException>(() => Fid.Statistics(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Fid.Compute(new double[2], new double[2, 2], new double[3], new double[3, 3]));
    }
}
