using IlgpuGan.Engine.Metrics;
using static IlgpuGan.Tests.Metrics.MetricsTestData;

namespace IlgpuGan.Tests.Metrics;

public class SymmetricEigenTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(64)]
    public void RandomSpd_DecompositionIsExact(int n)
    {
        var rng = new Random(1000 + n);
        double[,] a = RandomSpd(rng, n, 1e-3);
        var (values, v) = SymmetricEigen.Decompose(a);

        // A·V = V·Λ.
        double[,] av = Multiply(a, v);
        var vl = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                vl[i, j] = v[i, j] * values[j];
        Assert.True(FrobeniusDiff(av, vl) / Frobenius(a) < 1e-12, $"‖AV − VΛ‖/‖A‖ = {FrobeniusDiff(av, vl) / Frobenius(a)}");

        // VᵀV = I.
        var vtv = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0.0;
                for (int p = 0; p < n; p++) s += v[p, i] * v[p, j];
                vtv[i, j] = s;
            }
        var identity = new double[n, n];
        for (int i = 0; i < n; i++) identity[i, i] = 1.0;
        Assert.True(FrobeniusDiff(vtv, identity) < 1e-12 * n, $"‖VᵀV − I‖ = {FrobeniusDiff(vtv, identity)}");

        for (int i = 1; i < n; i++) Assert.True(values[i - 1] <= values[i], "eigenvalues must be ascending");
        Assert.True(values[0] > 0, "an SPD matrix has positive eigenvalues");
        Assert.Equal(values, SymmetricEigen.Eigenvalues(a), (x, y) => Math.Abs(x - y) <= 1e-12 * Math.Abs(values[^1]));

        // Sqrt(A)² = A, and the root is symmetric.
        double[,] root = SymmetricEigen.Sqrt(a);
        double[,] squared = Multiply(root, root);
        Assert.True(FrobeniusDiff(squared, a) / Frobenius(a) < 1e-9, $"‖√A² − A‖/‖A‖ = {FrobeniusDiff(squared, a) / Frobenius(a)}");
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                Assert.Equal(root[i, j], root[j, i]);
    }

    [Fact]
    public void KnownTwoByTwo()
    {
        var (values, v) = SymmetricEigen.Decompose(new double[,] { { 2, 1 }, { 1, 2 } });
        Assert.Equal(1.0, values[0], 1e-14);
        Assert.Equal(3.0, values[1], 1e-14);
        // Eigenvector of 3 is (1, 1)/√2 up to sign.
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(v[0, 1]), 1e-14);
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(v[1, 1]), 1e-14);
    }

    [Fact]
    public void IndefiniteAndDegenerateMatrices()
    {
        // Repeated eigenvalues and a zero block exercise the "scale == 0" branch of the reduction.
        var diag = new double[,] { { 3, 0, 0, 0 }, { 0, -1, 0, 0 }, { 0, 0, 3, 0 }, { 0, 0, 0, 0 } };
        Assert.Equal(new[] { -1.0, 0.0, 3.0, 3.0 }, SymmetricEigen.Eigenvalues(diag));
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, SymmetricEigen.Eigenvalues(new double[3, 3]));

        var rng = new Random(7);
        var b = RandomSpd(rng, 6, 0.0);
        for (int i = 0; i < 6; i++) b[i, i] -= 4.0; // shift to get negative eigenvalues
        var (values, v) = SymmetricEigen.Decompose(b);
        Assert.True(values[0] < 0);
        double[,] av = Multiply(b, v);
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(v[i, j] * values[j], av[i, j], 1e-10);
    }

    [Fact]
    public void Sqrt_OfRankDeficientPsd_ClampsRoundOffNegatives()
    {
        // Rank 3 in 10 dimensions: seven eigenvalues are 0 up to round-off, some of them slightly negative.
        var rng = new Random(11);
        double[,] a = RandomSpd(rng, 10, 0.0, rank: 3);
        double[,] root = SymmetricEigen.Sqrt(a);
        foreach (double x in root) Assert.False(double.IsNaN(x));
        Assert.True(FrobeniusDiff(Multiply(root, root), a) / Frobenius(a) < 1e-9);
    }

    [Fact]
    public void NonSquare_Throws()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[2, 3]));
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Sqrt(new double[0, 0]));
    }
}
