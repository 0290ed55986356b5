using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019). Each feature set approximates its
/// manifold by the union of hyperspheres around its points, each with radius = distance to the
/// point's k-th nearest neighbour in the same set (the point itself excluded).
/// Precision = fraction of fake samples inside at least one real hypersphere (‖f − r‖ ≤ radius(r));
/// recall = fraction of real samples inside at least one fake hypersphere.
/// Pairwise squared distances come from ‖a‖² + ‖b‖² − 2a·bᵀ with the dot products from the float
/// SGEMM, a block of rows at a time (memory stays O(block × count) instead of O(count²)). Both sets
/// are first shifted by the real mean: distances are unchanged, but the norms shrink, which keeps the
/// float cancellation in that formula small. Distances are float32, so a pair whose distance equals a
/// radius to within float round-off may be decided differently from a float64 computation.
/// Cost: the two within-set k-NN passes compute only the upper triangle of their symmetric distance
/// matrix, the fake×real pass the full rectangle, i.e. about two count² × dim SGEMMs in all; vector
/// compares discard the (vast majority of) entries that cannot change a result.
/// </summary>
public static unsafe class PrecisionRecall
{
    /// <summary>Upper bound on floats in one block of the distance matrix (16 MiB).</summary>
    private const int BlockFloats = 1 << 22;

    /// <param name="real">realCount×dim row-major real features.</param>
    /// <param name="fake">fakeCount×dim row-major generated features.</param>
    /// <param name="k">Neighbour rank that sets the radii (3 in the paper); each set needs more than k points.</param>
    public static (double Precision, double Recall) Compute(float[] real, int realCount, float[] fake, int fakeCount, int dim, int k = 3) =>
        Compute(real, realCount, fake, fakeCount, dim, k, BlockFloats);

    /// <summary>The same with the distance-block size chosen by the caller (tests force many small blocks).</summary>
    internal static (double Precision, double Recall) Compute(float[] real, int realCount, float[] fake, int fakeCount, int dim, int k, int blockFloats)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(fake);
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), "dim must be positive.");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), "k must be at least 1.");
        if (realCount <= k) throw new ArgumentOutOfRangeException(nameof(realCount), $"Need more than k = {k} real samples.");
        if (fakeCount <= k) throw new ArgumentOutOfRangeException(nameof(fakeCount), $"Need more than k = {k} fake samples.");
        if ((long)realCount * dim > real.Length) throw new ArgumentException($"real holds fewer than {realCount}×{dim} values.", nameof(real));
        if ((long)fakeCount * dim > fake.Length) throw new ArgumentException($"fake holds fewer than {fakeCount}×{dim} values.", nameof(fake));

        double[] shift = Mean(real, realCount, dim);
        float[] r = Centre(real, realCount, dim, shift);
        float[] f = Centre(fake, fakeCount, dim, shift);
        float[] realNorms = SquaredNorms(r, realCount, dim);
        float[] fakeNorms = SquaredNorms(f, fakeCount, dim);

        // Radii are kept squared: comparing d² ≤ radius² avoids a square root per pair.
        float[] realRadii = KthNeighbourSquared(r, realNorms, realCount, dim, k, blockFloats);
        float[] fakeRadii = KthNeighbourSquared(f, fakeNorms, fakeCount, dim, k, blockFloats);

        // One fake×real distance pass answers both questions: entry (i, j) can put fake i inside real
        // sphere j (precision) and real j inside fake sphere i (recall).
        var fakeCovered = new bool[fakeCount];
        var realCovered = new bool[realCount];
        int threads = Environment.ProcessorCount;
        int block = Math.Clamp(blockFloats / realCount, 1, fakeCount);
        var dots = new float[(long)block * realCount];
        for (int r0 = 0; r0 < fakeCount; r0 += block)
        {
            int rows = Math.Min(block, fakeCount - r0);
            Dots(f, r0, rows, r, 0, realCount, dim, dots, threads);
            Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = threads }, local =>
            {
                int i = r0 + local;
                fakeCovered[i] = CoverRow(dots.AsSpan(local * realCount, realCount), fakeNorms[i], realNorms, realRadii, fakeRadii[i], realCovered);
            });
        }

        return (Fraction(fakeCovered), Fraction(realCovered));
    }

    /// <summary>
    /// Fake row i against all reals: returns whether some d²(i, j) ≤ realRadius²_j, and marks every
    /// real j with d²(i, j) ≤ fakeRadius²_i. Rows run concurrently, but they only ever store true into
    /// realCovered, so the race is benign. Most chunks of lanes satisfy neither test and cost two
    /// vector compares.
    /// </summary>
    private static bool CoverRow(ReadOnlySpan<float> dots, float fakeNorm, float[] realNorms, float[] realRadii, float fakeRadius, bool[] realCovered)
    {
        int n = dots.Length, w = Vector<float>.Count, j = 0;
        bool covered = false;
        ref float dot = ref MemoryMarshal.GetReference(dots);
        ref float norm = ref MemoryMarshal.GetArrayDataReference(realNorms);
        ref float radius = ref MemoryMarshal.GetArrayDataReference(realRadii);
        var an = new Vector<float>(fakeNorm);
        var fr = new Vector<float>(fakeRadius);
        for (; j <= n - w; j += w)
        {
            Vector<float> d = SquaredDistance(an, Vector.LoadUnsafe(ref norm, (nuint)j), Vector.LoadUnsafe(ref dot, (nuint)j));
            if (!covered && Vector.LessThanOrEqualAny(d, Vector.LoadUnsafe(ref radius, (nuint)j))) covered = true;
            if (Vector.LessThanOrEqualAny(d, fr))
                for (int l = 0; l < w; l++)
                    if (d[l] <= fakeRadius) realCovered[j + l] = true;
        }
        for (; j < n; j++)
        {
            float d = SquaredDistance(fakeNorm, realNorms[j], dots[j]);
            if (d <= realRadii[j]) covered = true;
            if (d <= fakeRadius) realCovered[j] = true;
        }
        return covered;
    }

    /// <summary>
    /// Squared distance from every point to its k-th nearest other point of the same set.
    /// The distance matrix is symmetric, so only its upper triangle is computed: row block
    /// [r0, r1) against columns [r0, n). Each point keeps its k smallest distances so far. Rows of
    /// the block take every entry of their row (the diagonal square included); columns past r1
    /// take the same entries read down the column (the (j, i) half that is never computed). The
    /// two passes touch disjoint points, so each parallelises without locks.
    /// </summary>
    private static float[] KthNeighbourSquared(float[] x, float[] norms, int count, int dim, int k, int blockFloats)
    {
        // best[p·k .. p·k+k) ascending; kth[p] mirrors best[p·k+k−1] contiguously for vector compares.
        var best = new float[count * k];
        Array.Fill(best, float.PositiveInfinity);
        var kth = new float[count];
        Array.Fill(kth, float.PositiveInfinity);

        int threads = Environment.ProcessorCount;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        int block = Math.Clamp(blockFloats / count, 1, count);
        var dots = new float[(long)block * count];
        for (int r0 = 0; r0 < count; r0 += block)
        {
            int rows = Math.Min(block, count - r0), r1 = r0 + rows, width = count - r0;
            Dots(x, r0, rows, x, r0, width, dim, dots, threads);

            Parallel.For(0, rows, options, local =>
                RowNeighbours(r0 + local, dots.AsSpan(local * width, width), r0, norms, best, kth, k));

            // Columns past the block, in chunks sized to keep their state in L1.
            const int chunk = 512;
            int chunks = (count - r1 + chunk - 1) / chunk;
            Parallel.For(0, chunks, options, c =>
            {
                int c0 = r1 + c * chunk, c1 = Math.Min(c0 + chunk, count);
                for (int local = 0; local < rows; local++)
                    ColumnNeighbours(dots.AsSpan(local * width + (c0 - r0), c1 - c0), norms[r0 + local], c0, norms, best, kth, k);
            });
        }
        return kth;
    }

    /// <summary>Row i (global) against columns [c0, c0 + dots.Length): updates i's own k best, skipping itself.</summary>
    private static void RowNeighbours(int i, ReadOnlySpan<float> dots, int c0, float[] norms, float[] best, float[] kth, int k)
    {
        Span<float> mine = best.AsSpan(i * k, k);
        float an = norms[i];
        int n = dots.Length, w = Vector<float>.Count, j = 0;
        ref float dot = ref MemoryMarshal.GetReference(dots);
        ref float norm = ref MemoryMarshal.GetArrayDataReference(norms);
        var anv = new Vector<float>(an);
        for (; j <= n - w; j += w)
        {
            Vector<float> d = SquaredDistance(anv, Vector.LoadUnsafe(ref norm, (nuint)(c0 + j)), Vector.LoadUnsafe(ref dot, (nuint)j));
            // After the first few chunks the k-th best is small and almost no lane beats it.
            if (!Vector.LessThanAny(d, new Vector<float>(mine[k - 1]))) continue;
            for (int l = 0; l < w; l++)
                if (c0 + j + l != i) Insert(mine, d[l]);
        }
        for (; j < n; j++)
            if (c0 + j != i) Insert(mine, SquaredDistance(an, norms[c0 + j], dots[j]));
        kth[i] = mine[k - 1];
    }

    /// <summary>
    /// One row (norm rowNorm) against the columns [c0, c0 + dots.Length): updates each column's
    /// k best with its distance to that row. The caller guarantees the row is not among the columns.
    /// </summary>
    private static void ColumnNeighbours(ReadOnlySpan<float> dots, float rowNorm, int c0, float[] norms, float[] best, float[] kth, int k)
    {
        int n = dots.Length, w = Vector<float>.Count, j = 0;
        ref float dot = ref MemoryMarshal.GetReference(dots);
        ref float norm = ref MemoryMarshal.GetArrayDataReference(norms);
        ref float threshold = ref MemoryMarshal.GetArrayDataReference(kth);
        var an = new Vector<float>(rowNorm);
        for (; j <= n - w; j += w)
        {
            Vector<float> d = SquaredDistance(an, Vector.LoadUnsafe(ref norm, (nuint)(c0 + j)), Vector.LoadUnsafe(ref dot, (nuint)j));
            if (!Vector.LessThanAny(d, Vector.LoadUnsafe(ref threshold, (nuint)(c0 + j)))) continue;
            for (int l = 0; l < w; l++) InsertColumn(c0 + j + l, d[l], best, kth, k);
        }
        for (; j < n; j++) InsertColumn(c0 + j, SquaredDistance(rowNorm, norms[c0 + j], dots[j]), best, kth, k);
    }

    private static void InsertColumn(int p, float d, float[] best, float[] kth, int k)
    {
        if (d >= kth[p]) return;
        Span<float> state = best.AsSpan(p * k, k);
        Insert(state, d);
        kth[p] = state[k - 1];
    }

    /// <summary>Inserts d into the ascending k-best list when it beats the current k-th.</summary>
    private static void Insert(Span<float> sorted, float d)
    {
        int p = sorted.Length - 1;
        if (d >= sorted[p]) return;
        while (p > 0 && sorted[p - 1] > d)
        {
            sorted[p] = sorted[p - 1];
            p--;
        }
        sorted[p] = d;
    }

    /// <summary>
    /// d² = ‖a‖² + ‖b‖² − 2a·b, clamped at 0 because round-off can leave −ε for coincident points.
    /// The scalar and vector forms evaluate in the same order, so tails agree bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SquaredDistance(float aNorm, float bNorm, float dot) => Math.Max(aNorm + bNorm - 2f * dot, 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> SquaredDistance(Vector<float> aNorm, Vector<float> bNorm, Vector<float> dot) =>
        Vector.Max(aNorm + bNorm - new Vector<float>(2f) * dot, Vector<float>.Zero);

    /// <summary>
    /// dots[i, j] = a_(aStart+i) · b_(bStart+j) for i &lt; aRows, j &lt; bRows (row stride bRows), by one SGEMM
    /// with B read transposed in place.
    /// </summary>
    private static void Dots(float[] a, int aStart, int aRows, float[] b, int bStart, int bRows, int dim, float[] dots, int threads)
    {
        fixed (float* pa = a, pb = b, pc = dots)
            Backends.Cpu.CpuGemm.Gemm(pa + (long)aStart * dim, pb + (long)bStart * dim, pc, aRows, bRows, dim,
                transA: false, transB: true, accumulate: false, threads);
    }

    private static double[] Mean(float[] x, int count, int dim)
    {
        var mean = new double[dim];
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<float> row = x.AsSpan(s * dim, dim);
            for (int i = 0; i < dim; i++) mean[i] += row[i];
        }
        for (int i = 0; i < dim; i++) mean[i] /= count;
        return mean;
    }

    private static float[] Centre(float[] x, int count, int dim, double[] shift)
    {
        var y = new float[count * dim];
        for (int s = 0; s < count; s++)
            for (int i = 0; i < dim; i++)
                y[s * dim + i] = (float)(x[s * dim + i] - shift[i]);
        return y;
    }

    /// <summary>‖x_s‖², summed in float64 then rounded once.</summary>
    private static float[] SquaredNorms(float[] x, int count, int dim)
    {
        var norms = new float[count];
        for (int s = 0; s < count; s++)
        {
            double n = 0.0;
            ReadOnlySpan<float> row = x.AsSpan(s * dim, dim);
            foreach (float v in row) n += (double)v * v;
            norms[s] = (float)n;
        }
        return norms;
    }

    private static double Fraction(bool[] flags)
    {
        int n = 0;
        foreach (bool f in flags) if (f) n++;
        return (double)n / flags.Length;
    }
}
