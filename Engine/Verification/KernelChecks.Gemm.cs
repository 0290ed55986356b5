using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// GEMM checks beyond the tile-edge shapes: the seed GAN's own GEMMs at batch 64 (which a GPU's
/// planner splits along K), and, on an ILGPU backend, every tiling with forced split-K plans, so
/// the split ranges and the reduction are checked on whatever accelerator `verify` runs on.
/// </summary>
public sealed partial class KernelChecks
{
    CheckResult GemmAgainstReference(string label, int m, int n, int k, bool transA, bool transB, bool accumulate,
        Action<Tensor, Tensor, Tensor> run)
    {
        var a = Rand(m * k); var b = Rand(k * n); var c0 = Rand(m * n);
        Tensor ta = Upload(a), tb = Upload(b), tc = accumulate ? Upload(c0) : Poisoned(m * n);
        run(ta, tb, tc);
        var want = GemmKernels.Reference(a, b, c0, m, n, k, transA, transB, accumulate);
        double err = Error(tc.ToArray(), want);
        Free(ta, tb, tc);
        string form = (transA ? "Aᵀ" : "A") + "·" + (transB ? "Bᵀ" : "B") + (accumulate ? " +C" : "");
        return new(label + " " + form, $"{m}x{n}x{k}", err, 2e-6 * Math.Sqrt(k) + 1e-6);
    }

    /// <summary>One GEMM with a forced plan (an ILGPU backend only), labelled with its tile and split.</summary>
    public CheckResult GemmWithPlan(GemmPlan plan, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        var ilgpu = backend as IlgpuBackend ?? throw new InvalidOperationException("forced GEMM plans need an ILGPU backend");
        return GemmAgainstReference($"gemm {plan.Tiles.TileM}x{plan.Tiles.TileN}/{plan.SplitK}", m, n, k, transA, transB, accumulate,
            (ta, tb, tc) => ilgpu.Gemm(plan, ta, tb, tc, new(m, n, k, transA, transB, accumulate)));
    }

    /// <summary>
    /// The seed GAN's layers as (out, in) at batch 64 (D: 784→512→256→64→1; G: 100→256→512→784),
    /// in the three forms a Linear layer issues: Y = X·Wᵀ, dW += dYᵀ·X (accumulating, as gradient
    /// accumulation does) and dX = dY·W. The 784-wide layers only when <paramref name="large"/>.
    /// </summary>
    public static IEnumerable<(int M, int N, int K, bool TransA, bool TransB, bool Accumulate)> SeedGemms(bool large, int batch = 64)
    {
        var layers = new List<(int Out, int In)> { (256, 512), (64, 256), (1, 64), (256, 100) };
        if (large) layers.InsertRange(0, [(512, 784), (784, 512)]);
        foreach (var (o, i) in layers)
        {
            yield return (batch, o, i, false, true, false);
            yield return (o, i, batch, true, false, true);
            yield return (batch, i, o, false, false, false);
        }
    }

    IEnumerable<CheckResult> GemmPlanChecks(bool large)
    {
        foreach (var (m, n, k, ta, tb, acc) in SeedGemms(large))
            yield return Gemm(m, n, k, ta, tb, acc);
        if (backend is not IlgpuBackend ilgpu) yield break;
        foreach (var tiles in GemmPlanner.Candidates.Where(t => t.Threads <= ilgpu.GemmDevice.MaxThreadsPerGroup))
        {
            // Ragged last ranges (K = 129 in 4), a range shorter than Bk, M = 1 and N = 1.
            yield return GemmWithPlan(GemmPlan.Split(tiles, 129, 4), 33, 47, 129, false, true, accumulate: false);
            yield return GemmWithPlan(GemmPlan.Split(tiles, 129, 4), 33, 47, 129, true, false, accumulate: true);
            yield return GemmWithPlan(GemmPlan.Split(tiles, 40, 2), 1, 70, 40, false, false, accumulate: false);
            yield return GemmWithPlan(GemmPlan.Split(tiles, 100, 3), 70, 1, 100, true, false, accumulate: true);
        }
    }
}
