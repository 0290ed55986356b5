using IlgpuGan.Engine.Metrics;
using static IlgpuGan.Tests.Metrics.MetricsTestData;

namespace IlgpuGan.Tests.Metrics;

public class PrecisionRecallTests
{
    [Fact]
    public void SetAgainstItself_IsPerfect()
    {
        var rng = new Random(1);
        float[] x = GaussianFeatures(rng, 300, 16);
        var (precision, recall) = PrecisionRecall.Compute(x, 300, x, 300, 16);
        Assert.Equal(1.0, precision);
        Assert.Equal(1.0, recall);
    }

    [Fact]
    public void FarShiftedCopy_ScoresZero()
    {
        var rng = new Random(2);
        float[] real = GaussianFeatures(rng, 200, 16);
        float[] fake = real.Select(v => v + 100f).ToArray();
        var (precision, recall) = PrecisionRecall.Compute(real, 200, fake, 200, 16);
        Assert.Equal(0.0, precision);
        Assert.Equal(0.0, recall);
    }

    [Fact]
    public void ModeratelyShiftedCopy_DropsBelowOne()
    {
        var rng = new Random(3);
        const int n = 300, dim = 4;
        float[] real = GaussianFeatures(rng, n, dim);
        // Shift along every axis by 1σ (‖shift‖ = 2): the clouds overlap, but their far sides do not.
        float[] fake = real.Select(v => v + 1f).ToArray();
        var (precision, recall) = PrecisionRecall.Compute(real, n, fake, n, dim);
        Assert.InRange(precision, 0.05, 0.99);
        Assert.InRange(recall, 0.05, 0.99);
    }

    [Theory]
    [InlineData(1, 3, 4 << 20)]
    [InlineData(2, 3, 7 * 60)] // blocks of a handful of rows, the last one partial
    [InlineData(3, 1, 4 << 20)]
    [InlineData(4, 5, 1)]      // one row per block
    public void MatchesBruteForceFloat64(int seed, int k, int blockFloats)
    {
        var rng = new Random(seed);
        const int realCount = 60, fakeCount = 50, dim = 8;
        float[] real = GaussianFeatures(rng, realCount, dim);
        float[] fake = GaussianFeatures(rng, fakeCount, dim, scale: 1.2, offset: 1.0);

        var (expectedPrecision, expectedRecall) = BruteForce(real, realCount, fake, fakeCount, dim, k);
        var (precision, recall) = PrecisionRecall.Compute(real, realCount, fake, fakeCount, dim, k, blockFloats);
        Assert.Equal(expectedPrecision, precision);
        Assert.Equal(expectedRecall, recall);
        // The sets overlap only partly, so the comparison is not trivially 0 or 1.
        Assert.InRange(expectedPrecision, 0.01, 0.99);
        Assert.InRange(expectedRecall, 0.01, 0.99);
    }

    [Fact]
    public void IntegerFeatures_ManyBlocksAndColumnChunks_MatchBruteForceExactly()
    {
        // Small integer coordinates make every norm, dot product and squared distance exact in float,
        // so the blocked SGEMM path must agree with the float64 reference exactly, ties and duplicate
        // points included. 1100 points span several 512-column chunks of the triangular k-NN pass.
        var rng = new Random(5);
        const int realCount = 1100, fakeCount = 700, dim = 3;
        // The real set is closed under negation, so its mean, the shift the implementation subtracts
        // before the SGEMM, is exactly 0 and keeps everything integral.
        float[] half = Enumerable.Range(0, realCount / 2 * dim).Select(_ => (float)rng.Next(-6, 7)).ToArray();
        float[] real = half.Concat(half.Select(v => -v)).ToArray();
        float[] fake = Enumerable.Range(0, fakeCount * dim).Select(i => (float)(rng.Next(-6, 7) + (i % dim == 0 ? 4 : 0))).ToArray();

        var (expectedPrecision, expectedRecall) = BruteForce(real, realCount, fake, fakeCount, dim, 3);
        var (precision, recall) = PrecisionRecall.Compute(real, realCount, fake, fakeCount, dim, 3, blockFloats: 100 * realCount);
        Assert.Equal(expectedPrecision, precision);
        Assert.Equal(expectedRecall, recall);
        Assert.InRange(expectedPrecision, 0.01, 0.99);
        Assert.InRange(expectedRecall, 0.01, 0.99);
    }

    [Fact]
    public void TooFewSamples_Throws()
    {
        var x = new float[3 * 2];
        Assert.Throws<ArgumentOutOfRangeException>(() => PrecisionRecall.Compute(x, 3, x, 3, 2, k: 3));
    }

    /// <summary>Direct float64 transcription of the definition, O(n²) with sorting.</summary>
    private static (double, double) BruteForce(float[] real, int realCount, float[] fake, int fakeCount, int dim, int k)
    {
        double Distance(float[] a, int i, float[] b, int j)
        {
            double s = 0;
            for (int d = 0; d < dim; d++)
            {
                double t = (double)a[i * dim + d] - b[j * dim + d];
                s += t * t;
            }
            return Math.Sqrt(s);
        }
        double[] Radii(float[] x, int n) => Enumerable.Range(0, n)
            .Select(i => Enumerable.Range(0, n).Where(j => j != i).Select(j => Distance(x, i, x, j)).OrderBy(d => d).ElementAt(k - 1))
            .ToArray();

        double[] realRadii = Radii(real, realCount), fakeRadii = Radii(fake, fakeCount);
        int precise = Enumerable.Range(0, fakeCount).Count(f => Enumerable.Range(0, realCount).Any(r => Distance(fake, f, real, r) <= realRadii[r]));
        int recalled = Enumerable.Range(0, realCount).Count(r => Enumerable.Range(0, fakeCount).Any(f => Distance(real, r, fake, f) <= fakeRadii[f]));
        return ((double)precise / fakeCount, (double)recalled / realCount);
    }
}
