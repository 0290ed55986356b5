using System.Runtime.CompilerServices;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;
using static IlgpuGan.Tests.Kernels.ConvShapes;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// The conv-family ILGPU kernels (<see cref="ConvKernels"/>, <see cref="BatchNorm2dKernels"/>) and
/// their composition with the backend's GEMM (<see cref="IlgpuConv"/>) against the float64
/// references, on the awkward shapes of <see cref="ConvShapes"/>. Written once, run per accelerator:
/// the simulator always, CUDA and OpenCL when present. Outputs start as NaN.
/// </summary>
public abstract class ConvKernelTests(BackendFixture fixture)
{
    // Kernel compilation dominates a test on the simulator: once per backend.
    static readonly ConditionalWeakTable<IBackend, IlgpuConvOps> Compiled = [];

    IlgpuBackend Backend => (IlgpuBackend)fixture.Backend;
    IlgpuConvOps Ops => Compiled.GetValue(Backend, b => new IlgpuConvOps((IlgpuBackend)b));

    Tensor Upload(float[] data)
    {
        var t = Tensor.Whole(Backend.Allocate<float>(data.Length));
        t.CopyFrom(data);
        return t;
    }

    Tensor Poisoned(int n)
    {
        var t = Tensor.Whole(Backend.Allocate<float>(n));
        Backend.Fill(t, float.NaN);
        return t;
    }

    static void Free(params Tensor[] ts)
    {
        foreach (var t in ts) t.Buffer.Dispose();
    }

    [Theory]
    [MemberData(nameof(ConvIndices), MemberType = typeof(ConvShapes))]
    public void Im2col_and_col2im_match_reference(int shape)
    {
        var a = Conv[shape].Args;
        var rng = new Random(shape);
        var image = Uniform(rng, a.N * a.ImC * a.ImH * a.ImW);
        var colsIn = Uniform(rng, a.Rows * a.Cols);
        var acc = Uniform(rng, image.Length);
        Tensor x = Upload(image), c = Poisoned(colsIn.Length), cIn = Upload(colsIn), back = Poisoned(image.Length), backAcc = Upload(acc);
        Ops.Im2Col(x, c, a);
        Ops.Col2Im(cIn, back, a, accumulate: false);
        Ops.Col2Im(cIn, backAcc, a, accumulate: true);
        Near($"im2col {Conv[shape]}", c.ToArray(), ConvReference.Im2Col(image, a), 0);
        var want = ConvReference.Col2Im(colsIn, a);
        Near($"col2im {Conv[shape]}", back.ToArray(), want);
        Near($"col2im accumulating {Conv[shape]}", backAcc.ToArray(), Plus(want, acc));
        Free(x, c, cIn, back, backAcc);
    }

    [Theory]
    [MemberData(nameof(ConvIndices), MemberType = typeof(ConvShapes))]
    public void Conv2d_matches_reference(int shape) => Check(Conv[shape]);

    [Theory]
    [MemberData(nameof(TransposedIndices), MemberType = typeof(ConvShapes))]
    public void ConvTranspose2d_matches_reference(int shape) => Check(Transposed[shape]);

    void Check(Conv2dGeometry g)
    {
        var rng = new Random(g.GetHashCode());
        var a = g.Args;
        bool t = g.Transposed;
        var xs = Uniform(rng, g.InputLength); var ws = Uniform(rng, g.WeightLength); var bs = Uniform(rng, g.COut);
        var dys = Uniform(rng, g.OutputLength); var dwIn = Uniform(rng, g.WeightLength); var dbIn = Uniform(rng, g.COut);
        using var conv = new IlgpuConv(Ops, g);
        Tensor x = Upload(xs), w = Upload(ws), b = Upload(bs), dy = Upload(dys);
        Tensor y = Poisoned(g.OutputLength), y0 = Poisoned(g.OutputLength), dx = Poisoned(g.InputLength);
        Tensor dw = Poisoned(g.WeightLength), dwAcc = Upload(dwIn), db = Poisoned(g.COut), dbAcc = Upload(dbIn);
        Tensor dx2 = Poisoned(g.InputLength), dw2 = Poisoned(g.WeightLength), dw3 = Upload(dwIn);
        // The combined backward right after a forward, then after an input gradient overwrote the columns.
        conv.Forward(x, w, b, y);
        conv.Backward(x, dy, w, dx2, dw2, columnsFromForward: true);
        conv.InputGrad(dy, w, dx);
        conv.Backward(x, dy, w, null, dw3, accumulateWeight: true, columnsFromForward: true);
        conv.Forward(x, w, b, y);
        conv.Forward(x, w, null, y0);
        conv.InputGrad(dy, w, dx);
        conv.WeightGrad(x, dy, dw);
        conv.WeightGrad(x, dy, dwAcc, accumulate: true);
        conv.BiasGrad(dy, db);
        conv.BiasGrad(dy, dbAcc, accumulate: true);
        string at = g.ToString();
        Near($"forward {at}", y.ToArray(), t ? ConvReference.ConvTranspose2dForward(xs, ws, bs, a) : ConvReference.Conv2dForward(xs, ws, bs, a));
        Near($"forward without bias {at}", y0.ToArray(), t ? ConvReference.ConvTranspose2dForward(xs, ws, null, a) : ConvReference.Conv2dForward(xs, ws, null, a));
        Near($"input grad {at}", dx.ToArray(), t ? ConvReference.ConvTranspose2dInputGrad(dys, ws, a) : ConvReference.Conv2dInputGrad(dys, ws, a));
        var wantDw = t ? ConvReference.ConvTranspose2dWeightGrad(xs, dys, a) : ConvReference.Conv2dWeightGrad(xs, dys, a);
        Near($"weight grad {at}", dw.ToArray(), wantDw);
        Near($"backward's input grad {at}", dx2.ToArray(), t ? ConvReference.ConvTranspose2dInputGrad(dys, ws, a) : ConvReference.Conv2dInputGrad(dys, ws, a));
        Near($"backward's weight grad {at}", dw2.ToArray(), wantDw);
        Near($"backward's accumulated weight grad {at}", dw3.ToArray(), Plus(wantDw, dwIn));
        Near($"accumulated weight grad {at}", dwAcc.ToArray(), Plus(wantDw, dwIn));
        var wantDb = t ? ConvReference.ConvTranspose2dBiasGrad(dys, a) : ConvReference.Conv2dBiasGrad(dys, a);
        Near($"bias grad {at}", db.ToArray(), wantDb);
        Near($"accumulated bias grad {at}", dbAcc.ToArray(), Plus(wantDb, dbIn));
        Free(x, w, b, dy, y, y0, dx, dw, dwAcc, db, dbAcc, dx2, dw2, dw3);
    }

    public static TheoryData<int, int, int> BatchNormShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (n, c, p) in BatchNorm) data.Add(n, c, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchNormShapes))]
    public void BatchNorm2d_matches_reference(int n, int c, int plane)
    {
        var rng = new Random(n * 1000 + c * 10 + plane);
        var xs = Uniform(rng, n * c * plane, 2, 5); var dys = Uniform(rng, xs.Length);
        var gs = Uniform(rng, c, 0.5, 1.5); var bs = Uniform(rng, c); var rms = Uniform(rng, c); var rvs = Uniform(rng, c, 0.5, 2);
        var dgIn = Uniform(rng, c); var dbIn = Uniform(rng, c);
        const float momentum = 0.1f, eps = 1e-5f;
        Tensor x = Upload(xs), dy = Upload(dys), g = Upload(gs), b = Upload(bs), rm = Upload(rms), rv = Upload(rvs);
        Tensor y = Poisoned(xs.Length), ye = Poisoned(xs.Length), dx = Poisoned(xs.Length), mean = Poisoned(c), inv = Poisoned(c);
        Tensor dg = Poisoned(c), db = Poisoned(c), dgAcc = Upload(dgIn), dbAcc = Upload(dbIn);
        Ops.BatchNorm2dTrain(x, g, b, rm, rv, y, mean, inv, n, c, plane, momentum, eps);
        var rmAfter = rm.ToArray(); var rvAfter = rv.ToArray();
        Ops.BatchNorm2dEval(x, g, b, rm, rv, ye, n, c, plane, eps);
        Ops.BatchNorm2dBackward(x, dy, g, mean, inv, dx, dg, db, n, c, plane, accumulate: false);
        Ops.BatchNorm2dBackward(x, dy, g, mean, inv, dx, dgAcc, dbAcc, n, c, plane, accumulate: true);
        var want = BatchNorm2dKernels.ForwardTrainReference(xs, gs, bs, rms, rvs, n, c, plane, momentum, eps);
        string at = $"({n},{c},{plane})";
        Near($"train y {at}", y.ToArray(), want.Y);
        Near($"saved mean {at}", mean.ToArray(), want.Mean);
        Near($"saved invstd {at}", inv.ToArray(), want.InvStd, 1e-4);
        Near($"running mean {at}", rmAfter, want.RunningMean);
        Near($"running var {at}", rvAfter, want.RunningVar);
        Near($"eval y {at}", ye.ToArray(), BatchNorm2dKernels.ForwardEvalReference(xs, gs, bs, rmAfter, rvAfter, c, plane, eps));
        var (wdx, wdg, wdb) = BatchNorm2dKernels.BackwardReference(xs, dys, gs, n, c, plane, eps);
        Near($"dx {at}", dx.ToArray(), wdx, 1e-4);
        Near($"dgamma {at}", dg.ToArray(), wdg, 1e-4);
        Near($"dbeta {at}", db.ToArray(), wdb);
        Near($"dgamma accumulated {at}", dgAcc.ToArray(), Plus(wdg, dgIn), 1e-4);
        Near($"dbeta accumulated {at}", dbAcc.ToArray(), Plus(wdb, dbIn));
        Free(x, dy, g, b, rm, rv, y, ye, dx, mean, inv, dg, db, dgAcc, dbAcc);
    }
}

public sealed class SimulatorConvKernelTests(SimulatorFixture f) : ConvKernelTests(f), IClassFixture<SimulatorFixture>;

/// <summary>The simulator with GPU-sized groups and the GPU GEMM planner's tiles and split-K plans.</summary>
public sealed class SimulatorGpuTilesConvKernelTests(SimulatorGpuTilesFixture f) : ConvKernelTests(f), IClassFixture<SimulatorGpuTilesFixture>;

public sealed class CudaConvKernelTests(CudaFixture f) : ConvKernelTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClConvKernelTests(OpenClFixture f) : ConvKernelTests(f), IClassFixture<OpenClFixture>;
