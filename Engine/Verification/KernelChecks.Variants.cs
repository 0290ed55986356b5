using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>Checks of the kernels behind the GAN variants: loss kinds, clipping, WGAN-GP and conditioning.</summary>
public sealed partial class KernelChecks
{
    public CheckResult Clamp(int n, float c)
    {
        var x = Rand(n, -3 * c, 3 * c);
        var tx = Upload(x);
        backend.Clamp(tx, -c, c);
        double err = Error(tx.ToArray(), x.Select(v => ClipKernels.ClampReference(v, -c, c)).ToArray());
        Free(tx);
        return new("clamp", $"{n}", err, 0);
    }

    public CheckResult Interpolate(int rows, int cols)
    {
        var real = Rand(rows * cols); var fake = Rand(rows * cols); var eps = Rand(rows, 0, 1);
        Tensor tr = Upload(real), tf = Upload(fake), te = Upload(eps), tx = Poisoned(rows * cols);
        backend.Interpolate(tr, tf, te, tx, new(rows, cols));
        double err = Error(tx.ToArray(), GradientPenaltyKernels.InterpolateReference(real, fake, eps, rows, cols));
        Free(tr, tf, te, tx);
        return new("wgan-gp interpolate", $"{rows}x{cols}", err, 1e-6);
    }

    public CheckResult GradientPenalty(int rows, int cols, bool withZeroRow)
    {
        // Norms around 1 on both sides, as a critic near the constraint gives.
        var g = Rand(rows * cols, -2.0 / Math.Sqrt(cols), 2.0 / Math.Sqrt(cols));
        if (withZeroRow) Array.Clear(g, 0, cols);
        Tensor tg = Upload(g), tdg = Poisoned(rows * cols), norms = Poisoned(rows), stats = Poisoned(4);
        backend.GradientPenalty(tg, norms, new(rows, cols), 10f, new(tdg, 1f / rows, stats, 2));
        var (penalty, meanNorm, dg) = GradientPenaltyKernels.PenaltyReference(g, rows, cols, 10, 1.0 / rows);
        var s = stats.ToArray();
        double err = Worst(Error(tdg.ToArray(), dg), Error([s[2]], [penalty]), Error([s[3]], [meanNorm]));
        Free(tg, tdg, norms, stats);
        return new("wgan-gp penalty", $"{rows}x{cols}", err, 2e-6);
    }

    /// <summary>Both one-hot ops into a block of a wider row (plane &gt; 1: one-hot maps, H·W per class).</summary>
    public CheckResult OneHot(int rows, int classes, int stride, int column, int indexOffset, int plane = 1)
    {
        var labels = Enumerable.Range(0, rows + indexOffset).Select(i => (int)(Philox.UniformDouble(seed, RngStreams.Verification.VariantLabels, (ulong)i) * classes)).ToArray();
        var idx = Enumerable.Range(0, rows + indexOffset).Select(i => (i * 5 + 1) % (rows + indexOffset)).ToArray();
        using var tl = backend.Allocate<int>(labels.Length);
        using var ti = backend.Allocate<int>(idx.Length);
        tl.CopyFromHost(labels, 0); ti.CopyFromHost(idx, 0);
        // Columns outside the block keep their values: start from known data, not NaN.
        var before = Rand(rows * stride);
        Tensor fromLabels = Upload(before), random = Upload(before);
        backend.OneHotLabels(tl, new(ti, indexOffset), new(fromLabels, stride, column), new(rows, classes, plane));
        backend.OneHotRandom(new(random, stride, column), new(rows, classes, plane), new(11, 6, 1000));
        var wantLabels = before.ToArray();
        ConditionalKernels.OneHotReference(Enumerable.Range(0, rows).Select(r => labels[idx[indexOffset + r]]).ToArray(), wantLabels, classes, stride, column, plane);
        var wantRandom = before.ToArray();
        var randomClasses = Enumerable.Range(0, rows).Select(r => ConditionalKernels.RandomClass(11, 6, 1000 + (ulong)r, classes)).ToArray();
        ConditionalKernels.OneHotReference(randomClasses, wantRandom, classes, stride, column, plane);
        double err = Worst(Error(fromLabels.ToArray(), wantLabels.Select(v => (double)v).ToArray()),
            Error(random.ToArray(), wantRandom.Select(v => (double)v).ToArray()));
        Free(fromLabels, random);
        return new(plane == 1 ? "one-hot labels" : "one-hot maps", $"{rows}x{classes}{(plane == 1 ? "" : $"x{plane}")} in {stride}@{column}", err, 0);
    }

    public CheckResult CopyColumns(int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn)
    {
        var src = Rand(Math.Max(rows * srcStride, srcColumn + cols)); var before = Rand(rows * dstStride);
        Tensor ts = Upload(src), td = Upload(before);
        backend.CopyColumns(new(ts, srcStride, srcColumn), new(td, dstStride, dstColumn), new(rows, cols));
        var want = before.ToArray();
        ConditionalKernels.CopyColumnsReference(src, want, rows, cols, srcStride, srcColumn, dstStride, dstColumn);
        double err = Error(td.ToArray(), want.Select(v => (double)v).ToArray());
        Free(ts, td);
        return new("copy columns", $"{rows}x{cols} {srcStride}@{srcColumn}->{dstStride}@{dstColumn}", err, 0);
    }

    IEnumerable<CheckResult> VariantChecks()
    {
        foreach (var kind in Enum.GetValues<LossKind>())
            foreach (var (n, t) in new[] { (1, 1f), (64, -1f), (1000, 0.9f) })
                yield return Loss(kind, n, t);
        yield return Clamp(1001, 0.01f);
        yield return Interpolate(7, 33);
        yield return Interpolate(64, 784);
        yield return GradientPenalty(1, 5, withZeroRow: false);
        yield return GradientPenalty(9, 300, withZeroRow: true);
        yield return GradientPenalty(130, 784, withZeroRow: false);
        yield return OneHot(17, 10, 794, 784, 3);
        yield return OneHot(5, 3, 3, 0, 0);
        yield return OneHot(3, 3, 49 + 3 * 49, 49, 2, plane: 49);
        yield return OneHot(5, 10, 784 + 10 * 784, 784, 1, plane: 784);
        yield return CopyColumns(17, 784, 784, 0, 794, 0);
        yield return CopyColumns(9, 5, 13, 8, 7, 1);
        yield return CopyColumns(4, 400, 0, 0, 400, 0);   // stride 0: one row tiled (grouped BatchNorm's γ)
        yield return DeviceCounters(4, 7, 3);
        yield return DeviceCounters(33, 65, 10);
    }
}
