using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// The Linear forward, y = act(x·Wᵀ + b): the GEMM with its bias+activation epilogue, against the
/// float64 GEMM reference followed by the float64 activation.
/// </summary>
public sealed partial class KernelChecks
{
    /// <summary>LeakyReLU's slope in these checks: the seed models' 0.2.</summary>
    const float LinearAlpha = 0.2f;

    public CheckResult LinearForward(int rows, int outFeatures, int inFeatures, Activation act, bool withBias) =>
        LinearForwardAgainstReference("linear", rows, outFeatures, inFeatures, act, withBias,
            (x, w, b, y) => backend.LinearForward(x, w, b, y, new(rows, inFeatures, outFeatures), new(act, LinearAlpha)));

    /// <summary>The Linear forward with a forced GEMM plan (an ILGPU backend only): split-K puts the epilogue in the reduction.</summary>
    public CheckResult LinearForwardWithPlan(GemmPlan plan, int rows, int outFeatures, int inFeatures, Activation act, bool withBias)
    {
        var ilgpu = backend as IlgpuBackend ?? throw new InvalidOperationException("forced GEMM plans need an ILGPU backend");
        return LinearForwardAgainstReference($"linear {plan.Tiles.TileM}x{plan.Tiles.TileN}/{plan.SplitK}", rows, outFeatures, inFeatures, act, withBias,
            (x, w, b, y) => ilgpu.LinearForward(plan, x, w, b, y, new(rows, inFeatures, outFeatures), new(act, LinearAlpha)));
    }

    /// <remarks>
    /// The tolerance is the GEMM's, measured against the pre-activation scale: every activation
    /// here is 1-Lipschitz, so it cannot grow the GEMM's rounding error, but tanh and sigmoid shrink
    /// the output's scale, against which <see cref="Error"/> would otherwise measure it.
    /// </remarks>
    CheckResult LinearForwardAgainstReference(string label, int rows, int outFeatures, int inFeatures, Activation act, bool withBias,
        Action<Tensor, Tensor, Tensor?, Tensor> run)
    {
        var x = Rand(rows * inFeatures); var w = Rand(outFeatures * inFeatures); var bias = Rand(outFeatures);
        Tensor tx = Upload(x), tw = Upload(w), tb = Upload(bias), ty = Poisoned(rows * outFeatures);
        run(tx, tw, withBias ? tb : null, ty);
        var pre = GemmKernels.LinearForwardReference(x, w, withBias ? bias : default, rows, outFeatures, inFeatures, Activation.Identity, 0);
        var want = pre.Select(v => ActivationKernels.ApplyReference(act, v, LinearAlpha)).ToArray();
        double err = Error(ty.ToArray(), want) * Scale(want) / Scale(pre);
        Free(tx, tw, tb, ty);
        string name = $"{label} {(withBias ? "bias+" : "")}{act.ToString().ToLowerInvariant()}";
        return new(name, $"{rows}x{outFeatures}x{inFeatures}", err, 2e-6 * Math.Sqrt(inFeatures) + 1e-6);
    }

    /// <summary>The scale <see cref="Error"/> divides by: max(1, max |v|).</summary>
    static double Scale(ReadOnlySpan<double> v)
    {
        double s = 1;
        foreach (var x in v) s = Math.Max(s, Math.Abs(x));
        return s;
    }

    /// <summary>
    /// Every activation, with and without bias, at tile-edge shapes (and the seed's 784-wide layer
    /// when <paramref name="large"/>); on an ILGPU backend also forced split-K plans, whose
    /// reduction applies the epilogue.
    /// </summary>
    IEnumerable<CheckResult> LinearForwardChecks(bool large)
    {
        var shapes = new List<(int, int, int)> { (1, 1, 1), (7, 5, 3), (63, 65, 129) };
        if (large) shapes.Add((64, 784, 512));
        foreach (var act in Enum.GetValues<Activation>())
            foreach (var withBias in new[] { true, false })
                foreach (var (r, o, i) in shapes)
                    yield return LinearForward(r, o, i, act, withBias);
        if (backend is not IlgpuBackend ilgpu) yield break;
        foreach (var tiles in GemmPlanner.Candidates.Where(t => t.Threads <= ilgpu.GemmDevice.MaxThreadsPerGroup))
        {
            yield return LinearForwardWithPlan(GemmPlan.Split(tiles, 129, 4), 33, 47, 129, Activation.LeakyReLU, withBias: true);
            yield return LinearForwardWithPlan(GemmPlan.Split(tiles, 100, 3), 70, 1, 100, Activation.Tanh, withBias: false);
        }
    }
}
