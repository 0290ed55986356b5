using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace IlgpuGan.Engine.Backends.Cpu;

// Small C over a long k with both operands contiguous along k (C = A·Bᵀ, A m×k and B n×k row-major):
// a conv's weight gradient at the 14×14 layers (dW 64×16 = dy_cm·colsᵀ over k = batch·positions =
// 12,544). The tile kernel would pack (transpose) B and fill only half of its 32-wide tile with
// N = 16; here every output is a dot product of two rows, computed in 4×4 blocks of outputs with
// vectors along k: 8 loads per 16 FMAs, no packing at all, and the rows of each k-block stay in L1/L2.
public static unsafe partial class CpuGemm
{
    /// <summary>Rows (and columns) of C per dot-product block.</summary>
    const int DotBlock = 4;
    /// <summary>Floats of k per block: 8 rows of 8 KB stream from L2 while each block's 16 sums are reduced once.</summary>
    const int DotKc = 2048;

    /// <summary>
    /// Whether C = A·Bᵀ (both stored along k) is better computed as dot products: C small and narrow
    /// (the tile kernel would waste lanes and pack B), k long enough to amortise the reductions.
    /// </summary>
    static bool UseDot(int m, int n, int k, bool transA, bool transB, Isa isa) =>
        isa == Isa.V512 && !transA && transB && Math.Min(m, n) <= 16 && (long)m * n <= 4096 && k >= 1024;

    static Job PlanDot(float* a, float* b, float* c, int m, int n, int k, bool accumulate, Isa isa) => new()
    {
        A = a, B = b, C = c, Lda = k, Ldb = k, Ldc = n, ARows = true, BRows = false, Accumulate = accumulate,
        M = m, N = n, K = k, Isa = isa, Mr = DotBlock, Nr = DotBlock, Dot = true,
    };

    /// <summary>Cuts a dot-product job along M into a few chunks per thread; false when it is better left on one thread.</summary>
    static bool PartitionDot(ref Job job, int workers)
    {
        int panels = (job.M + DotBlock - 1) / DotBlock;
        int chunks = Math.Min(panels, ChunksPerWorker * workers);
        if (chunks > workers) chunks -= chunks % workers;
        if (chunks < 2) return false;
        job.SplitM = true;
        job.ChunkPanels = panels;
        job.Chunks = chunks;
        return true;
    }

    /// <summary>Rows [m0, m1) of a dot-product job (m0 a multiple of <see cref="DotBlock"/>: each output is computed the same way whatever the cut).</summary>
    static void DotBody(ref Job job, int m0, int m1)
    {
        float* a = job.A, b = job.B, c = job.C;
        nint lda = job.Lda, ldb = job.Ldb, ldc = job.Ldc;
        int n = job.N;
        for (int pc = 0; pc < job.K; pc += DotKc)
        {
            int kc = Math.Min(DotKc, job.K - pc);
            bool acc = job.Accumulate || pc > 0;
            for (int i = m0; i < m1; i += DotBlock)
            {
                int h = Math.Min(DotBlock, m1 - i);
                for (int j = 0; j < n; j += DotBlock)
                {
                    int w = Math.Min(DotBlock, n - j);
                    float* ai = a + i * lda + pc, bj = b + j * ldb + pc, cij = c + i * ldc + j;
                    if (h == DotBlock && w == DotBlock)
                    {
                        Dot4x4(ai, lda, bj, ldb, kc, cij, ldc, acc);
                        continue;
                    }
                    for (int ii = 0; ii < h; ii++)
                        for (int jj = 0; jj < w; jj++)
                        {
                            float d = Dot(job.Isa, ai + ii * lda, bj + jj * ldb, kc);
                            float* o = cij + ii * ldc + jj;
                            *o = acc ? *o + d : d;
                        }
                }
            }
        }
    }

    /// <summary>C[i, j] (+)= Σ_p a[i·lda + p]·b[j·ldb + p] for a 4×4 block, p &lt; kc (16 zmm accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Dot4x4(float* a, nint lda, float* b, nint ldb, int kc, float* c, nint ldc, bool acc)
    {
        var s00 = Vector512<float>.Zero; var s01 = s00; var s02 = s00; var s03 = s00;
        var s10 = s00; var s11 = s00; var s12 = s00; var s13 = s00;
        var s20 = s00; var s21 = s00; var s22 = s00; var s23 = s00;
        var s30 = s00; var s31 = s00; var s32 = s00; var s33 = s00;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int p = 0;
        for (; p + 16 <= kc; p += 16)
        {
            var x0 = Vector512.Load(a0 + p); var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p); var x3 = Vector512.Load(a3 + p);
            var y = Vector512.Load(b0 + p);
            s00 = Vector512.FusedMultiplyAdd(x0, y, s00); s10 = Vector512.FusedMultiplyAdd(x1, y, s10);
            s20 = Vector512.FusedMultiplyAdd(x2, y, s20); s30 = Vector512.FusedMultiplyAdd(x3, y, s30);
            y = Vector512.Load(b1 + p);
            s01 = Vector512.FusedMultiplyAdd(x0, y, s01); s11 = Vector512.FusedMultiplyAdd(x1, y, s11);
            s21 = Vector512.FusedMultiplyAdd(x2, y, s21); s31 = Vector512.FusedMultiplyAdd(x3, y, s31);
            y = Vector512.Load(b2 + p);
            s02 = Vector512.FusedMultiplyAdd(x0, y, s02); s12 = Vector512.FusedMultiplyAdd(x1, y, s12);
            s22 = Vector512.FusedMultiplyAdd(x2, y, s22); s32 = Vector512.FusedMultiplyAdd(x3, y, s32);
            y = Vector512.Load(b3 + p);
            s03 = Vector512.FusedMultiplyAdd(x0, y, s03); s13 = Vector512.FusedMultiplyAdd(x1, y, s13);
            s23 = Vector512.FusedMultiplyAdd(x2, y, s23); s33 = Vector512.FusedMultiplyAdd(x3, y, s33);
        }
        Put(c, acc, Vector512.Sum(s00) + Tail(a0, b0, p, kc));
        Put(c + 1, acc, Vector512.Sum(s01) + Tail(a0, b1, p, kc));
        Put(c + 2, acc, Vector512.Sum(s02) + Tail(a0, b2, p, kc));
        Put(c + 3, acc, Vector512.Sum(s03) + Tail(a0, b3, p, kc));
        c += ldc;
        Put(c, acc, Vector512.Sum(s10) + Tail(a1, b0, p, kc));
        Put(c + 1, acc, Vector512.Sum(s11) + Tail(a1, b1, p, kc));
        Put(c + 2, acc, Vector512.Sum(s12) + Tail(a1, b2, p, kc));
        Put(c + 3, acc, Vector512.Sum(s13) + Tail(a1, b3, p, kc));
        c += ldc;
        Put(c, acc, Vector512.Sum(s20) + Tail(a2, b0, p, kc));
        Put(c + 1, acc, Vector512.Sum(s21) + Tail(a2, b1, p, kc));
        Put(c + 2, acc, Vector512.Sum(s22) + Tail(a2, b2, p, kc));
        Put(c + 3, acc, Vector512.Sum(s23) + Tail(a2, b3, p, kc));
        c += ldc;
        Put(c, acc, Vector512.Sum(s30) + Tail(a3, b0, p, kc));
        Put(c + 1, acc, Vector512.Sum(s31) + Tail(a3, b1, p, kc));
        Put(c + 2, acc, Vector512.Sum(s32) + Tail(a3, b2, p, kc));
        Put(c + 3, acc, Vector512.Sum(s33) + Tail(a3, b3, p, kc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Put(float* c, bool acc, float v) => *c = acc ? *c + v : v;

    /// <summary>The products of a dot product past its last whole vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Tail(float* x, float* y, int p, int kc)
    {
        float s = 0f;
        for (; p < kc; p++) s += x[p] * y[p];
        return s;
    }
}
