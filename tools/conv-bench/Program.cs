using System.Diagnostics;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Cpu;

// Times the 28×28 DCGAN's convolutions and BatchNorm2d layers at batch 64 on the managed CPU
// backend, per GEMM strategy, against CpuGemm's 1024³ rate, and estimates the conv+BN share of one
// PyTorch-DCGAN training step (docs/perf-conv.md). Best and median of `reps` timed runs after warm-up.
//   conv-bench [REPS] [--batched]        the full report (--batched: without the per-image strategy)
//   conv-bench --layers REPS [BATCH]     one JSON line per conv layer, forward + Backward (dx and dw),
//                                        in the format of tools/torchsharp-anchor --layers (tools/cpu-anchor.sh)
//   conv-bench --bn REPS                 BatchNorm2d alone
//   conv-bench --layout REPS             im2col and col2im alone, per layer
//   conv-bench --gemms REPS              each layer's three GEMMs alone (with CpuGemm at 1024³ first)
unsafe
{
    bool anchorLayers = args.Length > 0 && args[0] == "--layers", bnOnly = args.Length > 0 && args[0] == "--bn";
    bool layoutOnly = args.Length > 0 && args[0] == "--layout", gemmsOnly = args.Length > 0 && args[0] == "--gemms";
    // --batched: the full report without the per-image strategy (a shorter run: the DCGAN's strategy
    // and its GEMMs and layout passes alone, side by side).
    bool batchedOnly = args.Contains("--batched");
    args = args.Where(a => a != "--batched").ToArray();
    if (anchorLayers || bnOnly || layoutOnly || gemmsOnly) args = args[1..];
    int reps = args.Length > 0 ? int.Parse(args[0]) : 10;
    int B = args.Length > 1 ? int.Parse(args[1]) : 64;
    int threads = Environment.ProcessorCount;
    if (!anchorLayers) Console.WriteLine($"threads {threads}, reps {reps}");

    // Wall time, best of reps: on a shared machine the best run is the one least disturbed by others.
    // (Process CPU time is no help: Linux counts it in 10 ms ticks.)
    (double Best, double Median) Time(Action body)
    {
        // Warm up past tiered JIT's promotion to optimised code (30 calls, then a background compile).
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 60 && (i < 3 || Stopwatch.GetElapsedTime(w0).TotalSeconds < 1); i++) body();
        var ms = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        return (ms[0], ms[reps / 2]);
    }

    static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        var a = GC.AllocateUninitializedArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    static float* P(float[] a) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref a[0]);

    if (!bnOnly && !layoutOnly)
    {
        var a = Rand(1024 * 1024, 1); var b = Rand(1024 * 1024, 2); var c = Rand(1024 * 1024, 3);
        var (best, med) = Time(() => CpuGemm.Gemm(P(a), P(b), P(c), 1024, 1024, 1024, false, false, false, threads));
        if (anchorLayers) Console.WriteLine(FormattableString.Invariant($"{{\"engine\":\"ilgpugan cpu\",\"gemm\":\"1024³\",\"best_ms\":{best:F3},\"gflops_best\":{2e-6 * 1024 * 1024 * 1024 / best:F1},\"gflops_median\":{2e-6 * 1024 * 1024 * 1024 / med:F1}}}"));
        else Console.WriteLine($"GEMM 1024³ A·B: best {best:F2} ms = {2e-6 * 1024 * 1024 * 1024 / best:F1} GFLOP/s, median {2e-6 * 1024 * 1024 * 1024 / med:F1} GFLOP/s");
    }

    // (name, geometry, uses in one step: forwards, input gradients, weight gradients), counted at batch
    // 64 as PyTorch's DCGAN example runs the step: D on real and on fake (forward, both gradients; its
    // first layer needs no input gradient), G forward once, then D on the fake again (forward, both
    // gradients) and G's backward (G's first layer needs no input gradient).
    var layers = new (string Name, Conv2dGeometry G, int Fwd, int DX, int DW)[]
    {
        ("G convT1 100→128 k7 1→7", Conv2dGeometry.ConvTranspose(B, 100, 1, 1, 128, 7), 1, 0, 1),
        ("G convT2 128→64 k4s2p1 7→14", Conv2dGeometry.ConvTranspose(B, 128, 7, 7, 64, 4, 2, 1), 1, 1, 1),
        ("G convT3 64→1 k4s2p1 14→28", Conv2dGeometry.ConvTranspose(B, 64, 14, 14, 1, 4, 2, 1), 1, 1, 1),
        ("D conv1 1→64 k4s2p1 28→14", Conv2dGeometry.Conv(B, 1, 28, 28, 64, 4, 2, 1), 3, 1, 3),
        ("D conv2 64→128 k4s2p1 14→7", Conv2dGeometry.Conv(B, 64, 14, 14, 128, 4, 2, 1), 3, 3, 3),
        ("D conv3 128→1 k7 7→1", Conv2dGeometry.Conv(B, 128, 7, 7, 1, 7), 3, 3, 3),
    };

    if (anchorLayers && !bnOnly)
    {
        foreach (var l in layers)
        {
            var conv = new CpuConv(l.G, threads);
            var x = Rand(l.G.InputLength, 4); var w = Rand(l.G.WeightLength, 5); var y = Rand(l.G.OutputLength, 6);
            var dy = Rand(l.G.OutputLength, 7); var dx = Rand(l.G.InputLength, 8); var dw = Rand(l.G.WeightLength, 9);
            var t = Time(() => { conv.Forward(P(x), P(w), null, P(y)); conv.Backward(P(x), P(dy), P(w), P(dx), P(dw), columnsFromForward: true); });
            double f3 = 3 * l.G.Flops / 1e6;
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"engine\":\"ilgpugan cpu\",\"layer\":\"{l.Name}\",\"batch\":{B},\"threads\":{threads},\"reps\":{reps},\"best_ms\":{t.Best:F3},\"median_ms\":{t.Median:F3},\"gflops_best\":{f3 / t.Best:F1},\"gflops_median\":{f3 / t.Median:F1}}}"));
        }
        return;
    }

    if (gemmsOnly)
    {
        // The three GEMMs of each non-dense layer alone, on the batched shapes: the conv's own GEMM rate.
        foreach (var l in layers)
        {
            if (l.G.IsDense) continue;
            var a = l.G.Args;
            var w = Rand(l.G.WeightLength, 5); var dw = Rand(l.G.WeightLength, 9);
            var cols = Rand(checked((int)l.G.ColumnFloats), 10); var s = Rand(l.G.ColSideLength, 11);
            var g1 = Time(() => CpuGemm.Gemm(P(w), P(cols), P(s), a.ColC, a.Cols, a.Rows, false, false, false, threads));
            var g2 = Time(() => CpuGemm.Gemm(P(w), P(s), P(cols), a.Rows, a.Cols, a.ColC, true, false, false, threads));
            var g3 = Time(() => CpuGemm.Gemm(P(s), P(cols), P(dw), a.ColC, a.Rows, a.Cols, false, true, false, threads));
            double gf = l.G.Flops / 1e6;
            Console.WriteLine($"{l.Name,-30} W·cols {g1.Best,6:F2} ms {gf / g1.Best,5:F0} GF/s | Wᵀ·s {g2.Best,6:F2} ms {gf / g2.Best,5:F0} GF/s | s·colsᵀ {g3.Best,6:F2} ms {gf / g3.Best,5:F0} GF/s  (medians {g1.Median:F2}/{g2.Median:F2}/{g3.Median:F2})");
        }
        return;
    }

    if (layoutOnly)
    {
        foreach (var l in layers)
        {
            if (l.G.IsDense) continue;
            var a = l.G.Args;
            var img = Rand(Math.Max(l.G.InputLength, l.G.OutputLength), 4); var cols = Rand(checked((int)l.G.ColumnFloats), 10);
            var taps = CpuIm2Col.TapTable(a);
            int* tp = (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref taps[0]);
            var i2c = Time(() => CpuIm2Col.Im2Col(P(img), P(cols), a, a.Cols, tp, threads));
            var c2i = Time(() => CpuIm2Col.Col2Im(P(cols), P(img), a, a.Cols, tp, false, threads));
            Console.WriteLine($"{l.Name,-30} im2col best {i2c.Best,6:F3} median {i2c.Median,6:F3} ms | col2im best {c2i.Best,6:F3} median {c2i.Median,6:F3} ms");
        }
        return;
    }

    double stepFlops = 0;
    foreach (var l in layers) stepFlops += l.G.Flops * (l.Fwd + l.DX + l.DW);
    if (!bnOnly) Console.WriteLine($"conv FLOPs per step: {stepFlops / 1e9:F2} G");

    var stepMsBy = new Dictionary<CpuConvStrategy, double>();
    foreach (var l in bnOnly ? [] : layers)
    {
        foreach (var strategy in batchedOnly ? [CpuConvStrategy.Batched] : Enum.GetValues<CpuConvStrategy>())
        {
            var conv = new CpuConv(l.G, threads, strategy);
            var x = Rand(l.G.InputLength, 4); var w = Rand(l.G.WeightLength, 5); var y = Rand(l.G.OutputLength, 6);
            var dy = Rand(l.G.OutputLength, 7); var dx = Rand(l.G.InputLength, 8); var dw = Rand(l.G.WeightLength, 9);
            var f = Time(() => conv.Forward(P(x), P(w), null, P(y)));
            var gx = Time(() => conv.InputGrad(P(dy), P(w), P(dx)));
            var gw = Time(() => conv.WeightGrad(P(x), P(dy), P(dw)));
            double gf = l.G.Flops / 1e6;
            Console.WriteLine($"{l.Name,-30} {strategy,-8} fwd {f.Best,7:F2} ms {gf / f.Best,6:F1} GF/s | dX {gx.Best,7:F2} ms {gf / gx.Best,6:F1} GF/s | dW {gw.Best,7:F2} ms {gf / gw.Best,6:F1} GF/s  (medians {f.Median:F2}/{gx.Median:F2}/{gw.Median:F2})");
            stepMsBy[strategy] = stepMsBy.GetValueOrDefault(strategy) + l.Fwd * f.Best + l.DX * gx.Best + l.DW * gw.Best;
            if (strategy == CpuConvStrategy.Batched && !l.G.IsDense)
            {
                // The same three GEMMs alone, on the batched shapes: what im2col, col2im and the transposes add.
                var a = l.G.Args;
                var cols = Rand(checked((int)l.G.ColumnFloats), 10); var s = Rand(l.G.ColSideLength, 11);
                var gf1 = Time(() => CpuGemm.Gemm(P(w), P(cols), P(s), a.ColC, a.Cols, a.Rows, false, false, false, threads));
                var gf2 = Time(() => CpuGemm.Gemm(P(w), P(s), P(cols), a.Rows, a.Cols, a.ColC, true, false, false, threads));
                var gf3 = Time(() => CpuGemm.Gemm(P(s), P(cols), P(dw), a.ColC, a.Rows, a.Cols, false, true, false, threads));
                // Image side: a Conv2d's x / dx, a transpose's dy / y; column side: dy, or the transpose's x.
                bool t = l.G.Transposed;
                var (image, imageOut, colSide) = t ? (dy, y, x) : (x, dx, dy);
                var taps = CpuIm2Col.TapTable(a);
                int* tp = (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref taps[0]);
                var i2c = Time(() => CpuIm2Col.Im2Col(P(image), P(cols), a, a.Cols, tp, threads));
                var c2i = Time(() => CpuIm2Col.Col2Im(P(cols), P(imageOut), a, a.Cols, tp, false, threads));
                var sw = Time(() => CpuIm2Col.SwapOuter(P(colSide), P(s), null, a.N, a.ColC, a.ColPlane, threads));
                Console.WriteLine($"{"   layout passes alone",-39} im2col {i2c.Best,7:F2} ms | col2im {c2i.Best,7:F2} ms | transpose {sw.Best,7:F2} ms");
                Console.WriteLine($"{"   GEMMs alone",-39} W·cols {gf1.Best,7:F2} ms {gf / gf1.Best,6:F1} GF/s | Wᵀ·s {gf2.Best,7:F2} ms {gf / gf2.Best,6:F1} GF/s | s·colsᵀ {gf3.Best,7:F2} ms {gf / gf3.Best,6:F1} GF/s");
            }
        }
    }
    // The order a training step runs a layer in: forward, then both gradients, separately or as one
    // Backward (which shares dy's transpose or im2col(dy), and reuses the forward's columns).
    double sepMs = 0, combMs = 0;
    foreach (var l in bnOnly ? [] : layers)
    {
        var conv = new CpuConv(l.G, threads);
        var x = Rand(l.G.InputLength, 4); var w = Rand(l.G.WeightLength, 5); var y = Rand(l.G.OutputLength, 6);
        var dy = Rand(l.G.OutputLength, 7); var dx = Rand(l.G.InputLength, 8); var dw = Rand(l.G.WeightLength, 9);
        var sep = Time(() => { conv.Forward(P(x), P(w), null, P(y)); conv.InputGrad(P(dy), P(w), P(dx)); conv.WeightGrad(P(x), P(dy), P(dw)); });
        var comb = Time(() => { conv.Forward(P(x), P(w), null, P(y)); conv.Backward(P(x), P(dy), P(w), P(dx), P(dw), columnsFromForward: true); });
        Console.WriteLine($"{l.Name,-30} {conv.Strategy,-8} fwd+dX+dW separate {sep.Best,7:F2} ms, fwd+Backward {comb.Best,7:F2} ms ({3 * l.G.Flops / 1e6 / comb.Best:F1} GF/s)");
        sepMs += sep.Best; combMs += comb.Best;
    }
    if (!bnOnly) Console.WriteLine($"fwd+bwd of every layer once: separate {sepMs:F1} ms, combined {combMs:F1} ms");
    foreach (var (strategy, stepMs) in stepMsBy)
        Console.WriteLine($"{strategy}: conv share of a step (best times): {stepMs:F1} ms = {stepFlops / 1e6 / stepMs:F1} GFLOP/s");

    // BatchNorm2d: G's two (128×7×7, 64×14×14) and D's one (128×7×7); in a step each G BN runs one
    // train forward and one backward, D's BN three of each.
    double bnMs = 0;
    foreach (var (name, c, plane, uses) in new[] { ("G BN 128×7×7", 128, 49, 1), ("G BN 64×14×14", 64, 196, 1), ("D BN 128×7×7", 128, 49, 3) })
    {
        int n = B * c * plane;
        var x = Rand(n, 1); var dy = Rand(n, 2); var y = Rand(n, 3); var dx = Rand(n, 4);
        var g = Rand(c, 5); var bt = Rand(c, 6); var rm = Rand(c, 7); var rv = Rand(c, 8); var m = Rand(c, 9); var inv = Rand(c, 10);
        var dg = Rand(c, 11); var db = Rand(c, 12);
        for (int i = 0; i < c; i++) rv[i] = 1f;
        var f = Time(() => CpuBatchNorm2d.ForwardTrain(P(x), P(g), P(bt), P(rm), P(rv), P(y), P(m), P(inv), B, c, plane, 0.1f, 1e-5f, threads));
        var bw = Time(() => CpuBatchNorm2d.Backward(P(x), P(dy), P(g), P(m), P(inv), P(dx), P(dg), P(db), B, c, plane, false, threads));
        Console.WriteLine($"{name,-16} train fwd {f.Best:F3} ms, backward {bw.Best:F3} ms");
        bnMs += uses * (f.Best + bw.Best);
    }
    Console.WriteLine($"BatchNorm2d share of a step: {bnMs:F2} ms");
}
