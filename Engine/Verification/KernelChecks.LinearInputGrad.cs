using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// The Linear input gradient, dx = (dy·W) ⊙ act'(y): the A·B GEMM with its activation-derivative
/// epilogue, against the float64 GEMM reference followed by the float64 derivative from the output.
/// </summary>
public sealed partial class KernelChecks
{
    /// <param name="masked">False: no mask (the plain dX GEMM through the same op).</param>
    public CheckResult LinearInputGrad(int rows, int inFeatures, int outFeatures, Activation act, bool masked = true) =>
        LinearInputGradAgainstReference("linear dx", rows, inFeatures, outFeatures, act, masked,
            (dy, w, dx, y) => backend.LinearInputGrad(dy, w, dx, new(rows, inFeatures, outFeatures), y, new(act, LinearAlpha)));

    /// <summary>The Linear input gradient with a forced GEMM plan (an ILGPU backend only): split-K puts the mask in the reduction.</summary>
    public CheckResult LinearInputGradWithPlan(GemmPlan plan, int rows, int inFeatures, int outFeatures, Activation act, bool masked = true)
    {
        var ilgpu = backend as IlgpuBackend ?? throw new InvalidOperationException("forced GEMM plans need an ILGPU backend");
        return LinearInputGradAgainstReference($"linear dx {plan.Tiles.TileM}x{plan.Tiles.TileN}/{plan.SplitK}", rows, inFeatures, outFeatures, act, masked,
            (dy, w, dx, y) => ilgpu.LinearInputGrad(plan, dy, w, dx, new(rows, inFeatures, outFeatures), y, new(act, LinearAlpha)));
    }

    /// <remarks>
    /// The mask y is a genuine activation output (of random pre-activations), as the identity
    /// act'(x) = f(y) needs. Every |act'| ≤ 1, so the mask cannot grow the GEMM's rounding error;
    /// the tolerance is the GEMM's, measured against the unmasked product's scale.
    /// </remarks>
    CheckResult LinearInputGradAgainstReference(string label, int rows, int inFeatures, int outFeatures, Activation act, bool masked,
        Action<Tensor, Tensor, Tensor, Tensor?> run)
    {
        var dy = Rand(rows * outFeatures); var w = Rand(outFeatures * inFeatures);
        var y = Rand(rows * inFeatures, -4, 4).Select(v => (float)ActivationKernels.ApplyReference(act, v, LinearAlpha)).ToArray();
        Tensor tdy = Upload(dy), tw = Upload(w), ty = Upload(y), tdx = Poisoned(rows * inFeatures);
        run(tdy, tw, tdx, masked ? ty : null);
        var plain = GemmKernels.LinearInputGradReference(dy, w, default, rows, inFeatures, outFeatures, act, LinearAlpha);
        var want = masked ? GemmKernels.LinearInputGradReference(dy, w, y, rows, inFeatures, outFeatures, act, LinearAlpha) : plain;
        double err = Error(tdx.ToArray(), want) * Scale(want) / Scale(plain);
        Free(tdy, tw, ty, tdx);
        string name = $"{label} {(masked ? act.ToString().ToLowerInvariant() + "'" : "unmasked")}";
        return new(name, $"{rows}x{inFeatures}x{outFeatures}", err, 2e-6 * Math.Sqrt(outFeatures) + 1e-6);
    }

    /// <summary>
    /// Every activation's mask, and none, at tile-edge shapes (and the seed's 784-wide layer when
    /// <paramref name="large"/>); on an ILGPU backend also forced split-K plans, whose reduction
    /// applies the mask.
    /// </summary>
    IEnumerable<CheckResult> LinearInputGradChecks(bool large)
    {
        var shapes = new List<(int, int, int)> { (1, 1, 1), (7, 5, 3), (63, 65, 129) };
        if (large) shapes.Add((64, 512, 784));
        foreach (var (r, i, o) in shapes)
        {
            foreach (var act in Enum.GetValues<Activation>())
                yield return LinearInputGrad(r, i, o, act);
            yield return LinearInputGrad(r, i, o, Activation.LeakyReLU, masked: false);
        }
        if (backend is not IlgpuBackend ilgpu) yield break;
        foreach (var tiles in GemmPlanner.Candidates.Where(t => t.Threads <= ilgpu.GemmDevice.MaxThreadsPerGroup))
        {
            yield return LinearInputGradWithPlan(GemmPlan.Split(tiles, 129, 4), 33, 47, 129, Activation.LeakyReLU);
            yield return LinearInputGradWithPlan(GemmPlan.Split(tiles, 100, 3), 70, 1, 100, Activation.Sigmoid);
        }
    }
}
