namespace IlgpuGan.Tests.Metrics;

/// <summary>Seeded random inputs shared by the metric tests.</summary>
internal static class MetricsTestData
{
    public static double Gaussian(Random rng)
    {
        // Box–Muller; 1 − U keeps the log argument in (0, 1].
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static float[] GaussianFeatures(Random rng, int count, int dim, double scale = 1.0, double offset = 0.0)
    {
        var x = new float[count * dim];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(offset + scale * Gaussian(rng));
        return x;
    }

    /// <summary>B·Bᵀ + εI with B n×rank Gaussian: symmetric positive definite when ε > 0.</summary>
    public static double[,] RandomSpd(Random rng, int n, double epsilon, int? rank = null)
    {
        int r = rank ?? n;
        var b = new double[n, r];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < r; j++)
                b[i, j] = Gaussian(rng);
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0.0;
                for (int p = 0; p < r; p++) s += b[i, p] * b[j, p];
                a[i, j] = s + (i == j ? epsilon : 0.0);
            }
        return a;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(1);
        var c = new double[m, n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0.0;
                for (int p = 0; p < k; p++) s += a[i, p] * b[p, j];
                c[i, j] = s;
            }
        return c;
    }

    public static double Frobenius(double[,] a)
    {
        double s = 0.0;
        foreach (double v in a) s += v * v;
        return Math.Sqrt(s);
    }

    public static double FrobeniusDiff(double[,] a, double[,] b)
    {
        double s = 0.0;
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
            {
                double d = a[i, j] - b[i, j];
                s += d * d;
            }
        return Math.Sqrt(s);
    }
}
