using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// The managed CPU backend: the same ops as the ILGPU kernels, as vectorised loops over host
/// arrays (TensorPrimitives where an op exists there, Vector&lt;float&gt; loops where it fuses
/// several), with a cache-blocked SIMD GEMM, split across cores when the work is large enough to
/// pay for it. Every call completes before it returns, so Synchronize has nothing to wait for.
/// </summary>
public sealed unsafe partial class CpuBackend : BackendBase
{
    readonly int threads;
    float[] colScratch = new float[1024];

    public CpuBackend(int? threads = null)
    {
        this.threads = Math.Max(1, threads ?? Environment.ProcessorCount);
        string simd = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : Vector128.IsHardwareAccelerated ? "128-bit SIMD" : "scalar";
        Description = $"managed CPU backend ({this.threads} threads, {simd})";
    }

    public override string Kind => "cpu";
    public override string Description { get; }
    public int Threads => threads;

    public override DeviceBuffer<T> Allocate<T>(long length) => new CpuBuffer<T>(length);

    static CpuBuffer<float> B(Tensor t) => (CpuBuffer<float>)t.Buffer;
    static Span<float> S(Tensor t) => B(t).Slice(t.Offset, t.Length);
    static float* P(Tensor t) => B(t).Pointer + t.Offset;

    /// <summary>Runs body over [0, count) in contiguous chunks, one per thread when the work is large.</summary>
    void Chunks(int count, long work, Action<int, int> body) => CpuParallel.For(count, work, threads, body);

    /// <summary>A per-column scratch row (BatchNorm statistics); grows only when wider layers first appear.</summary>
    Span<float> Columns(int cols, int copies)
    {
        if (colScratch.Length < cols * copies) colScratch = new float[cols * copies];
        return colScratch.AsSpan(0, cols * copies);
    }

    protected override void GemmCore(Tensor a, Tensor b, Tensor c, GemmProblem p) =>
        CpuGemm.Gemm(P(a), P(b), P(c), p.M, p.N, p.K, p.TransA, p.TransB, p.Accumulate, threads);

    /// <summary>
    /// The GEMM, then bias and activation in place over y: the ops are synchronous here, so
    /// fusing would save only the second pass over y, which is small next to the GEMM.
    /// </summary>
    protected override void LinearForwardCore(Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act)
    {
        GemmCore(x, weight, y, s.Forward);
        // Without a bias or an activation (a Linear before BatchNorm) the epilogue has nothing to do.
        if (bias is not null || !act.IsIdentity) BiasActivationCore(y, bias, y, new(s.Rows, s.Out), act);
    }

    /// <summary>The dX GEMM, then the activation backward in place over dx (as <see cref="LinearForward"/>, no fused pass here).</summary>
    protected override void LinearInputGradCore(Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act)
    {
        GemmCore(dy, weight, dx, s.InputGrad);
        int n = s.Rows * s.In;
        if (maskOutput is { } mask && !act.IsIdentity)
            ActivationBackwardCore(mask.Slice(0, n), dx.Slice(0, n), dx.Slice(0, n), act);
    }

    protected override void BiasActivationCore(Tensor x, Tensor? bias, Tensor y, RowsCols s, Act a)
    {
        var (rows, cols) = s;
        var (act, alpha) = a;
        var xb = B(x); var yb = B(y);
        long xo = x.Offset, yo = y.Offset;
        CpuBuffer<float>? bb = bias is { } bt ? B(bt) : null;
        long bo = bias?.Offset ?? 0;
        Chunks(rows, (long)rows * cols, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xr = xb.Slice(xo + (long)r * cols, cols);
                var yr = yb.Slice(yo + (long)r * cols, cols);
                if (bb is not null) TensorPrimitives.Add(xr, bb.Slice(bo, cols), yr);
                else xr.CopyTo(yr);
                Activate(yr, act, alpha);
            }
        });
    }

    static void Activate(Span<float> v, Activation act, float alpha)
    {
        switch (act)
        {
            case Activation.ReLU: TensorPrimitives.Max(v, 0f, v); break;
            case Activation.LeakyReLU: LeakyReLU(v, alpha); break;
            case Activation.Tanh: TensorPrimitives.Tanh(v, v); break;
            case Activation.Sigmoid: TensorPrimitives.Sigmoid(v, v); break;
        }
    }

    static void LeakyReLU(Span<float> v, float alpha)
    {
        int i = 0;
        var a = new Vector<float>(alpha);
        for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var x = new Vector<float>(v[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, x * a).CopyTo(v[i..]);
        }
        for (; i < v.Length; i++) v[i] = v[i] > 0f ? v[i] : alpha * v[i];
    }

    protected override void ActivationBackwardCore(Tensor y, Tensor dy, Tensor dx, Act activation)
    {
        var (act, alpha) = activation;
        var yb = B(y); var dyb = B(dy); var dxb = B(dx);
        long yo = y.Offset, dyo = dy.Offset, dxo = dx.Offset;
        int n = y.Length;
        Chunks(n, n, (s, e) =>
        {
            var ys = yb.Slice(yo + s, e - s); var g = dyb.Slice(dyo + s, e - s); var d = dxb.Slice(dxo + s, e - s);
            int i = 0, w = Vector<float>.Count;
            var one = Vector<float>.One; var a = new Vector<float>(alpha);
            for (; i <= ys.Length - w; i += w)
            {
                var yv = new Vector<float>(ys[i..]); var gv = new Vector<float>(g[i..]);
                var der = act switch
                {
                    Activation.ReLU => Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), one, Vector<float>.Zero),
                    Activation.LeakyReLU => Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), one, a),
                    Activation.Tanh => one - yv * yv,
                    Activation.Sigmoid => yv * (one - yv),
                    _ => one,
                };
                (gv * der).CopyTo(d[i..]);
            }
            for (; i < ys.Length; i++) d[i] = g[i] * ActivationKernels.DerivativeFromOutput((int)act, ys[i], alpha);
        });
    }

    protected override void BiasGradCore(Tensor dy, Tensor db, RowsCols s, bool accumulate)
    {
        var (rows, cols) = s;
        var d = S(db);
        if (!accumulate) d.Clear();
        var g = S(dy);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(d, g.Slice(r * cols, cols), d);
    }

    protected override void BatchNormTrainCore(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNormShape s)
    {
        var (gamma, beta, runningMean, runningVar, momentum, eps) = p;
        var (saveMean, saveInvStd, _) = saved;
        var (rows, cols) = s;
        var xs = S(x); var mean = S(saveMean); var inv = S(saveInvStd);
        var scratch = Columns(cols, 2);
        Span<float> sq = scratch[..cols], d = scratch.Slice(cols, cols);
        mean.Clear();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(mean, xs.Slice(r * cols, cols), mean);
        TensorPrimitives.Divide(mean, rows, mean);
        sq.Clear();
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Subtract(xs.Slice(r * cols, cols), mean, d);
            TensorPrimitives.FusedMultiplyAdd(d, d, sq, sq);
        }
        var rm = S(runningMean); var rv = S(runningVar); var g = S(gamma);
        for (int c = 0; c < cols; c++)
        {
            float var = sq[c] / rows;
            inv[c] = 1f / MathF.Sqrt(var + eps);
            rm[c] = (1f - momentum) * rm[c] + momentum * mean[c];
            rv[c] = (1f - momentum) * rv[c] + momentum * (rows > 1 ? sq[c] / (rows - 1) : var);
            sq[c] = g[c] * inv[c];   // reuse as the per-column scale
        }
        Normalize(xs, S(y), mean, sq, S(beta), rows, cols);
    }

    protected override void BatchNormEvalCore(Tensor x, Tensor y, BatchNormState p, BatchNormShape s)
    {
        var (gamma, beta, runningMean, runningVar, _, eps) = p;
        var (rows, cols) = s;
        var scale = Columns(cols, 1);
        var g = S(gamma); var rv = S(runningVar);
        for (int c = 0; c < cols; c++) scale[c] = g[c] / MathF.Sqrt(rv[c] + eps);
        Normalize(S(x), S(y), S(runningMean), scale, S(beta), rows, cols);
    }

    /// <summary>y = (x − shift)·scale + beta, row by row.</summary>
    static void Normalize(Span<float> x, Span<float> y, Span<float> shift, Span<float> scale, Span<float> beta, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * cols, cols);
            TensorPrimitives.Subtract(x.Slice(r * cols, cols), shift, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, scale, beta, yr);
        }
    }

    protected override void BatchNormBackwardCore(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNormShape s)
    {
        var gamma = p.Gamma;
        var (saveMean, saveInvStd, _) = saved;
        var (dx, dgamma, dbeta, accumulate) = grads;
        var (rows, cols) = s;
        var xs = S(x); var g = S(dy); var mean = S(saveMean); var inv = S(saveInvStd); var gam = S(gamma);
        var scratch = Columns(cols, 4);
        Span<float> sumDy = scratch[..cols], sumDyXhat = scratch.Slice(cols, cols), xhat = scratch.Slice(2 * cols, cols), k = scratch.Slice(3 * cols, cols);
        sumDy.Clear(); sumDyXhat.Clear();
        for (int r = 0; r < rows; r++)
        {
            var gr = g.Slice(r * cols, cols);
            TensorPrimitives.Subtract(xs.Slice(r * cols, cols), mean, xhat);
            TensorPrimitives.Multiply(xhat, inv, xhat);
            TensorPrimitives.Add(sumDy, gr, sumDy);
            TensorPrimitives.FusedMultiplyAdd(gr, xhat, sumDyXhat, sumDyXhat);
        }
        // dx = γ·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂)), row by row with per-column factors.
        TensorPrimitives.Multiply(gam, inv, k);
        TensorPrimitives.Divide(k, rows, k);
        TensorPrimitives.Negate(sumDyXhat, sumDyXhat);
        var dxs = S(dx);
        for (int r = 0; r < rows; r++)
        {
            var dr = dxs.Slice(r * cols, cols);
            TensorPrimitives.Subtract(xs.Slice(r * cols, cols), mean, xhat);
            TensorPrimitives.Multiply(xhat, inv, xhat);
            TensorPrimitives.Multiply(g.Slice(r * cols, cols), (float)rows, dr);            // N·dy
            TensorPrimitives.Subtract(dr, sumDy, dr);
            TensorPrimitives.FusedMultiplyAdd(xhat, sumDyXhat, dr, dr);                 // − x̂·Σ(dy·x̂)
            TensorPrimitives.Multiply(dr, k, dr);
        }
        TensorPrimitives.Negate(sumDyXhat, sumDyXhat);
        var dgs = S(dgamma); var dbs = S(dbeta);
        if (accumulate) { TensorPrimitives.Add(dgs, sumDyXhat, dgs); TensorPrimitives.Add(dbs, sumDy, dbs); }
        else { sumDyXhat.CopyTo(dgs); sumDy.CopyTo(dbs); }
    }

    protected override void AdversarialLossCore(Tensor logits, LossKind kind, float target, LossOutput output)
    {
        var (grad, gradScale, stats, statsIndex) = output;
        var x = S(logits); var g = S(grad);
        double loss = 0, outputs = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float l = LossKernels.Term((int)kind, x[i], target, out float d, out float o);
            loss += l;
            outputs += o;
            g[i] = d * gradScale;
        }
        var s = S(stats);
        s[statsIndex] = (float)(loss / x.Length);
        s[statsIndex + 1] = (float)(outputs / x.Length);
    }

    protected override void SoftmaxCrossEntropyCore(Tensor logits, DeviceBuffer<int> labels, BatchIndices batch, RowsCols shape, LossOutput output)
    {
        var indices = batch.Indices;
        int indexOffset = At(batch);
        var (rows, classes) = shape;
        var (grad, gradScale, stats, statsIndex) = output;
        var x = S(logits); var g = S(grad);
        var lab = ((CpuBuffer<int>)labels).Array; var idx = ((CpuBuffer<int>)indices).Array;
        double loss = 0, hits = 0;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * classes, classes); var gr = g.Slice(r * classes, classes);
            int label = lab[idx[indexOffset + r]];
            int argmax = TensorPrimitives.IndexOfMax(xr);
            TensorPrimitives.SoftMax(xr, gr);
            loss -= Math.Log(gr[label]);
            if (argmax == label) hits++;
            gr[label] -= 1f;
            TensorPrimitives.Multiply(gr, gradScale, gr);
        }
        var s = S(stats);
        s[statsIndex] = (float)(loss / rows);
        s[statsIndex + 1] = (float)(hits / rows);
    }

    protected override void SoftmaxCore(Tensor logits, Tensor probs, RowsCols shape)
    {
        var (rows, classes) = shape;
        var x = S(logits); var p = S(probs);
        for (int r = 0; r < rows; r++) TensorPrimitives.SoftMax(x.Slice(r * classes, classes), p.Slice(r * classes, classes));
    }

    protected override void AdamCore(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars s, StepSchedule schedule)
    {
        // The same table and counter as the ILGPU kernel reads, so every backend takes the same floats.
        var counter = ((CpuBuffer<int>)schedule.Step).Array;
        int row = Math.Min(++counter[0], schedule.Rows) - 1;
        var table = S(schedule.Table);
        float stepSize = table[row * schedule.Width], biasCorrection2Sqrt = table[row * schedule.Width + 1];
        var pb = B(param); var gb = B(grad); var mb = B(m); var vb = B(v);
        long po = param.Offset, go = grad.Offset, mo = m.Offset, vo = v.Offset;
        int n = param.Length;
        Chunks(n, n, (start, end) =>
        {
            int len = end - start;
            var p = pb.Slice(po + start, len); var g = gb.Slice(go + start, len);
            var mm = mb.Slice(mo + start, len); var vv = vb.Slice(vo + start, len);
            var b1 = new Vector<float>(s.Beta1); var c1 = new Vector<float>(s.OneMinusBeta1);
            var b2 = new Vector<float>(s.Beta2); var c2 = new Vector<float>(s.OneMinusBeta2);
            var eps = new Vector<float>(s.Eps); var wd = new Vector<float>(s.WeightDecay);
            var bc2 = new Vector<float>(biasCorrection2Sqrt); var step = new Vector<float>(stepSize);
            int i = 0, w = Vector<float>.Count;
            for (; i <= len - w; i += w)
            {
                var pv = new Vector<float>(p[i..]);
                var gv = new Vector<float>(g[i..]) + wd * pv;
                var mv = b1 * new Vector<float>(mm[i..]) + c1 * gv;
                var vvv = b2 * new Vector<float>(vv[i..]) + c2 * gv * gv;
                mv.CopyTo(mm[i..]);
                vvv.CopyTo(vv[i..]);
                (pv - step * (mv / (Vector.SquareRoot(vvv) / bc2 + eps))).CopyTo(p[i..]);
            }
            for (; i < len; i++)
            {
                float gi = g[i] + s.WeightDecay * p[i];
                mm[i] = s.Beta1 * mm[i] + s.OneMinusBeta1 * gi;
                vv[i] = s.Beta2 * vv[i] + s.OneMinusBeta2 * gi * gi;
                p[i] -= stepSize * (mm[i] / (MathF.Sqrt(vv[i]) / biasCorrection2Sqrt + s.Eps));
            }
        });
    }

    protected override void RmsPropCore(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s)
    {
        var pb = B(param); var gb = B(grad); var ab = B(squareAvg);
        long po = param.Offset, go = grad.Offset, ao = squareAvg.Offset;
        int n = param.Length;
        Chunks(n, n, (start, end) =>
        {
            int len = end - start;
            var p = pb.Slice(po + start, len); var g = gb.Slice(go + start, len); var a = ab.Slice(ao + start, len);
            var alpha = new Vector<float>(s.Alpha); var c = new Vector<float>(s.OneMinusAlpha);
            var eps = new Vector<float>(s.Eps); var wd = new Vector<float>(s.WeightDecay); var lr = new Vector<float>(s.Lr);
            int i = 0, w = Vector<float>.Count;
            for (; i <= len - w; i += w)
            {
                var pv = new Vector<float>(p[i..]);
                var gv = new Vector<float>(g[i..]) + wd * pv;
                var av = alpha * new Vector<float>(a[i..]) + c * gv * gv;
                av.CopyTo(a[i..]);
                (pv - lr * (gv / (Vector.SquareRoot(av) + eps))).CopyTo(p[i..]);
            }
            for (; i < len; i++)
            {
                float gi = g[i] + s.WeightDecay * p[i];
                a[i] = s.Alpha * a[i] + s.OneMinusAlpha * gi * gi;
                p[i] -= s.Lr * (gi / (MathF.Sqrt(a[i]) + s.Eps));
            }
        });
    }

    protected override void SgdCore(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s)
    {
        var pb = B(param); var gb = B(grad); var bb = B(momentumBuffer);
        long po = param.Offset, go = grad.Offset, bo = momentumBuffer.Offset;
        int n = param.Length;
        bool momentum = s.Momentum != 0f;   // μ = 0: plain SGD, the buffer is not touched (as on the device)
        Chunks(n, n, (start, end) =>
        {
            int len = end - start;
            var p = pb.Slice(po + start, len); var g = gb.Slice(go + start, len);
            var buf = momentum ? bb.Slice(bo + start, len) : default;
            var mu = new Vector<float>(s.Momentum); var wd = new Vector<float>(s.WeightDecay); var lr = new Vector<float>(s.Lr);
            int i = 0, w = Vector<float>.Count;
            for (; i <= len - w; i += w)
            {
                var pv = new Vector<float>(p[i..]);
                var gv = new Vector<float>(g[i..]) + wd * pv;
                if (momentum)
                {
                    gv = mu * new Vector<float>(buf[i..]) + gv;
                    gv.CopyTo(buf[i..]);
                }
                (pv - lr * gv).CopyTo(p[i..]);
            }
            for (; i < len; i++)
            {
                float gi = g[i] + s.WeightDecay * p[i];
                if (momentum) buf[i] = gi = s.Momentum * buf[i] + gi;
                p[i] -= s.Lr * gi;
            }
        });
    }

    /// <summary>The offset moved on by its device counter, read from host memory as the kernels read device memory.</summary>
    static ulong At(PhiloxCounter rng) => rng.Offset + Moved(rng.Counter);
    static int At(BatchIndices batch) => checked((int)((ulong)batch.Offset + Moved(batch.Counter)));
    static ulong Moved(DeviceCounter c) => c.Counters is { } counters ? c.Scale * ((CpuBuffer<ulong>)counters).Array[c.Slot] : 0;

    protected override void IncrementCore(DeviceBuffer<ulong> counters, int count)
    {
        var a = ((CpuBuffer<ulong>)counters).Array;
        for (int i = 0; i < count; i++) a[i]++;
    }

    protected override void RandomNormalCore(Tensor dst, PhiloxCounter rng, float mean, float std)
    {
        var (seed, stream, offset) = (rng.Seed, rng.Stream, At(rng));
        var buf = B(dst); long o = dst.Offset;
        Chunks(dst.Length, dst.Length * 16L, (s, e) =>
        {
            var d = buf.Slice(o + s, e - s);
            for (int i = 0; i < d.Length; i++)
            {
                Philox.Element(seed, stream, offset + (ulong)(s + i), out uint r0, out uint r1, out _, out _);
                float u1 = Philox.ToUniformOpenZero(r0), u2 = Philox.ToUniform(r1);
                d[i] = mean + std * (MathF.Sqrt(-2f * MathF.Log(u1)) * MathF.Cos(2f * MathF.PI * u2));
            }
        });
    }

    protected override void RandomUniformCore(Tensor dst, PhiloxCounter rng, float low, float high)
    {
        var (seed, stream, offset) = (rng.Seed, rng.Stream, At(rng));
        var d = S(dst);
        for (int i = 0; i < d.Length; i++)
        {
            Philox.Element(seed, stream, offset + (ulong)i, out uint r0, out _, out _, out _);
            d[i] = low + (high - low) * Philox.ToUniform(r0);
        }
    }

    protected override void GatherRowsCore(DeviceBuffer<byte> data, BatchIndices batch, RowsCols s, Tensor dst)
    {
        var indices = batch.Indices;
        int indexOffset = At(batch);
        var (rows, cols) = s;
        var bytes = ((CpuBuffer<byte>)data).Array; var idx = ((CpuBuffer<int>)indices).Array;
        var d = S(dst);
        for (int r = 0; r < rows; r++)
        {
            var dr = d.Slice(r * cols, cols);
            TensorPrimitives.ConvertChecked<byte, float>(bytes.AsSpan(checked(idx[indexOffset + r] * cols), cols), dr);
            // Pixels' multiply-add form of [0, 255] → [-1, 1].
            TensorPrimitives.Multiply(dr, Pixels.Scale, dr);
            TensorPrimitives.Add(dr, Pixels.Offset, dr);
        }
    }

    protected override void FillCore(Tensor dst, float value) => S(dst).Fill(value);

    protected override void MarkNonFiniteCore(Tensor x, NonFiniteFlag flag)
    {
        var slot = S(flag.Flags.Slice(flag.Index, 1));
        if (FiniteKernels.ReadMark(slot[0]) != 0) return;
        // Σ x² is finite when every x is (NaN and ∞ propagate, squares never cancel): one SIMD pass;
        // only when it is not (a NaN, or merely an overflow of large values) is each value looked at.
        if (!float.IsFinite(TensorPrimitives.Dot(S(x), S(x))) && HasNonFinite(S(x)))
            slot[0] = BitConverter.Int32BitsToSingle(checked((int)((ulong)flag.Mark + Moved(flag.Counter))));
    }

    static bool HasNonFinite(ReadOnlySpan<float> v)
    {
        foreach (var f in v) if (!float.IsFinite(f)) return true;
        return false;
    }

    protected override void ClampCore(Tensor x, float min, float max)
    {
        var v = S(x);
        TensorPrimitives.Max(v, min, v);
        TensorPrimitives.Min(v, max, v);
    }

    protected override void InterpolateCore(Tensor real, Tensor fake, Tensor eps, Tensor xhat, RowsCols s)
    {
        var (rows, cols) = s;
        var rs = S(real); var fs = S(fake); var e = S(eps); var xs = S(xhat);
        for (int r = 0; r < rows; r++)
        {
            var f = fs.Slice(r * cols, cols); var x = xs.Slice(r * cols, cols);
            TensorPrimitives.Subtract(rs.Slice(r * cols, cols), f, x);
            TensorPrimitives.FusedMultiplyAdd(x, e[r], f, x);
        }
    }

    protected override void GradientPenaltyCore(Tensor g, Tensor norms, RowsCols shape, float lambda, LossOutput output)
    {
        var (rows, cols) = shape;
        var (dg, gradScale, stats, statsIndex) = output;
        var gs = S(g); var ds = S(dg); var ns = S(norms);
        double penalty = 0, normSum = 0;
        for (int r = 0; r < rows; r++)
        {
            var gr = gs.Slice(r * cols, cols);
            float norm = MathF.Sqrt(TensorPrimitives.SumOfSquares(gr));
            float coef = norm > 0f ? gradScale * 2f * lambda * (norm - 1f) / norm : 0f;
            TensorPrimitives.Multiply(gr, coef, ds.Slice(r * cols, cols));
            ns[r] = norm;
            penalty += (norm - 1.0) * (norm - 1.0);
            normSum += norm;
        }
        var s = S(stats);
        s[statsIndex] = (float)(lambda * penalty / rows);
        s[statsIndex + 1] = (float)(normSum / rows);
    }

    protected override void OneHotLabelsCore(DeviceBuffer<int> labels, BatchIndices batch, ColumnBlock block0, OneHotShape s)
    {
        var indices = batch.Indices;
        int indexOffset = At(batch);
        var (dst, dstStride, dstColumn) = block0;
        var lab = ((CpuBuffer<int>)labels).Array; var idx = ((CpuBuffer<int>)indices).Array;
        var d = S(dst);
        for (int r = 0; r < s.Rows; r++) OneHotRow(d.Slice(r * dstStride + dstColumn, s.Width), lab[idx[indexOffset + r]], s.Plane);
    }

    protected override void OneHotRandomCore(ColumnBlock block0, OneHotShape s, PhiloxCounter rng)
    {
        var (dst, dstStride, dstColumn) = block0;
        var (seed, stream, offset) = (rng.Seed, rng.Stream, At(rng));
        var d = S(dst);
        for (int r = 0; r < s.Rows; r++)
            OneHotRow(d.Slice(r * dstStride + dstColumn, s.Width), ConditionalKernels.RandomClass(seed, stream, offset + (ulong)r, s.Classes), s.Plane);
    }

    /// <summary>One row's block: class k's plane of ones, zeros elsewhere (a label out of range throws, as an index would).</summary>
    static void OneHotRow(Span<float> block, int k, int plane)
    {
        block.Clear();
        block.Slice(k * plane, plane).Fill(1f);
    }

    protected override void CopyColumnsCore(ColumnBlock from, ColumnBlock to, RowsCols shape)
    {
        var (src, srcStride, srcColumn) = from;
        var (dst, dstStride, dstColumn) = to;
        var (rows, cols) = shape;
        var s = S(src); var d = S(dst);
        for (int r = 0; r < rows; r++)
            s.Slice(r * srcStride + srcColumn, cols).CopyTo(d.Slice(r * dstStride + dstColumn, cols));
    }

    protected override void CopyCore(Tensor source, Tensor destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException("copy between tensors of different lengths");
        S(source).CopyTo(S(destination));
    }

    public override void Synchronize() { }

    public override void Dispose() { }
}
