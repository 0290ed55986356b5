using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>One kernel compared with its float64 reference at one shape.</summary>
public sealed record CheckResult(string Kernel, string Shape, double MaxError, double Tolerance)
{
    public bool Passed => !double.IsNaN(MaxError) && MaxError <= Tolerance;
}

/// <summary>
/// Runs each backend op on random inputs and compares it with the float64 reference next to the
/// kernel. Outputs are poisoned with NaN first, so an element the kernel fails to write fails the
/// check. The same checks serve the xunit suite (on every accelerator) and `ilgpugan verify`.
/// Errors are measured as max|got − ref| / max(1, max|ref|): relative for large outputs, absolute
/// for small ones.
/// </summary>
public sealed partial class KernelChecks(IBackend backend, ulong seed = 7)
{
    ulong stream;

    float[] Rand(int n, double lo = -1, double hi = 1)
    {
        var s = (uint)(RngStreams.Verification.FirstInput + stream++);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * Philox.UniformDouble(seed, s, (ulong)i));
        return a;
    }

    Tensor Upload(float[] data)
    {
        var t = Tensor.Whole(backend.Allocate<float>(data.Length));
        t.CopyFrom(data);
        return t;
    }

    Tensor Poisoned(int n)
    {
        var t = Tensor.Whole(backend.Allocate<float>(n));
        backend.Fill(t, float.NaN);
        return t;
    }

    static double Error(ReadOnlySpan<float> got, ReadOnlySpan<double> want)
    {
        if (got.Length != want.Length) return double.NaN;
        double scale = 1, err = 0;
        for (int i = 0; i < want.Length; i++) scale = Math.Max(scale, Math.Abs(want[i]));
        for (int i = 0; i < want.Length; i++)
        {
            double e = Math.Abs(got[i] - want[i]);
            if (double.IsNaN(e)) return double.NaN;
            err = Math.Max(err, e);
        }
        return err / scale;
    }

    static double Worst(params double[] errors) => errors.Any(double.IsNaN) ? double.NaN : errors.Max();

    static void Free(params Tensor[] ts) { foreach (var t in ts) t.Buffer.Dispose(); }

    public CheckResult Gemm(int m, int n, int k, bool transA, bool transB, bool accumulate) =>
        GemmAgainstReference("gemm", m, n, k, transA, transB, accumulate,
            (ta, tb, tc) => backend.Gemm(ta, tb, tc, new(m, n, k, transA, transB, accumulate)));

    public CheckResult BiasActivation(int rows, int cols, Activation act, bool withBias)
    {
        var x = Rand(rows * cols, -4, 4); var bias = Rand(cols);
        Tensor tx = Upload(x), tb = Upload(bias), ty = Poisoned(rows * cols);
        backend.BiasActivation(tx, withBias ? tb : null, ty, new(rows, cols), new(act, 0.2f));
        var want = ActivationKernels.BiasActivationReference(x, withBias ? bias : default, cols, act, 0.2f);
        double err = Error(ty.ToArray(), want);
        Free(tx, tb, ty);
        return new($"{(withBias ? "bias+" : "")}{act.ToString().ToLowerInvariant()} forward", $"{rows}x{cols}", err, 1e-6);
    }

    public CheckResult ActivationBackward(int rows, int cols, Activation act)
    {
        // y must be a genuine activation output for the derivative-from-output identity to hold.
        var x = Rand(rows * cols, -4, 4);
        var y = ActivationKernels.BiasActivationReference(x, default, cols, act, 0.2f).Select(v => (float)v).ToArray();
        var dy = Rand(rows * cols);
        Tensor ty = Upload(y), tdy = Upload(dy), tdx = Poisoned(rows * cols);
        backend.ActivationBackward(ty, tdy, tdx, new(act, 0.2f));
        var want = ActivationKernels.ActivationBackwardReference(y, dy, act, 0.2f);
        double err = Error(tdx.ToArray(), want);
        Free(ty, tdy, tdx);
        return new($"{act.ToString().ToLowerInvariant()} backward", $"{rows}x{cols}", err, 1e-6);
    }

    public CheckResult BiasGrad(int rows, int cols, bool accumulate)
    {
        var dy = Rand(rows * cols); var db0 = Rand(cols);
        Tensor tdy = Upload(dy), tdb = accumulate ? Upload(db0) : Poisoned(cols);
        backend.BiasGrad(tdy, tdb, new(rows, cols), accumulate);
        var want = ActivationKernels.BiasGradReference(dy, rows, cols);
        if (accumulate) for (int i = 0; i < cols; i++) want[i] += db0[i];
        double err = Error(tdb.ToArray(), want);
        Free(tdy, tdb);
        return new("bias grad" + (accumulate ? " +=" : ""), $"{rows}x{cols}", err, 1e-6 * Math.Sqrt(rows) + 1e-6);
    }

    public CheckResult BatchNormTrain(int rows, int cols)
    {
        var x = Rand(rows * cols, -2, 3); var g = Rand(cols, 0.5, 1.5); var b = Rand(cols);
        var rm = Rand(cols); var rv = Rand(cols, 0.5, 2);
        Tensor tx = Upload(x), tg = Upload(g), tb = Upload(b), trm = Upload(rm), trv = Upload(rv);
        Tensor ty = Poisoned(rows * cols), tmean = Poisoned(cols), tinv = Poisoned(cols);
        backend.BatchNormTrain(tx, ty, new(tg, tb, trm, trv, 0.1f, 1e-5f), new(tmean, tinv), new(rows, cols));
        var r = BatchNormKernels.ForwardTrainReference(x, g, b, rm, rv, rows, cols, 0.1, 1e-5);
        double err = Worst(Error(ty.ToArray(), r.Y), Error(tmean.ToArray(), r.Mean), Error(tinv.ToArray(), r.InvStd),
            Error(trm.ToArray(), r.RunningMean), Error(trv.ToArray(), r.RunningVar));
        Free(tx, tg, tb, trm, trv, ty, tmean, tinv);
        return new("batchnorm forward (train)", $"{rows}x{cols}", err, 2e-5);
    }

    public CheckResult BatchNormEval(int rows, int cols)
    {
        var x = Rand(rows * cols, -2, 3); var g = Rand(cols, 0.5, 1.5); var b = Rand(cols);
        var rm = Rand(cols); var rv = Rand(cols, 0.5, 2);
        Tensor tx = Upload(x), tg = Upload(g), tb = Upload(b), trm = Upload(rm), trv = Upload(rv), ty = Poisoned(rows * cols);
        backend.BatchNormEval(tx, ty, new(tg, tb, trm, trv, 0.1f, 1e-5f), new(rows, cols));
        double err = Error(ty.ToArray(), BatchNormKernels.ForwardEvalReference(x, g, b, rm, rv, cols, 1e-5));
        Free(tx, tg, tb, trm, trv, ty);
        return new("batchnorm forward (eval)", $"{rows}x{cols}", err, 1e-5);
    }

    public CheckResult BatchNormBackward(int rows, int cols, bool accumulate)
    {
        var x = Rand(rows * cols, -2, 3); var g = Rand(cols, 0.5, 1.5); var dy = Rand(rows * cols);
        var dg0 = Rand(cols); var db0 = Rand(cols);
        var r = BatchNormKernels.ForwardTrainReference(x, g, new float[cols], new float[cols], new float[cols], rows, cols, 0.1, 1e-5);
        Tensor tx = Upload(x), tg = Upload(g), tdy = Upload(dy);
        Tensor tmean = Upload(r.Mean.Select(v => (float)v).ToArray()), tinv = Upload(r.InvStd.Select(v => (float)v).ToArray());
        Tensor tdx = Poisoned(rows * cols), tdg = accumulate ? Upload(dg0) : Poisoned(cols), tdb = accumulate ? Upload(db0) : Poisoned(cols);
        backend.BatchNormBackward(tx, tdy, new(tg, default, default, default, 0.1f, 1e-5f), new(tmean, tinv), new(tdx, tdg, tdb, accumulate), new(rows, cols));
        var (dx, dgw, dbw) = BatchNormKernels.BackwardReference(x, dy, g, rows, cols, 1e-5);
        if (accumulate) for (int i = 0; i < cols; i++) { dgw[i] += dg0[i]; dbw[i] += db0[i]; }
        double err = Worst(Error(tdx.ToArray(), dx), Error(tdg.ToArray(), dgw), Error(tdb.ToArray(), dbw));
        Free(tx, tg, tdy, tmean, tinv, tdx, tdg, tdb);
        return new("batchnorm backward" + (accumulate ? " +=" : ""), $"{rows}x{cols}", err, 5e-5);
    }

    public CheckResult Loss(LossKind kind, int n, float target)
    {
        var x = Rand(n, -8, 8);
        Tensor tx = Upload(x), tg = Poisoned(n), stats = Poisoned(4);
        backend.AdversarialLoss(tx, kind, target, new(tg, 1f / n, stats, 1));
        var (loss, output, grad) = LossKernels.AdversarialReference(kind, x, target, 1.0 / n);
        var s = stats.ToArray();
        double err = Worst(Error(tg.ToArray(), grad), Error([s[1]], [loss]), Error([s[2]], [output]));
        Free(tx, tg, stats);
        return new($"loss {kind} (t={target})", $"{n}", err, 1e-6);
    }

    public CheckResult SoftmaxCrossEntropy(int rows, int classes, int indexOffset)
    {
        var x = Rand(rows * classes, -6, 6);
        var labels = Enumerable.Range(0, rows + indexOffset).Select(i => (int)(Philox.UniformDouble(seed, RngStreams.Verification.Labels, (ulong)i) * classes)).ToArray();
        var idx = Enumerable.Range(0, rows + indexOffset).Select(i => (i * 7 + 3) % (rows + indexOffset)).ToArray();
        using var tl = backend.Allocate<int>(labels.Length);
        using var ti = backend.Allocate<int>(idx.Length);
        tl.CopyFromHost(labels, 0); ti.CopyFromHost(idx, 0);
        Tensor tx = Upload(x), tg = Poisoned(rows * classes), stats = Poisoned(4), tp = Poisoned(rows * classes);
        backend.SoftmaxCrossEntropy(tx, tl, new(ti, indexOffset), new(rows, classes), new(tg, 1f / rows, stats, 2));
        backend.Softmax(tx, tp, new(rows, classes));
        var (loss, acc, grad) = SoftmaxKernels.CrossEntropyReference(x, labels, idx, indexOffset, rows, classes, 1.0 / rows);
        var st = stats.ToArray();
        double err = Worst(Error(tg.ToArray(), grad), Error([st[2]], [loss]), Error([st[3]], [acc]),
            Error(tp.ToArray(), SoftmaxKernels.SoftmaxReference(x, rows, classes)));
        Free(tx, tg, stats, tp);
        return new("softmax cross-entropy", $"{rows}x{classes}", err, 2e-6);
    }

    /// <summary>
    /// Adam over several steps, its per-step scalars read from the device's table and counter. With
    /// small betas the table is a few rows long, so more steps than rows check the clamp to its
    /// last row against the reference's exact bias corrections.
    /// </summary>
    public CheckResult Adam(int n, int steps, double beta1 = 0.5, double beta2 = 0.999)
    {
        const double lr = 2e-4, eps = 1e-8;
        var p = Rand(n); var m = new double[n]; var v = new double[n];
        var pRef = p.Select(f => (double)f).ToArray();
        Tensor tp = Upload(p), tgr = Upload(new float[n]), tm = Upload(new float[n]), tv = Upload(new float[n]);
        using var schedule = new AdamSchedule(backend, lr, beta1, beta2);
        for (int s = 1; s <= steps; s++)
        {
            var g = Rand(n, -1e-2, 1e-2);
            tgr.CopyFrom(g);
            backend.Adam(tp, tgr, tm, tv, AdamScalars.For(beta1, beta2, eps, 0), schedule.Schedule);
            AdamKernels.StepReference(pRef, g, m, v, lr, beta1, beta2, eps, 0, s);
        }
        double err = Worst(Error(tp.ToArray(), pRef), Error(tm.ToArray(), m), Error(tv.ToArray(), v) * 1e4);
        Free(tp, tgr, tm, tv);
        return new($"adam ({steps} steps, betas {beta1}, {beta2})", $"{n}", err, 1e-6);
    }

    /// <summary>
    /// Error of a small-valued output relative to its own magnitude: <see cref="Error"/> is absolute
    /// below 1, which would let a wrong optimizer state of size 1e-6 pass.
    /// </summary>
    static double RelativeToPeak(ReadOnlySpan<float> got, ReadOnlySpan<double> want)
    {
        double peak = 0;
        foreach (var w in want) peak = Math.Max(peak, Math.Abs(w));
        return Error(got, want) / Math.Clamp(peak, 1e-30, 1);
    }

    public CheckResult RmsProp(int n, int steps, double weightDecay)
    {
        const double lr = 1e-2, alpha = 0.99, eps = 1e-8;
        var p = Rand(n); var avg = new double[n];
        var pRef = p.Select(f => (double)f).ToArray();
        Tensor tp = Upload(p), tgr = Upload(new float[n]), tavg = Upload(new float[n]);
        for (int s = 1; s <= steps; s++)
        {
            // |g| in [0.1, 1], larger than wd·|p|: near g + wd·p = 0, where √square_avg is down at
            // eps, the update g/(√v + eps) turns over with slope 1/eps, and float32 rounding of the
            // decayed gradient alone would move it by 1e-4 in any implementation, torch's included.
            var g = Rand(n).Select(u => u >= 0 ? 0.1f + 0.9f * u : -0.1f + 0.9f * u).ToArray();
            tgr.CopyFrom(g);
            backend.RmsProp(tp, tgr, tavg, RmsPropScalars.For(lr, alpha, eps, weightDecay));
            RmsPropKernels.StepReference(pRef, g, avg, lr, alpha, eps, weightDecay);
        }
        double err = Worst(Error(tp.ToArray(), pRef), RelativeToPeak(tavg.ToArray(), avg));
        Free(tp, tgr, tavg);
        return new($"rmsprop ({steps} steps{(weightDecay != 0 ? $", wd {weightDecay}" : "")})", $"{n}", err, 1e-6);
    }

    /// <summary>
    /// With momentum 0 the buffer starts as NaN and must come back as NaN: plain SGD neither reads
    /// it (a read would poison the parameters) nor writes it.
    /// </summary>
    public CheckResult Sgd(int n, int steps, double momentum, double weightDecay)
    {
        const double lr = 0.1;
        var p = Rand(n); var buf = new double[n];
        var pRef = p.Select(f => (double)f).ToArray();
        Tensor tp = Upload(p), tgr = Upload(new float[n]), tbuf = momentum != 0 ? Upload(new float[n]) : Poisoned(n);
        for (int s = 1; s <= steps; s++)
        {
            var g = Rand(n);
            tgr.CopyFrom(g);
            backend.Sgd(tp, tgr, tbuf, SgdScalars.For(lr, momentum, weightDecay));
            SgdKernels.StepReference(pRef, g, buf, lr, momentum, weightDecay, s);
        }
        double bufErr = momentum != 0 ? Error(tbuf.ToArray(), buf) : tbuf.ToArray().All(float.IsNaN) ? 0 : double.PositiveInfinity;
        double err = Worst(Error(tp.ToArray(), pRef), bufErr);
        Free(tp, tgr, tbuf);
        return new($"sgd ({steps} steps, momentum {momentum}{(weightDecay != 0 ? $", wd {weightDecay}" : "")})", $"{n}", err, 1e-6);
    }

    public CheckResult Random(int n, ulong offset, bool normalDist)
    {
        // The whole range in one launch, then its second half alone: counter-based values must not
        // depend on launch shape or on where a launch starts.
        const ulong seed = 42;
        const uint stream = RngStreams.Verification.RandomOps;
        Tensor all = Poisoned(n), half = Poisoned(n - n / 2);
        if (normalDist) { backend.RandomNormal(all, new(seed, stream, offset)); backend.RandomNormal(half, new(seed, stream, offset + (ulong)(n / 2))); }
        else { backend.RandomUniform(all, new(seed, stream, offset)); backend.RandomUniform(half, new(seed, stream, offset + (ulong)(n / 2))); }
        var want = new double[n];
        for (int i = 0; i < n; i++)
            want[i] = normalDist ? RandomKernels.NormalReference(seed, stream, offset + (ulong)i) : RandomKernels.UniformReference(seed, stream, offset + (ulong)i);
        var got = all.ToArray();
        double err = Worst(Error(got, want), Error(half.ToArray(), want.AsSpan(n / 2).ToArray()));
        Free(all, half);
        return new(normalDist ? "rng normal" : "rng uniform", $"{n}@{offset}", err, normalDist ? 2e-5 : 1e-7);
    }

    public CheckResult Gather(int datasetRows, int rows, int cols, int indexOffset)
    {
        var data = new byte[datasetRows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(Philox.UniformDouble(seed, RngStreams.Verification.GatherBytes, (ulong)i) * 256);
        var idx = new int[indexOffset + rows];
        for (int i = 0; i < idx.Length; i++) idx[i] = (int)(Philox.UniformDouble(seed, RngStreams.Verification.GatherIndices, (ulong)i) * datasetRows);
        using var td = backend.Allocate<byte>(data.Length);
        using var ti = backend.Allocate<int>(idx.Length);
        td.CopyFromHost(data, 0); ti.CopyFromHost(idx, 0);
        var dst = Poisoned(rows * cols);
        backend.GatherRows(td, new(ti, indexOffset), new(rows, cols), dst);
        double err = Error(dst.ToArray(), DataKernels.GatherRowsReference(data, idx, indexOffset, rows, cols));
        Free(dst);
        return new("gather rows", $"{rows}x{cols}", err, 1e-6);
    }

    /// <summary>The battery `ilgpugan verify` runs: every op at tile-edge and model shapes.</summary>
    public IEnumerable<CheckResult> All(bool large)
    {
        var gemmShapes = new List<(int, int, int)> { (1, 1, 1), (7, 5, 3), (63, 65, 17), (65, 63, 129), (16, 784, 64) };
        if (large) gemmShapes.AddRange([(64, 512, 784), (129, 257, 300), (256, 784, 512)]);
        foreach (var (m, n, k) in gemmShapes)
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
                yield return Gemm(m, n, k, ta, tb, accumulate: false);
        yield return Gemm(33, 47, 29, true, false, accumulate: true);
        yield return Gemm(33, 47, 29, false, true, accumulate: true);
        foreach (var check in GemmPlanChecks(large)) yield return check;
        foreach (var check in LinearForwardChecks(large)) yield return check;
        foreach (var check in LinearInputGradChecks(large)) yield return check;
        foreach (var check in ConvChecks(large)) yield return check;
        foreach (var check in MaxoutChecks(large)) yield return check;
        foreach (var check in GroupedBatchNormChecks()) yield return check;
        foreach (var act in Enum.GetValues<Activation>())
        {
            yield return BiasActivation(7, 65, act, withBias: true);
            yield return BiasActivation(3, 17, act, withBias: false);
            yield return ActivationBackward(7, 65, act);
        }
        foreach (var (r, c) in new[] { (1, 7), (63, 129), (16, 256) })
        {
            yield return BiasGrad(r, c, accumulate: false);
            yield return BatchNormEval(r, c);
        }
        yield return BiasGrad(9, 33, accumulate: true);
        foreach (var (r, c) in new[] { (2, 7), (63, 129), (64, 256) })
        {
            yield return BatchNormTrain(r, c);
            yield return BatchNormBackward(r, c, accumulate: false);
        }
        yield return BatchNormBackward(9, 33, accumulate: true);
        foreach (var n in new[] { 1, 7, 64, 1000 })
        {
            yield return Loss(LossKind.BceWithLogits, n, 1f);
            yield return Loss(LossKind.BceWithLogits, n, 0.1f);
        }
        yield return SoftmaxCrossEntropy(1, 10, 0);
        yield return SoftmaxCrossEntropy(300, 10, 7);
        yield return Adam(1000, 3);
        yield return Adam(65537, 2);
        yield return Adam(257, 30, beta1: 0.1, beta2: 0.2);
        yield return RmsProp(1000, 3, 0);
        yield return RmsProp(65537, 2, 1e-2);
        yield return Sgd(1000, 3, 0.9, 0);
        yield return Sgd(65537, 2, 0.9, 1e-2);
        yield return Sgd(1000, 2, 0, 1e-2);
        yield return Random(1001, 0, normalDist: true);
        yield return Random(1001, 1UL << 33, normalDist: true);
        yield return Random(777, 5, normalDist: false);
        yield return Gather(100, 17, 784, 5);
        foreach (var check in VariantChecks()) yield return check;
        foreach (var check in FiniteChecks()) yield return check;
    }
}
