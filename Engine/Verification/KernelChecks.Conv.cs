using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// Checks of the convolution and BatchNorm2d ops through the backend API (the ops a layer calls,
/// plans and workspaces included) against the float64 references in Kernels/ConvReference.cs and
/// Kernels/BatchNorm2d.cs.
/// </summary>
public sealed partial class KernelChecks
{
    /// <summary>
    /// Every op of one Conv2d or ConvTranspose2d geometry: forward (with a bias), input gradient,
    /// weight gradient (accumulating), the two-gradient backward, and the bias gradient; the worst
    /// error of them. Sums run over up to ColumnRows (or batch·positions) terms in float32, so the
    /// tolerance is 2e-5 of the output's scale (errors measured: below 4e-7 at these shapes).
    /// </summary>
    public CheckResult Conv(Conv2dGeometry g)
    {
        g = g.Validated();
        var a = g.Args;
        backend.PrepareConv(g);
        var x = Rand(g.InputLength); var w = Rand(g.WeightLength, -0.5, 0.5); var bias = Rand(g.COut);
        var dy = Rand(g.OutputLength); var dwIn = Rand(g.WeightLength);
        Tensor tx = Upload(x), tw = Upload(w), tb = Upload(bias), tdy = Upload(dy);
        Tensor ty = Poisoned(g.OutputLength), tdx = Poisoned(g.InputLength), tdw = Upload(dwIn);
        Tensor tdx2 = Poisoned(g.InputLength), tdw2 = Poisoned(g.WeightLength), tdb = Poisoned(g.COut);

        bool t = g.Transposed;
        backend.ConvForward(tx, tw, tb, ty, g);
        backend.ConvInputGrad(tdy, tw, tdx, g);
        backend.ConvWeightGrad(tx, tdy, tdw, g, accumulate: true);
        // The backward's promise (InputUnchanged): x is what the plan's last forward saw.
        var ty2 = Poisoned(g.OutputLength);
        backend.ConvForward(tx, tw, null, ty2, g);
        backend.ConvBackward(tx, tdy, tw, new ConvGrads(tdx2, tdw2, Accumulate: false, InputUnchanged: true), g);
        backend.ConvBiasGrad(tdy, tdb, g, accumulate: false);

        var wantY = t ? ConvReference.ConvTranspose2dForward(x, w, bias, a) : ConvReference.Conv2dForward(x, w, bias, a);
        var wantDx = t ? ConvReference.ConvTranspose2dInputGrad(dy, w, a) : ConvReference.Conv2dInputGrad(dy, w, a);
        var wantDw = t ? ConvReference.ConvTranspose2dWeightGrad(x, dy, a) : ConvReference.Conv2dWeightGrad(x, dy, a);
        var wantDb = t ? ConvReference.ConvTranspose2dBiasGrad(dy, a) : ConvReference.Conv2dBiasGrad(dy, a);
        var wantDwAcc = wantDw.Select((v, i) => v + dwIn[i]).ToArray();
        double err = Worst(Error(ty.ToArray(), wantY), Error(tdx.ToArray(), wantDx), Error(tdw.ToArray(), wantDwAcc),
            Error(tdx2.ToArray(), wantDx), Error(tdw2.ToArray(), wantDw), Error(tdb.ToArray(), wantDb));
        Free(tx, tw, tb, tdy, ty, ty2, tdx, tdw, tdx2, tdw2, tdb);
        return new($"{(t ? "conv-transpose2d" : "conv2d")} ops", g.ToString(), err, 2e-5);
    }

    /// <summary>
    /// BatchNorm2d's training forward (output, saved and running statistics), eval forward and
    /// backward (dγ, dβ accumulating), with a fused activation when act is not Identity: the
    /// reference is BN then act, and act' (of the reference pre-activation) on dy before BN's backward.
    /// </summary>
    public CheckResult BatchNorm2d(int n, int channels, int plane, Act act = default)
    {
        const float momentum = 0.1f, eps = 1e-5f;
        int len = n * channels * plane;
        var x = Rand(len, -2, 3); var gamma = Rand(channels, 0.5, 1.5); var beta = Rand(channels);
        var rm = Rand(channels); var rv = Rand(channels, 0.5, 2); var dy = Rand(len);
        var dgIn = Rand(channels); var dbIn = Rand(channels);
        Tensor tx = Upload(x), tg = Upload(gamma), tb = Upload(beta), trm = Upload(rm), trv = Upload(rv), tdy = Upload(dy);
        Tensor ty = Poisoned(len), tmean = Poisoned(channels), tinv = Poisoned(channels), tye = Poisoned(len);
        Tensor tdx = Poisoned(len), tdg = Upload(dgIn), tdb = Upload(dbIn);
        var state = new BatchNormState(tg, tb, trm, trv, momentum, eps);
        var shape = new BatchNorm2dShape(n, channels, plane, act);

        backend.BatchNorm2dEval(tx, tye, state, shape);   // before the training forward moves the running statistics
        backend.BatchNorm2dTrain(tx, ty, state, new(tmean, tinv), shape);
        backend.BatchNorm2dBackward(tx, tdy, state, new(tmean, tinv, ty), new(tdx, tdg, tdb, Accumulate: true), shape);

        var want = BatchNorm2dKernels.ForwardTrainReference(x, gamma, beta, rm, rv, n, channels, plane, momentum, eps);
        var wantEval = BatchNorm2dKernels.ForwardEvalReference(x, gamma, beta, rm, rv, channels, plane, eps)
            .Select(v => ActivationKernels.ApplyReference(act.Kind, v, act.Alpha)).ToArray();
        var dyPre = dy.Select((g, i) => (float)(g * ActivationKernels.DerivativeReference(act.Kind, want.Y[i], act.Alpha))).ToArray();
        var (wdx, wdg, wdb) = BatchNorm2dKernels.BackwardReference(x, dyPre, gamma, n, channels, plane, eps);
        double err = Worst(Error(ty.ToArray(), want.Y.Select(v => ActivationKernels.ApplyReference(act.Kind, v, act.Alpha)).ToArray()), Error(tmean.ToArray(), want.Mean), Error(tinv.ToArray(), want.InvStd),
            Error(trm.ToArray(), want.RunningMean), Error(trv.ToArray(), want.RunningVar), Error(tye.ToArray(), wantEval),
            Error(tdx.ToArray(), wdx), Error(tdg.ToArray(), wdg.Select((v, i) => v + dgIn[i]).ToArray()),
            Error(tdb.ToArray(), wdb.Select((v, i) => v + dbIn[i]).ToArray()));
        Free(tx, tg, tb, trm, trv, tdy, ty, tmean, tinv, tye, tdx, tdg, tdb);
        return new(act.IsIdentity ? "batchnorm2d ops" : $"batchnorm2d+{act.Kind.ToString().ToLowerInvariant()} ops", $"{n}x{channels}x{plane}", err, 2e-5);
    }

    /// <summary>Geometries that break tiling: odd sizes, kernels 1/3/4/5/7, strides 1/2, paddings 0/1/2, dilation 2, batch 1; and the 28×28 DCGAN's layers.</summary>
    public static IEnumerable<Conv2dGeometry> ConvGeometries(bool large)
    {
        yield return Conv2dGeometry.Conv(2, 3, 9, 7, 5, k: 3, stride: 1, pad: 1);
        yield return Conv2dGeometry.Conv(1, 5, 11, 10, 3, k: 4, stride: 2, pad: 1);
        yield return Conv2dGeometry.Conv(3, 2, 8, 9, 4, k: 5, stride: 2, pad: 2);
        yield return Conv2dGeometry.Conv(2, 3, 9, 9, 2, k: 3, stride: 1, pad: 2, dilation: 2);
        yield return Conv2dGeometry.Conv(2, 4, 6, 5, 3, k: 1);
        yield return Conv2dGeometry.Conv(2, 3, 7, 7, 1, k: 7);                                     // dense: D's last layer
        yield return Conv2dGeometry.ConvTranspose(2, 5, 1, 1, 4, k: 7);                            // dense: G's first layer
        yield return Conv2dGeometry.ConvTranspose(2, 3, 5, 4, 2, k: 4, stride: 2, pad: 1);
        yield return Conv2dGeometry.ConvTranspose(1, 3, 5, 5, 3, k: 3, stride: 2, pad: 1, outputPad: 1);
        yield return Conv2dGeometry.ConvTranspose(2, 2, 4, 3, 3, k: 3, stride: 1, pad: 2, dilation: 2);
        if (!large) yield break;
        yield return Conv2dGeometry.Conv(8, 1, 28, 28, 64, k: 4, stride: 2, pad: 1);
        yield return Conv2dGeometry.Conv(8, 64, 14, 14, 128, k: 4, stride: 2, pad: 1);
        yield return Conv2dGeometry.ConvTranspose(8, 128, 7, 7, 64, k: 4, stride: 2, pad: 1);
        yield return Conv2dGeometry.ConvTranspose(8, 64, 14, 14, 1, k: 4, stride: 2, pad: 1);
    }

    public IEnumerable<CheckResult> ConvChecks(bool large)
    {
        foreach (var g in ConvGeometries(large)) yield return Conv(g);
        yield return BatchNorm2d(2, 3, 7);
        yield return BatchNorm2d(1, 5, 33);
        yield return BatchNorm2d(4, 3, 1);
        yield return BatchNorm2d(2, 3, 7, new(Activation.ReLU));
        yield return BatchNorm2d(1, 5, 33, new(Activation.LeakyReLU, 0.2f));
        if (large) yield return BatchNorm2d(8, 128, 49);
    }
}
