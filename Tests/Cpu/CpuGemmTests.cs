using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Kernels;

namespace IlgpuGan.Tests.Cpu;

/// <summary>
/// The managed GEMM against the float64 reference: edge shapes and seeded random ones, all four
/// storage forms, with and without accumulate, on one and two threads, for every kernel family
/// this machine can run.
/// </summary>
public sealed unsafe class CpuGemmTests
{
    static readonly (int M, int N, int K)[] FixedShapes =
    [
        (1, 1, 1), (7, 5, 3), (17, 33, 65), (64, 512, 784), (6, 32, 1), (13, 31, 0),
        // GAN-like corners: a matrix-vector product each way, a single output column, tall k.
        (64, 1, 64), (1, 64, 64), (64, 64, 1), (9, 40, 400), (1, 300, 257), (300, 1, 37), (2, 2, 2),
        // Several k-blocks and column blocks.
        (150, 700, 400),
        // Small C over a long k (a 14×14 conv layer's weight gradient): A·Bᵀ takes the dot-product
        // path; whole 4×4 blocks, ragged edges, a k with a partial vector and several k-blocks.
        (64, 16, 4100), (13, 7, 2053), (6, 30, 1024),
        // One side a whole number of tile rows but narrower than a tile (kept along M).
        (16, 1000, 64), (700, 24, 33),
        // A short k with a small side (a 14×14 conv layer's W·cols): the cost model chooses.
        (64, 1000, 16), (900, 40, 9), (100, 700, 64),
    ];

    static (int M, int N, int K)[] RandomShapes()
    {
        var rng = new Random(20240611);
        var shapes = new (int, int, int)[10];
        for (int i = 0; i < shapes.Length; i++) shapes[i] = (rng.Next(1, 301), rng.Next(1, 301), rng.Next(1, 301));
        // Make sure odd sizes that are no multiple of any tile show up.
        shapes[0] = (299, 257, 131);
        shapes[1] = (33, 287, 45);
        return shapes;
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (m, n, k) in FixedShapes) data.Add(m, n, k);
        foreach (var (m, n, k) in RandomShapes()) data.Add(m, n, k);
        return data;
    }

    static float[] Uniform(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    static IEnumerable<CpuGemm.Isa> Families()
    {
        yield return CpuGemm.BestIsa;
        if (CpuGemm.BestIsa > CpuGemm.Isa.V256) yield return CpuGemm.Isa.V256;
        if (CpuGemm.BestIsa > CpuGemm.Isa.V128) yield return CpuGemm.Isa.V128;
    }

    static void Check(int m, int n, int k, bool transA, bool transB, bool accumulate, int threads, CpuGemm.Isa isa,
        float[] a, float[] b, float[] cIn, double[] expected, long parallelMinFma)
    {
        var c = (float[])cIn.Clone();
        fixed (float* pa = a, pb = b, pc = c)
            CpuGemm.Gemm(pa, pb, pc, m, n, k, transA, transB, accumulate, threads, isa, parallelMinFma);
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(c[i] - expected[i]);
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            maxErr = Math.Max(maxErr, err);
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        double rel = maxErr / Math.Max(1, maxRef), tol = 2e-6 * Math.Sqrt(k) + 1e-6;
        Assert.True(rel <= tol,
            $"({m},{n},{k}) transA={transA} transB={transB} accumulate={accumulate} threads={threads} {isa}: relative error {rel:E2} > {tol:E2}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesReference(int m, int n, int k)
    {
        var rng = new Random(m * 1_000_003 + n * 1009 + k);
        var a = Uniform(rng, m * k);
        var b = Uniform(rng, k * n);
        var cAcc = Uniform(rng, m * n);
        var cNaN = new float[m * n];
        Array.Fill(cNaN, float.NaN);
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                {
                    var cIn = accumulate ? cAcc : cNaN;
                    var expected = GemmKernels.Reference(a, b, cIn, m, n, k, transA, transB, accumulate);
                    foreach (var isa in Families())
                        foreach (int threads in isa == CpuGemm.BestIsa ? new[] { 1, 2, 4 } : new[] { 1, 2 })
                        {
                            // Small shapes never reach the thread threshold on their own: lower it so
                            // two threads really split them.
                            long minFma = threads > 1 ? 1 : CpuGemm.DefaultParallelMinFma;
                            Check(m, n, k, transA, transB, accumulate, threads, isa, a, b, cIn, expected, minFma);
                        }
                    // The public entry point, with its own threading policy.
                    var c = (float[])cIn.Clone();
                    fixed (float* pa = a, pb = b, pc = c)
                        CpuGemm.Gemm(pa, pb, pc, m, n, k, transA, transB, accumulate, 2);
                    double maxErr = 0, maxRef = 0;
                    for (int i = 0; i < expected.Length; i++)
                    {
                        double err = Math.Abs(c[i] - expected[i]);
                        maxErr = Math.Max(maxErr, double.IsNaN(err) ? double.PositiveInfinity : err);
                        maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
                    }
                    Assert.True(maxErr / Math.Max(1, maxRef) <= 2e-6 * Math.Sqrt(k) + 1e-6);
                }
    }

    [Fact]
    public void ZeroSizesAreNoOpsOrClears()
    {
        var c = new float[12];
        Array.Fill(c, float.NaN);
        var a = new float[4];
        var b = new float[4];
        fixed (float* pa = a, pb = b, pc = c)
        {
            CpuGemm.Gemm(pa, pb, pc, 0, 3, 4, false, false, false, 2);
            CpuGemm.Gemm(pa, pb, pc, 3, 0, 4, false, true, false, 2);
            Assert.All(c, x => Assert.True(float.IsNaN(x)));
            // k = 0 with accumulate leaves C alone; without it, C = 0.
            Array.Fill(c, 1.5f);
            CpuGemm.Gemm(pa, pb, pc, 3, 4, 0, true, false, true, 2);
            Assert.All(c, x => Assert.Equal(1.5f, x));
            CpuGemm.Gemm(pa, pb, pc, 3, 4, 0, false, true, false, 2);
            Assert.All(c, x => Assert.Equal(0f, x));
        }
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        const int m = 96, n = 200, k = 300;
        var rng = new Random(7);
        var a = Uniform(rng, m * k);
        var b = Uniform(rng, k * n);
        var c = new float[m * n];
        fixed (float* pa = a, pb = b, pc = c)
        {
            All(pa, pb, pc); // first calls size the scratch buffers and start the worker
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) All(pa, pb, pc);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        static void All(float* pa, float* pb, float* pc)
        {
            for (int form = 0; form < 4; form++)
            {
                bool transA = (form & 1) != 0, transB = (form & 2) != 0;
                CpuGemm.Gemm(pa, pb, pc, m, n, k, transA, transB, false, 1);
                CpuGemm.Gemm(pa, pb, pc, m, n, k, transA, transB, true, 2, CpuGemm.BestIsa, 1);
            }
        }
    }

    [Fact]
    public void ConcurrentCallersGetCorrectResults()
    {
        // Two callers at once: one of them finds the workers busy and runs on its own thread.
        const int m = 70, n = 130, k = 90;
        var rng = new Random(11);
        var a = Uniform(rng, m * k);
        var b = Uniform(rng, k * n);
        var expected = GemmKernels.Reference(a, b, new float[m * n], m, n, k, false, true, false);
        Parallel.For(0, 4, _ =>
        {
            for (int rep = 0; rep < 20; rep++)
                Check(m, n, k, false, true, false, 2, CpuGemm.BestIsa, a, b, new float[m * n], expected, 1);
        });
    }
}
