using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// BatchNorm1d with groups (G's BatchNorm per pack slot), which has no kernel of its own: the layer
/// composes the backend's BatchNorm, copy, GEMM and column-sum ops, so the check runs the layer
/// itself (training forward, backward, then an eval forward on the running statistics it moved)
/// against BatchNormKernels' grouped float64 references.
/// </summary>
public sealed partial class KernelChecks
{
    public CheckResult GroupedBatchNormLayer(int rows, int features, int groups, bool accumulate)
    {
        const float momentum = 0.05f, eps = 1e-4f;
        var x = Rand(rows * features, -2, 3); var dy = Rand(rows * features);
        var g = Rand(features, 0.5, 1.5); var b = Rand(features);
        var rm = Rand(features); var rv = Rand(features, 0.5, 2);
        var dg0 = Rand(features); var db0 = Rand(features);
        using var model = new Sequential(backend, [new BatchNorm1dSpec(features, eps, momentum, groups)], features, rows, 1);
        var layer = (BatchNorm1d)model.Layers[0];
        layer.Weight.Value.CopyFrom(g);
        layer.Bias.Value.CopyFrom(b);
        layer.RunningMean.Value.CopyFrom(rm);
        layer.RunningVar.Value.CopyFrom(rv);
        if (accumulate) { layer.Weight.Grad.CopyFrom(dg0); layer.Bias.Grad.CopyFrom(db0); }
        Tensor tx = Upload(x), tdy = Upload(dy);
        var y = model.Forward(tx, rows, training: true).ToArray();
        var dx = model.Backward(tdy, paramGrads: true, accumulate, inputGrad: true)!.Value.ToArray();
        var (dg, db, movedMean, movedVar) = (layer.Weight.Grad.ToArray(), layer.Bias.Grad.ToArray(), layer.RunningMean.Value.ToArray(), layer.RunningVar.Value.ToArray());
        var yEval = model.Forward(tx, rows, training: false).ToArray();
        Free(tx, tdy);

        var want = BatchNormKernels.GroupedForwardTrainReference(x, g, b, rm, rv, rows, features, groups, momentum, eps);
        var (wantDx, wantDg, wantDb) = BatchNormKernels.GroupedBackwardReference(x, dy, g, rows, features, groups, eps);
        if (accumulate) for (int i = 0; i < features; i++) { wantDg[i] += dg0[i]; wantDb[i] += db0[i]; }
        var wantEval = BatchNormKernels.ForwardEvalReference(x, g, b, movedMean, movedVar, features, eps);
        double err = Worst(Error(y, want.Y), Error(movedMean, want.RunningMean), Error(movedVar, want.RunningVar),
            Error(dx, wantDx), Error(dg, wantDg), Error(db, wantDb), Error(yEval, wantEval));
        return new("batchnorm1d per group" + (accumulate ? " +=" : ""), $"{rows}x{features}/{groups}", err, 5e-5 * Math.Sqrt(rows / groups));
    }

    IEnumerable<CheckResult> GroupedBatchNormChecks()
    {
        foreach (var (rows, features, groups, acc) in new[] { (4, 3, 2, false), (12, 5, 3, true), (200, 7, 2, false), (400, 33, 4, true) })
            yield return GroupedBatchNormLayer(rows, features, groups, acc);
    }
}
