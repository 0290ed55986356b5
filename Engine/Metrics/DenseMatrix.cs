using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// The few float64 dense-matrix operations the metrics need (products, trace, symmetrisation).
/// Matrices here are at most a few hundred wide (feature covariances), so row-by-row dot products
/// are fast enough and keep full double precision, which a float SGEMM would not.
/// </summary>
internal static class DenseMatrix
{
    /// <summary>C = A·B.</summary>
    public static double[,] Multiply(double[,] a, double[,] b)
    {
        if (b.GetLength(0) != a.GetLength(1)) throw new ArgumentException("Inner dimensions differ.");
        // Bᵀ is copied once so that every entry of C is a dot product of two contiguous rows.
        return MultiplyTransposedB(a, Transpose(b));
    }

    /// <summary>C = A·Bᵀ (B given as n×k): every entry is a vectorised dot product of two contiguous rows.</summary>
    public static double[,] MultiplyTransposedB(double[,] a, double[,] b)
    {
        int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(0);
        if (b.GetLength(1) != k) throw new ArgumentException("Inner dimensions differ.");
        var c = new double[m, n];
        if (k == 0) return c;
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<double> ai = Row(a, i);
            for (int j = 0; j < n; j++) c[i, j] = TensorPrimitives.Dot(ai, Row(b, j));
        }
        return c;
    }

    /// <summary>Row i of a rectangular array as a span (multi-dimensional arrays are row-major and contiguous).</summary>
    private static ReadOnlySpan<double> Row(double[,] a, int i) =>
        MemoryMarshal.CreateReadOnlySpan(ref a[i, 0], a.GetLength(1));

    public static double[,] Transpose(double[,] a)
    {
        int m = a.GetLength(0), n = a.GetLength(1);
        var t = new double[n, m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                t[j, i] = a[i, j];
        return t;
    }

    public static double Trace(double[,] a)
    {
        int n = Math.Min(a.GetLength(0), a.GetLength(1));
        double t = 0.0;
        for (int i = 0; i < n; i++) t += a[i, i];
        return t;
    }

    /// <summary>A ← (A + Aᵀ)/2: removes the asymmetry that round-off adds to products meant to be symmetric.</summary>
    public static void Symmetrize(double[,] a)
    {
        int n = a.GetLength(0);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0.5 * (a[i, j] + a[j, i]);
                a[i, j] = s;
                a[j, i] = s;
            }
    }
}
