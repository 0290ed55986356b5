using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;
using static IlgpuGan.Tests.Kernels.ConvShapes;

namespace IlgpuGan.Tests.Cpu;

/// <summary>
/// The managed Conv2d / ConvTranspose2d (both GEMM strategies, one and two threads) and BatchNorm2d
/// against the float64 references, on the awkward shapes of <see cref="ConvShapes"/>. Outputs start
/// as NaN so an element that is never written fails.
/// </summary>
public sealed unsafe class CpuConvTests
{
    public static TheoryData<int, CpuConvStrategy, int> ConvCases() => Cases(Conv.Length);
    public static TheoryData<int, CpuConvStrategy, int> TransposedCases() => Cases(Transposed.Length);

    static TheoryData<int, CpuConvStrategy, int> Cases(int shapes)
    {
        var data = new TheoryData<int, CpuConvStrategy, int>();
        for (int i = 0; i < shapes; i++)
            foreach (var s in Enum.GetValues<CpuConvStrategy>())
                foreach (int threads in new[] { 1, 2 })
                    data.Add(i, s, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_matches_reference(int shape, CpuConvStrategy strategy, int threads) => Check(Conv[shape], strategy, threads);

    [Theory]
    [MemberData(nameof(TransposedCases))]
    public void ConvTranspose2d_matches_reference(int shape, CpuConvStrategy strategy, int threads) => Check(Transposed[shape], strategy, threads);

    static void Check(Conv2dGeometry g, CpuConvStrategy strategy, int threads)
    {
        var rng = new Random(g.GetHashCode());
        var a = g.Args;
        var x = Uniform(rng, g.InputLength);
        var w = Uniform(rng, g.WeightLength);
        var bias = Uniform(rng, g.COut);
        var dy = Uniform(rng, g.OutputLength);
        var conv = new CpuConv(g, threads, strategy);
        bool t = g.Transposed;

        var y = NaNs(g.OutputLength);
        var yNoBias = NaNs(g.OutputLength);
        var dx = NaNs(g.InputLength);
        var dw = NaNs(g.WeightLength);
        var dwAcc = Uniform(rng, g.WeightLength);
        var dwAccIn = (float[])dwAcc.Clone();
        var db = NaNs(g.COut);
        var dx2 = NaNs(g.InputLength); var dw2 = NaNs(g.WeightLength); var dw3 = (float[])dwAccIn.Clone();
        fixed (float* px = x, pw = w, pb = bias, pdy = dy, py = y, py0 = yNoBias, pdx = dx, pdw = dw, pdwa = dwAcc, pdb = db,
               pdx2 = dx2, pdw2 = dw2, pdw3 = dw3)
        {
            // The combined backward right after a forward (the columns it may reuse), then again
            // after an input gradient has overwritten them, accumulating and without dx.
            conv.Forward(px, pw, pb, py);
            conv.Backward(px, pdy, pw, pdx2, pdw2, columnsFromForward: true);
            conv.InputGrad(pdy, pw, pdx);
            conv.Backward(px, pdy, pw, null, pdw3, accumulateWeight: true, columnsFromForward: true);

            conv.Forward(px, pw, pb, py);
            conv.Forward(px, pw, null, py0);
            conv.InputGrad(pdy, pw, pdx);
            conv.WeightGrad(px, pdy, pdw);
            conv.WeightGrad(px, pdy, pdwa, accumulate: true);
            conv.BiasGrad(pdy, pdb);
        }
        string at = $"{g} {strategy} threads={threads}";
        Near($"forward {at}", y, t ? ConvReference.ConvTranspose2dForward(x, w, bias, a) : ConvReference.Conv2dForward(x, w, bias, a));
        Near($"forward without bias {at}", yNoBias, t ? ConvReference.ConvTranspose2dForward(x, w, null, a) : ConvReference.Conv2dForward(x, w, null, a));
        Near($"input grad {at}", dx, t ? ConvReference.ConvTranspose2dInputGrad(dy, w, a) : ConvReference.Conv2dInputGrad(dy, w, a));
        var wantDw = t ? ConvReference.ConvTranspose2dWeightGrad(x, dy, a) : ConvReference.Conv2dWeightGrad(x, dy, a);
        Near($"weight grad {at}", dw, wantDw);
        Near($"backward's input grad {at}", dx2, t ? ConvReference.ConvTranspose2dInputGrad(dy, w, a) : ConvReference.Conv2dInputGrad(dy, w, a));
        Near($"backward's weight grad {at}", dw2, wantDw);
        Near($"backward's accumulated weight grad {at}", dw3, Plus(wantDw, dwAccIn));
        Near($"accumulated weight grad {at}", dwAcc, Plus(wantDw, dwAccIn));
        Near($"bias grad {at}", db, t ? ConvReference.ConvTranspose2dBiasGrad(dy, a) : ConvReference.Conv2dBiasGrad(dy, a));
    }

    /// <summary>
    /// The k4 s2 p1 block (the DCGAN's up/down-sampling), whose col2im takes its own gather path:
    /// even and odd sizes of the column side, a 1×1 column side, batch 1, channel counts that are not
    /// multiples of anything.
    /// </summary>
    public static readonly Conv2dGeometry[] K4S2P1 =
    [
        Conv2dGeometry.Conv(3, 5, 10, 6, 7, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.Conv(1, 2, 2, 2, 3, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.Conv(2, 3, 14, 14, 4, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.ConvTranspose(2, 7, 3, 5, 3, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.ConvTranspose(1, 3, 1, 1, 2, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.ConvTranspose(3, 4, 7, 7, 5, k: 4, stride: 2, pad: 1),
        // Rows past one AVX-512 vector on the image side (28, 30, 32: two halves), the widest column
        // side the permute path takes (16), and one past it (17: the scalar paths).
        Conv2dGeometry.Conv(2, 2, 28, 28, 3, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.Conv(1, 2, 6, 30, 2, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.ConvTranspose(2, 2, 3, 16, 3, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.Conv(1, 2, 4, 34, 3, k: 4, stride: 2, pad: 1),
    ];

    public static TheoryData<int, CpuConvStrategy, int> K4S2P1Cases() => Cases(K4S2P1.Length);

    [Theory]
    [MemberData(nameof(K4S2P1Cases))]
    public void K4S2P1_conv_and_transpose_match_reference(int shape, CpuConvStrategy strategy, int threads)
    {
        Assert.True(CpuIm2Col.IsK4S2P1(K4S2P1[shape].Args));
        Check(K4S2P1[shape], strategy, threads);
    }

    /// <summary>
    /// col2im on the k4 s2 p1 path against the definition (every column entry added to the pixel its
    /// tap reads, in double), written and accumulated, batched and for one image of a wider matrix.
    /// </summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void K4S2P1_col2im_matches_the_definition(int shape, int threads)
    {
        var a = K4S2P1[shape].Args;
        var rng = new Random(shape * 10 + threads);
        var taps = CpuIm2Col.TapTable(a);
        int planeLen = a.ImH * a.ImW, kk = 16;
        var cols = Uniform(rng, a.Rows * a.Cols);
        foreach (bool accumulate in new[] { false, true })
        {
            var image = Uniform(rng, a.N * a.ImC * planeLen);
            var want = new double[image.Length];
            for (int i = 0; i < want.Length; i++) want[i] = accumulate ? image[i] : 0;
            for (int r = 0; r < a.Rows; r++)
                for (int n = 0; n < a.N; n++)
                    for (int p = 0; p < a.ColPlane; p++)
                    {
                        int at = taps[r % kk * a.ColPlane + p];
                        if (at >= 0) want[(n * a.ImC + r / kk) * planeLen + at] += cols[r * a.Cols + n * a.ColPlane + p];
                    }
            fixed (float* pc = cols, pi = image)
            fixed (int* pt = taps)
                CpuIm2Col.Col2Im(pc, pi, a, a.Cols, pt, accumulate, threads);
            Near($"col2im shape {shape} accumulate={accumulate} threads={threads}", image, want);
        }
        // One image's columns inside the batched matrix: row stride Cols, image N − 1's slice.
        var one = a with { N = 1 };
        var last = NaNs(a.ImC * planeLen);
        var wantLast = new double[last.Length];
        for (int r = 0; r < a.Rows; r++)
            for (int p = 0; p < a.ColPlane; p++)
            {
                int at = taps[r % kk * a.ColPlane + p];
                if (at >= 0) wantLast[r / kk * planeLen + at] += cols[r * a.Cols + (a.N - 1) * a.ColPlane + p];
            }
        fixed (float* pc = cols, pi = last)
        fixed (int* pt = taps)
            CpuIm2Col.Col2Im(pc + (a.N - 1) * a.ColPlane, pi, one, a.Cols, pt, false, threads);
        Near($"col2im of one image, shape {shape} threads={threads}", last, wantLast);
    }

    public static TheoryData<int, int> K4S2P1LayoutCases()
    {
        var data = new TheoryData<int, int>();
        for (int i = 0; i < K4S2P1.Length; i++)
            foreach (int threads in new[] { 1, 2 }) data.Add(i, threads);
        return data;
    }

    /// <summary>
    /// Every im2col and col2im path that may serve the k4 s2 p1 block (the AVX-512 permutes where this
    /// machine has them, the scalar gather, the tap-table loops) against the definition, batched and for
    /// one image inside the batched matrix (row stride Cols), written and accumulated. im2col copies, so
    /// it must be exact; the permute col2im adds the scalar gather's terms in its order, so the two must
    /// agree exactly too.
    /// </summary>
    [Theory]
    [MemberData(nameof(K4S2P1LayoutCases))]
    public void K4S2P1_layout_paths_match_the_definition(int shape, int threads)
    {
        var a = K4S2P1[shape].Args;
        var rng = new Random(shape * 7 + threads);
        var taps = CpuIm2Col.TapTable(a);
        int planeLen = a.ImH * a.ImW, kk = 16;
        var image = Uniform(rng, a.N * a.ImC * planeLen);
        var colsIn = Uniform(rng, a.Rows * a.Cols);
        var wantCols = new double[a.Rows * a.Cols];
        for (int r = 0; r < a.Rows; r++)
            for (int n = 0; n < a.N; n++)
                for (int p = 0; p < a.ColPlane; p++)
                {
                    int at = taps[r % kk * a.ColPlane + p];
                    wantCols[r * a.Cols + n * a.ColPlane + p] = at >= 0 ? image[(n * a.ImC + r / kk) * planeLen + at] : 0;
                }
        var start = Uniform(rng, image.Length);
        var wantImage = new double[image.Length];
        for (int r = 0; r < a.Rows; r++)
            for (int n = 0; n < a.N; n++)
                for (int p = 0; p < a.ColPlane; p++)
                {
                    int at = taps[r % kk * a.ColPlane + p];
                    if (at >= 0) wantImage[(n * a.ImC + r / kk) * planeLen + at] += colsIn[r * a.Cols + n * a.ColPlane + p];
                }
        var one = a with { N = 1 };
        int last = a.N - 1, oneLen = a.ImC * planeLen;
        var wantLastCols = new double[a.Rows * a.ColPlane];
        for (int r = 0; r < a.Rows; r++)
            for (int p = 0; p < a.ColPlane; p++) wantLastCols[r * a.ColPlane + p] = wantCols[r * a.Cols + last * a.ColPlane + p];

        fixed (float* pim = image, pcin = colsIn)
        fixed (int* pt = taps)
        {
            var paths = new List<string> { "dispatch", "taps" };
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && a.ColW <= 16) paths.Add("permutes");
            Assert.Equal(CpuK4S2P1.Fits(a), System.Runtime.Intrinsics.X86.Avx512F.IsSupported && a.ColW <= 16);

            var gathered = NaNs(image.Length);
            fixed (float* pg = gathered) CpuIm2Col.Col2ImK4S2P1(pcin, pg, a, a.Cols, false, threads);
            Near($"scalar k4s2p1 col2im shape {shape}", gathered, wantImage);

            foreach (var name in paths)
            {
                string at = $"{name} shape {shape} threads={threads}";
                var cols = NaNs(a.Rows * a.Cols);
                var lastCols = NaNs(a.Rows * a.ColPlane);
                var written = NaNs(image.Length);
                var added = (float[])start.Clone();
                var lastImage = NaNs(oneLen);
                fixed (float* pc = cols, plc = lastCols, pw = written, pa = added, pli = lastImage)
                {
                    LayoutIm2Col(name, pim, pc, a, a.Cols, pt, threads);
                    LayoutIm2Col(name, pim + last * oneLen, plc, one, a.ColPlane, pt, threads);
                    LayoutCol2Im(name, pcin, pw, a, a.Cols, pt, false, threads);
                    LayoutCol2Im(name, pcin, pa, a, a.Cols, pt, true, threads);
                    LayoutCol2Im(name, pcin + last * a.ColPlane, pli, one, a.Cols, pt, false, threads);
                }
                Near($"im2col {at}", cols, wantCols, 0);
                Near($"im2col of one image {at}", lastCols, wantLastCols, 0);
                Near($"col2im {at}", written, wantImage);
                Near($"col2im accumulating {at}", added, Plus(wantImage, start));
                Near($"col2im of one image {at}", lastImage, wantImage.AsSpan(last * oneLen, oneLen));
                if (name == "permutes")
                    for (int i = 0; i < written.Length; i++)
                        Assert.True(written[i] == gathered[i], $"{at}: permute col2im differs from the scalar gather at {i}");
            }
        }
    }

    static void LayoutIm2Col(string path, float* image, float* cols, ConvArgs a, long ld, int* taps, int threads)
    {
        if (path == "dispatch") CpuIm2Col.Im2Col(image, cols, a, ld, taps, threads);
        else if (path == "taps") CpuIm2Col.Im2ColTaps(image, cols, a, ld, taps, threads);
        else CpuK4S2P1.Im2Col(image, cols, a, ld, threads);
    }

    static void LayoutCol2Im(string path, float* cols, float* image, ConvArgs a, long ld, int* taps, bool accumulate, int threads)
    {
        if (path == "dispatch") CpuIm2Col.Col2Im(cols, image, a, ld, taps, accumulate, threads);
        else if (path == "taps") CpuIm2Col.Col2ImTaps(cols, image, a, ld, taps, accumulate, threads);
        else CpuK4S2P1.Col2Im(cols, image, a, ld, accumulate, threads);
    }

    [Fact]
    public void Workspaces_are_sized_from_the_geometry()
    {
        var g = Conv2dGeometry.Conv(64, 64, 14, 14, 128, k: 4, stride: 2, pad: 1);
        Assert.Equal(g.ColumnFloats + g.ColSideLength, new CpuConv(g, 1).WorkspaceFloats);
        Assert.Equal(16 * 49, new CpuConv(g, 1).TapTableLength);
        Assert.Equal((long)g.ColumnRows * g.ColumnColsPerImage, new CpuConv(g, 1, CpuConvStrategy.PerImage).WorkspaceFloats);
        // The DCGAN's ends are Linear layers in disguise: no column matrix at all.
        var first = Conv2dGeometry.ConvTranspose(64, 100, 1, 1, 128, k: 7);
        var last = Conv2dGeometry.Conv(64, 128, 7, 7, 1, k: 7);
        Assert.True(first.IsDense && last.IsDense);
        Assert.Equal(0, new CpuConv(first, 1).WorkspaceFloats);
        Assert.Equal(0, new CpuConv(last, 1).WorkspaceFloats);
        Assert.False(Conv2dGeometry.Conv(64, 128, 7, 7, 1, k: 7, pad: 1).IsDense);
        Assert.False(Conv2dGeometry.Conv(64, 128, 7, 7, 1, k: 4, dilation: 2).IsDense);
    }

    public static TheoryData<int, int, int, int> BatchNormCases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var (n, c, p) in BatchNorm)
            foreach (int threads in new[] { 1, 2 }) data.Add(n, c, p, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    public void BatchNorm2d_matches_reference(int n, int c, int plane, int threads) =>
        // An offset mean and a spread that is not 1, so both statistics matter.
        CheckBatchNorm(n, c, plane, threads, 2, 5, 1e-5);

    /// <summary>
    /// A mean 1000 spreads wide off a spread of 1: the one-pass statistics (sums shifted by the
    /// channel's first value) must not cancel, nor the fused output passes (x − mean formed first).
    /// Planes of 1, 7, 16, 17 and 35 hit the SIMD loops' tails.
    /// </summary>
    [Theory]
    [InlineData(64, 3, 7, 2)]
    [InlineData(5, 4, 1, 1)]
    [InlineData(3, 2, 16, 2)]
    [InlineData(2, 3, 17, 1)]
    [InlineData(1, 5, 35, 2)]
    public void BatchNorm2d_far_from_zero_mean(int n, int c, int plane, int threads) =>
        // The bound for y, dx and dγ: the float saved mean alone is off by up to half an ulp of 1000
        // (3e-5), 1e-4 of the spread's 0.29 standard deviation, and x̂ carries that into all three.
        CheckBatchNorm(n, c, plane, threads, 999.5, 1000.5, 5e-4);

    /// <summary>
    /// The fused ReLU / LeakyReLU 0.2: the reference is BN then the activation, and the activation's
    /// derivative (of the reference output) on dy before BN's backward. Planes 7, 16, 17 and 1 hit
    /// the SIMD loops' tails.
    /// </summary>
    [Theory]
    [InlineData(2, 3, 7, 1, Activation.ReLU)]
    [InlineData(3, 2, 16, 2, Activation.LeakyReLU)]
    [InlineData(2, 3, 17, 2, Activation.ReLU)]
    [InlineData(5, 4, 1, 1, Activation.LeakyReLU)]
    [InlineData(4, 8, 49, 2, Activation.LeakyReLU)]
    public void BatchNorm2d_with_fused_activation_matches_reference(int n, int c, int plane, int threads, Activation act) =>
        CheckBatchNorm(n, c, plane, threads, 2, 5, 1e-5, act, act == Activation.LeakyReLU ? 0.2f : 0f);

    /// <summary>
    /// The fused backward takes act' from the pre-activation it recomputes from x; it must be, bit for
    /// bit, the unfused pair's: the activation backward from the forward's output, then BN's backward.
    /// Channel 0 is constant with β 0, so its pre-activations are exactly 0 (output 0: the slope side).
    /// </summary>
    [Theory]
    [InlineData(3, 3, 17, Activation.ReLU, 0f)]
    [InlineData(2, 4, 49, Activation.LeakyReLU, 0.2f)]
    [InlineData(4, 2, 1, Activation.LeakyReLU, 0.01f)]
    public void BatchNorm2d_fused_backward_is_the_unfused_pair_bit_for_bit(int n, int c, int plane, Activation act, float alpha)
    {
        var rng = new Random(n * 100 + plane);
        var x = Uniform(rng, n * c * plane, -1, 1); var dy = Uniform(rng, x.Length);
        for (int i = 0; i < n; i++) Array.Fill(x, 0.375f, i * c * plane, plane);
        var gamma = Uniform(rng, c, 0.5, 1.5); var beta = Uniform(rng, c, -0.5, 0.5);
        beta[0] = 0;
        var rm = new float[c]; var rv = new float[c];
        var y = NaNs(x.Length); var mean = NaNs(c); var inv = NaNs(c);
        var dxFused = NaNs(x.Length); var dxPair = NaNs(x.Length);
        var dgF = NaNs(c); var dbF = NaNs(c); var dgP = NaNs(c); var dbP = NaNs(c);
        var dyPre = new float[x.Length];
        fixed (float* px = x, pdy = dy, pg = gamma, pb = beta, prm = rm, prv = rv, py = y, pm = mean, pi = inv,
            pdxf = dxFused, pdxp = dxPair, pdgf = dgF, pdbf = dbF, pdgp = dgP, pdbp = dbP, pdyp = dyPre)
        {
            CpuBatchNorm2d.ForwardTrain(px, pg, pb, prm, prv, py, pm, pi, n, c, plane, 0.1f, 1e-5f, 2, (int)act, alpha);
            CpuBatchNorm2d.Backward(px, pdy, pg, pm, pi, pdxf, pdgf, pdbf, n, c, plane, false, 2, pb, (int)act, alpha);
            for (int i = 0; i < x.Length; i++) dyPre[i] = dy[i] * ActivationKernels.DerivativeFromOutput((int)act, y[i], alpha);
            CpuBatchNorm2d.Backward(px, pdyp, pg, pm, pi, pdxp, pdgp, pdbp, n, c, plane, false, 2);
        }
        Assert.Contains(y, v => v == 0f);
        Assert.Equal(dxPair, dxFused);
        Assert.Equal(dgP, dgF);
        Assert.Equal(dbP, dbF);
    }

    static void CheckBatchNorm(int n, int c, int plane, int threads, double lo, double hi, double meanTolerance,
        Activation act = Activation.Identity, float alpha = 0f)
    {
        var rng = new Random(n * 1000 + c * 10 + plane);
        var x = Uniform(rng, n * c * plane, lo, hi);
        var dy = Uniform(rng, x.Length);
        var gamma = Uniform(rng, c, 0.5, 1.5); var beta = Uniform(rng, c);
        var rm = Uniform(rng, c); var rv = Uniform(rng, c, 0.5, 2);
        var rmIn = (float[])rm.Clone(); var rvIn = (float[])rv.Clone();
        var y = NaNs(x.Length); var yEval = NaNs(x.Length); var dx = NaNs(x.Length);
        var mean = NaNs(c); var inv = NaNs(c);
        var dg = Uniform(rng, c); var dbt = Uniform(rng, c);
        var dgIn = (float[])dg.Clone(); var dbIn = (float[])dbt.Clone();
        const float momentum = 0.1f, eps = 1e-5f;
        fixed (float* px = x, pdy = dy, pg = gamma, pb = beta, prm = rm, prv = rv, py = y, pye = yEval, pdx = dx, pm = mean, pi = inv, pdg = dg, pdb = dbt)
        {
            CpuBatchNorm2d.ForwardTrain(px, pg, pb, prm, prv, py, pm, pi, n, c, plane, momentum, eps, threads, (int)act, alpha);
            CpuBatchNorm2d.ForwardEval(px, pg, pb, prm, prv, pye, n, c, plane, eps, threads, (int)act, alpha);
            CpuBatchNorm2d.Backward(px, pdy, pg, pm, pi, pdx, pdg, pdb, n, c, plane, accumulate: true, threads, pb, (int)act, alpha);
        }
        var want = BatchNorm2dKernels.ForwardTrainReference(x, gamma, beta, rmIn, rvIn, n, c, plane, momentum, eps);
        double[] Act(double[] v) => v.Select(z => ActivationKernels.ApplyReference(act, z, alpha)).ToArray();
        string at = $"({n},{c},{plane}) threads={threads} {act}";
        Near($"train y {at}", y, Act(want.Y), meanTolerance);
        Near($"saved mean {at}", mean, want.Mean);
        Near($"saved invstd {at}", inv, want.InvStd, 1e-4);
        Near($"running mean {at}", rm, want.RunningMean);
        Near($"running var {at}", rv, want.RunningVar);
        Near($"eval y {at}", yEval, Act(BatchNorm2dKernels.ForwardEvalReference(x, gamma, beta, rm, rv, c, plane, eps)));
        var dyPre = dy.Select((g, i) => (float)(g * ActivationKernels.DerivativeReference(act, want.Y[i], alpha))).ToArray();
        var (wdx, wdg, wdb) = BatchNorm2dKernels.BackwardReference(x, dyPre, gamma, n, c, plane, eps);
        Near($"dx {at}", dx, wdx, Math.Max(1e-4, meanTolerance));
        Near($"dgamma (accumulated) {at}", dg, Plus(wdg, dgIn), Math.Max(1e-4, meanTolerance));
        Near($"dbeta (accumulated) {at}", dbt, Plus(wdb, dbIn));
    }
}
