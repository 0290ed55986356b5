namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Chooses a GEMM plan per shape; a pure function of the shape and the device, so it is unit-tested
/// without a GPU and each backend runs it once per shape (see <see cref="IlgpuBackend.PlanFor"/>).
///
/// The seed GAN's GEMMs at batch 64 are small-M: 64×512×784 with 64×64 tiles is 8 groups on an
/// H100's 132 SMs, so most of the chip idles while each group walks all of K. The planner wants at
/// least <see cref="TargetWaves"/> groups per multiprocessor, and gets them in this order:
/// <list type="number">
/// <item>the largest tile whose output tiles alone reach the target (big shapes keep big tiles,
/// which stage fewer floats per FMA, and need no second kernel);</item>
/// <item>otherwise split-K: the largest tile that reaches the target with at most
/// <see cref="MaxSplitK"/> splits of at least <see cref="MinSplitDepth"/> K each, with the fewest
/// splits that do;</item>
/// <item>otherwise the most groups any tile and split give (ties: the smaller tile, less padding).</item>
/// </list>
/// Problems under <see cref="MinSplitFmas"/> are never split: they finish in a few microseconds,
/// which the extra reduction launch would cost again.
/// </summary>
public static class GemmPlanner
{
    /// <summary>Groups wanted per multiprocessor: two waves, so one group's barrier stall has a neighbour to hide it.</summary>
    public const int TargetWaves = 2;

    /// <summary>
    /// Fewest K per split: below two 16-deep slices, staging the tiles and storing and re-reading the
    /// partial C (TileM·TileN floats each way) outweighs the split's own FMAs.
    /// </summary>
    public const int MinSplitDepth = 32;

    /// <summary>Most splits: bounds the workspace at MaxSplitK·M·N floats and the reduction's reads per output.</summary>
    public const int MaxSplitK = 16;

    /// <summary>Smallest problem (M·N·K) worth a second launch for its reduction.</summary>
    public const long MinSplitFmas = 1 << 18;

    /// <summary>The tilings the planner picks from, largest first.</summary>
    public static readonly IReadOnlyList<GemmTiles> Candidates =
        [GemmTiles.Large, GemmTiles.Gpu, GemmTiles.Wide, GemmTiles.Tall, GemmTiles.Small];

    public static GemmPlan Choose(GemmProblem p, GemmDevice device) =>
        Choose(p.M, p.N, p.K, p.TransA, p.TransB, device);

    /// <remarks>
    /// The transpose flags do not change the choice today (every form stages through the same
    /// shared-memory layout); they are part of the signature and the cache key so that a tuned
    /// per-form rule can land without touching callers.
    /// </remarks>
    public static GemmPlan Choose(int m, int n, int k, bool transA, bool transB, GemmDevice device)
    {
        var fitting = Candidates.Where(t => t.Threads <= device.MaxThreadsPerGroup).ToList();
        if (fitting.Count == 0)
            throw new ArgumentException($"no GEMM tiling fits in {device.MaxThreadsPerGroup} threads per group (the smallest needs {Candidates[^1].Threads})");
        long target = (long)TargetWaves * Math.Max(1, device.Multiprocessors);

        foreach (var t in fitting)
            if (t.OutputTiles(m, n) >= target) return GemmPlan.Single(t, k);

        int maxSplit = (long)m * n * k < MinSplitFmas ? 1 : Math.Clamp(k / MinSplitDepth, 1, MaxSplitK);
        foreach (var t in fitting)
        {
            long tiles = t.OutputTiles(m, n);
            // Whole-slice ranges can round a requested split count down, so step up until one lands.
            for (long s = (target + tiles - 1) / tiles; s <= maxSplit; s++)
            {
                var plan = GemmPlan.Split(t, k, (int)s);
                if (plan.Groups(m, n) >= target) return plan;
            }
        }

        // Neither reaches the target: as many groups as any plan gives. Iterating smallest first,
        // a tie keeps the smaller tile, which pads less.
        GemmPlan best = GemmPlan.Split(fitting[^1], k, maxSplit);
        for (int i = fitting.Count - 2; i >= 0; i--)
        {
            var plan = GemmPlan.Split(fitting[i], k, maxSplit);
            if (plan.Groups(m, n) > best.Groups(m, n)) best = plan;
        }
        return best;
    }
}
