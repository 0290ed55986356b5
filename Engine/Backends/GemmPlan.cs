using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// One GEMM as the engine issues it, C[M,N] (+)= op(A)·op(B): A is M×K (K×M if TransA), B is K×N
/// (N×K if TransB), and Accumulate adds to C. Without Accumulate it is also the key of a backend's
/// plan cache (<see cref="Plan"/>): accumulating does not change which plan is best.
/// </summary>
public readonly record struct GemmProblem(int M, int N, int K, bool TransA, bool TransB, bool Accumulate = false)
{
    public long Fmas => (long)M * N * K;

    /// <summary>The plan-cache key: the shape and form, accumulate off.</summary>
    public GemmProblem Plan => this with { Accumulate = false };

    // The generated ToString would print Plan, a GemmProblem, whose Plan it would print, … without end.
    public override string ToString() =>
        $"GemmProblem {{ M = {M}, N = {N}, K = {K}, TransA = {TransA}, TransB = {TransB}, Accumulate = {Accumulate} }}";
}

/// <summary>What the planner needs to know about an accelerator.</summary>
public sealed record GemmDevice(int Multiprocessors, int MaxThreadsPerGroup)
{
    /// <summary>NVIDIA H100 SXM: 132 SMs, 1024 threads per block.</summary>
    public static readonly GemmDevice H100 = new(132, 1024);
}

/// <summary>
/// How one GEMM shape runs: the tiling, and how many K ranges (splits) the product is cut into.
/// With SplitK = 1 the kernel writes C directly; with more, split z covers
/// K range [z·KChunk, (z + 1)·KChunk) ∩ [0, K) and writes a partial product to a [SplitK, M, N]
/// workspace that a second kernel sums into C.
/// </summary>
public sealed record GemmPlan(GemmTiles Tiles, int SplitK, int KChunk)
{
    /// <summary>One pass over all of K. A K slice deeper than K would only stage zeros, so Bk is capped at K.</summary>
    public static GemmPlan Single(GemmTiles tiles, int k) =>
        new(tiles with { Bk = Math.Min(tiles.Bk, Math.Max(1, k)) }, 1, Math.Max(1, k));

    /// <summary>
    /// K cut into at most <paramref name="splitK"/> ranges, each a whole number of Bk slices (so
    /// only the last range has a ragged slice); fewer when K is too short for that many.
    /// </summary>
    public static GemmPlan Split(GemmTiles tiles, int k, int splitK)
    {
        if (splitK <= 1 || k <= 1) return Single(tiles, k);
        int bk = Math.Min(tiles.Bk, k);
        int chunk = RoundUp(CeilDiv(k, splitK), bk);
        int splits = CeilDiv(k, chunk);
        return splits == 1 ? Single(tiles, k) : new(tiles with { Bk = bk }, splits, chunk);
    }

    /// <summary>Groups one launch of this plan runs for an M×N output.</summary>
    public long Groups(int m, int n) => Tiles.OutputTiles(m, n) * SplitK;

    /// <summary>Floats of split-K workspace this plan needs for an M×N output (0 without split-K).</summary>
    public long WorkspaceFloats(int m, int n) => SplitK > 1 ? (long)SplitK * m * n : 0;

    /// <summary>True when the splits cover K exactly once: every K index in one range, no range empty.</summary>
    public bool Covers(int k) => SplitK == 1 ? KChunk >= k : (long)SplitK * KChunk >= k && (long)(SplitK - 1) * KChunk < k;

    /// <summary>
    /// The kernel's arguments for one launch of this plan. An epilogue needs accumulate off: act(v + b)
    /// added to what C held is no layer's formula, and the kernels do not define it.
    /// </summary>
    public GemmArgs Args(GemmProblem p, GemmEpilogue epilogue = default) =>
        Args(p.M, p.N, p.K, p.TransA, p.TransB, p.Accumulate, epilogue);

    public GemmArgs Args(int m, int n, int k, bool transA, bool transB, bool accumulate, GemmEpilogue epilogue = default)
    {
        if (accumulate && epilogue.IsOn) throw new ArgumentException("a GEMM epilogue (bias, activation) needs accumulate off");
        return new()
        {
            M = m, N = n, K = k,
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0,
            // Split-K partials are plain stores; the reduction applies Accumulate and the epilogue.
            Accumulate = accumulate && SplitK == 1 ? 1 : 0,
            Tx = Tiles.Tx, Ty = Tiles.Ty, Bk = Tiles.Bk,
            KChunk = KChunk,
            Epilogue = SplitK == 1 ? epilogue : default,
        };
    }

    public override string ToString() => $"{Tiles.TileM}x{Tiles.TileN} tiles, Bk {Tiles.Bk}, split-K {SplitK}" + (SplitK > 1 ? $" x {KChunk}" : "");

    static int CeilDiv(int a, int b) => (a + b - 1) / b;
    static int RoundUp(int a, int b) => CeilDiv(a, b) * b;
}
