using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// Maxout: the two ops against MaxoutKernels' float64 references on values quantised to a coarse
/// grid (so many groups tie and the first-argmax rule is exercised; max and routing are exact, so
/// the tolerance is 0), and the LinearMaxout layer (forward, dW, db, dx) against a float64
/// Linear + maxout built from the references.
/// </summary>
public sealed partial class KernelChecks
{
    public CheckResult Maxout(int rows, int units, int pieces)
    {
        int groups = rows * units, width = groups * pieces;
        var pre = Rand(width).Select(v => MathF.Round(v * 4) / 4).ToArray();   // 9 levels: ties are common
        var dy = Rand(groups);
        Tensor tp = Upload(pre), tdy = Upload(dy), ty = Poisoned(groups), tdp = Poisoned(width);
        var s = new MaxoutShape(rows, units, pieces);
        backend.MaxoutForward(tp, ty, s);
        backend.MaxoutBackward(tp, tdy, tdp, s);
        var preD = pre.Select(v => (double)v).ToArray();
        var (want, _) = MaxoutKernels.Reference(preD, groups, pieces);
        var wantDp = MaxoutKernels.ReferenceBackward(preD, dy.Select(v => (double)v).ToArray(), groups, pieces);
        double err = Worst(Error(ty.ToArray(), want), Error(tdp.ToArray(), wantDp));
        Free(tp, tdy, ty, tdp);
        return new("maxout forward+backward", $"{rows}x{units}x{pieces}", err, 0);
    }

    /// <summary>
    /// The layer on a batch whose groups have no near-ties in float64 (redrawn until every group's
    /// top two differ by 1e-4), so float32 rounding cannot move an argmax.
    /// </summary>
    public CheckResult LinearMaxoutLayer(int rows, int inFeatures, int units, int pieces)
    {
        int width = units * pieces;
        float[] x, w, b;
        double[] pre;
        do
        {
            x = Rand(rows * inFeatures); w = Rand(width * inFeatures); b = Rand(width);
            pre = GemmKernels.LinearForwardReference(x, w, b, rows, width, inFeatures, Activation.Identity, 0);
        } while (!Separated(pre, rows * units, pieces));
        var dy = Rand(rows * units);
        using var model = new Sequential(backend, [new LinearMaxoutSpec(inFeatures, units, pieces)], inFeatures, rows, 1);
        var layer = (LinearMaxout)model.Layers[0];
        layer.Weight.Value.CopyFrom(w);
        layer.Bias.Value.CopyFrom(b);
        Tensor tx = Upload(x), tdy = Upload(dy);
        var y = model.Forward(tx, rows, training: true).ToArray();
        var dx = model.Backward(tdy, paramGrads: true, accumulate: false, inputGrad: true)!.Value.ToArray();
        var dw = layer.Weight.Grad.ToArray();
        var db = layer.Bias.Grad.ToArray();
        Free(tx, tdy);

        var (wantY, _) = MaxoutKernels.Reference(pre, rows * units, pieces);
        var dpre = MaxoutKernels.ReferenceBackward(pre, dy.Select(v => (double)v).ToArray(), rows * units, pieces);
        var dpreF = dpre.Select(v => (float)v).ToArray();   // exact: each is a dy value or 0
        var wantDw = GemmKernels.Reference(dpreF, x, default, width, inFeatures, rows, transA: true, transB: false, accumulate: false);
        var wantDx = GemmKernels.Reference(dpreF, w, default, rows, inFeatures, width, transA: false, transB: false, accumulate: false);
        var wantDb = new double[width];
        for (int r = 0; r < rows; r++) for (int c = 0; c < width; c++) wantDb[c] += dpre[r * width + c];
        double err = Worst(Error(y, wantY), Error(dw, wantDw), Error(db, wantDb), Error(dx, wantDx));
        return new("linear maxout layer", $"{rows}x{inFeatures}→{units}x{pieces}", err, 2e-6 * Math.Sqrt(Math.Max(inFeatures, Math.Max(rows, width))) + 1e-6);
    }

    static bool Separated(double[] pre, int groups, int pieces)
    {
        for (int g = 0; g < groups; g++)
        {
            double best = double.NegativeInfinity, second = double.NegativeInfinity;
            for (int p = 0; p < pieces; p++)
            {
                double v = pre[g * pieces + p];
                if (v > best) { second = best; best = v; }
                else if (v > second) second = v;
            }
            if (pieces > 1 && best - second < 1e-4) return false;
        }
        return true;
    }

    IEnumerable<CheckResult> MaxoutChecks(bool large)
    {
        foreach (var (r, u, p) in new[] { (1, 1, 1), (3, 7, 2), (100, 200, 5), (1, 200, 5), (3, 1, 5) })
            yield return Maxout(r, u, p);
        foreach (var (r, i, u, p) in new[] { (1, 3, 1, 1), (3, 2, 7, 5), (5, 4, 3, 2) })
            yield return LinearMaxoutLayer(r, i, u, p);
        if (large) yield return LinearMaxoutLayer(20, 50, 200, 5);
    }
}
