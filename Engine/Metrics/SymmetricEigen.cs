namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix, A = V·diag(λ)·Vᵀ, in float64.
/// Householder reduction to tridiagonal form followed by the implicit QL algorithm with Wilkinson-style
/// shifts (the classic EISPACK tred2/tql2 pair, as in JAMA). Both stages are O(n³) with small constants,
/// so a 256×256 covariance takes milliseconds, far quicker than cyclic Jacobi, and the result is
/// orthogonal to working precision because every step is an orthogonal similarity transform.
/// Only the lower triangle of the input is read; it is never modified.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues in ascending order and the matching unit eigenvectors as the columns of Vectors
    /// (Vectors[:, j] belongs to Values[j]).
    /// </summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] symmetric)
    {
        int n = CheckSquare(symmetric);
        double[] v = LowerToFlat(symmetric, n);
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(v, d, e, n);
        // tred2 leaves the accumulated transform with eigenvector candidates in columns; QL then rotates
        // pairs of adjacent columns. Transposed, those become adjacent rows: contiguous memory, which makes
        // the O(n³) rotation loop several times faster at n = 256.
        Transpose(v, n);
        QlImplicit(d, e, v, n);
        SortAscending(d, v, n);

        var vectors = new double[n, n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                vectors[i, j] = v[j * n + i];
        return (d, vectors);
    }

    /// <summary>Eigenvalues only, ascending: the QL stage skips the O(n³) eigenvector rotations.</summary>
    public static double[] Eigenvalues(double[,] symmetric)
    {
        int n = CheckSquare(symmetric);
        double[] v = LowerToFlat(symmetric, n);
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(v, d, e, n);
        QlImplicit(d, e, null, n);
        Array.Sort(d);
        return d;
    }

    /// <summary>
    /// Principal square root of a symmetric positive semi-definite matrix: V·diag(√max(λ,0))·Vᵀ.
    /// Eigenvalues that round-off pushed slightly below zero are clamped to 0, so the result stays real
    /// and symmetric PSD.
    /// </summary>
    public static double[,] Sqrt(double[,] spd)
    {
        var (values, vectors) = Decompose(spd);
        int n = values.Length;
        // Scale the columns of V by √λ once; then R = (V√Λ)·Vᵀ needs a single product.
        var scaled = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double s = Math.Sqrt(Math.Max(values[j], 0.0));
            for (int i = 0; i < n; i++) scaled[i, j] = vectors[i, j] * s;
        }
        double[,] root = DenseMatrix.MultiplyTransposedB(scaled, vectors);
        DenseMatrix.Symmetrize(root);
        return root;
    }

    private static int CheckSquare(double[,] a)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = a.GetLength(0);
        if (a.GetLength(1) != n) throw new ArgumentException($"Matrix must be square, got {n}×{a.GetLength(1)}.", nameof(a));
        if (n == 0) throw new ArgumentException("Matrix must not be empty.", nameof(a));
        return n;
    }

    /// <summary>Row-major n×n copy built from the lower triangle, so callers' asymmetric round-off is ignored.</summary>
    private static double[] LowerToFlat(double[,] a, int n)
    {
        var v = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                v[i * n + j] = v[j * n + i] = a[i, j];
        return v;
    }

    private static void Transpose(double[] v, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                (v[i * n + j], v[j * n + i]) = (v[j * n + i], v[i * n + j]);
    }

    /// <summary>
    /// Householder tridiagonalisation (EISPACK tred2). On return d holds the diagonal, e[1..n-1] the
    /// sub-diagonal (e[0] = 0), and v (row-major) the orthogonal transform Q with A = Q·T·Qᵀ.
    /// </summary>
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];

        for (int i = n - 1; i > 0; i--)
        {
            // Scaling the row to unit 1-norm first avoids under/overflow in the sum of squares.
            double scale = 0.0, h = 0.0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0.0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0.0;
                    v[j * n + i] = 0.0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                // Sign chosen opposite to f so that f − g never cancels.
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0.0;

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0.0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0.0;
                }
            }
            d[i] = h;
        }

        // Accumulate the Householder reflections into Q.
        for (int i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1.0;
            double h = d[i + 1];
            if (h != 0.0)
            {
                for (int k = 0; k <= i; k++) d[k] = v[k * n + i + 1] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = 0.0;
                    for (int k = 0; k <= i; k++) g += v[k * n + i + 1] * v[k * n + j];
                    for (int k = 0; k <= i; k++) v[k * n + j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) v[k * n + i + 1] = 0.0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0.0;
        }
        v[(n - 1) * n + n - 1] = 1.0;
        e[0] = 0.0;
    }

    /// <summary>
    /// Implicit QL on the tridiagonal (d, e) (EISPACK tql2). When w is given it holds Qᵀ row-major
    /// (eigenvector candidates as rows) and receives the same Givens rotations, ending as Vᵀ.
    /// </summary>
    private static void QlImplicit(double[] d, double[] e, double[]? w, int n)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0.0;

        double f = 0.0, tst1 = 0.0;
        double eps = Math.Pow(2.0, -52.0);
        for (int l = 0; l < n; l++)
        {
            // Find a negligible sub-diagonal element: the matrix splits there.
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1) m++;

            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 60 * n) throw new ArithmeticException("Symmetric eigen-decomposition did not converge.");

                    // Shift from the leading 2×2 block.
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Hypot(p, 1.0);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;

                    // Implicit QL sweep from m back up to l.
                    p = d[m];
                    double c = 1.0, c2 = c, c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        if (w != null) Rotate(w, i, n, c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
    }

    /// <summary>Rows i and i+1 of w ← Givens rotation (contiguous, hence the transposed storage).</summary>
    private static void Rotate(double[] w, int i, int n, double c, double s)
    {
        Span<double> a = w.AsSpan(i * n, n);
        Span<double> b = w.AsSpan((i + 1) * n, n);
        for (int k = 0; k < n; k++)
        {
            double h = b[k];
            b[k] = s * a[k] + c * h;
            a[k] = c * a[k] - s * h;
        }
    }

    /// <summary>√(a² + b²) without destructive under/overflow.</summary>
    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0.0) return 0.0;
        double t = y / x;
        return x * Math.Sqrt(1.0 + t * t);
    }

    /// <summary>Selection sort of eigenpairs (O(n²) row swaps are cheap next to the O(n³) stages).</summary>
    private static void SortAscending(double[] d, double[] w, int n)
    {
        var row = new double[n];
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            for (int j = i + 1; j < n; j++)
                if (d[j] < d[k]) k = j;
            if (k == i) continue;
            (d[i], d[k]) = (d[k], d[i]);
            w.AsSpan(i * n, n).CopyTo(row);
            w.AsSpan(k * n, n).CopyTo(w.AsSpan(i * n, n));
            row.CopyTo(w.AsSpan(k * n, n));
        }
    }
}
