using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>Problem and tile shape of one GEMM launch; passed by value to the kernel.</summary>
public struct GemmArgs
{
    public int M, N, K;
    /// <summary>1 when A is stored K×M (we multiply by Aᵀ), 0 when it is M×K.</summary>
    public int TransA;
    /// <summary>1 when B is stored N×K (we multiply by Bᵀ), 0 when it is K×N.</summary>
    public int TransB;
    /// <summary>1: C += op(A)·op(B); 0: C = op(A)·op(B).</summary>
    public int Accumulate;
    /// <summary>Threads along N and M in a group; each thread owns a 4×4 block of C.</summary>
    public int Tx, Ty;
    /// <summary>Depth of the K slice staged in shared memory per iteration.</summary>
    public int Bk;

    public readonly int TileM => 4 * Ty;
    public readonly int TileN => 4 * Tx;
    public readonly int SharedFloats => Bk * (TileM + TileN);
}

/// <summary>
/// Row-major single-precision GEMM, C[M,N] (+)= op(A)·op(B), in the three forms backward needs:
/// A·B (dX = dY·W), A·Bᵀ (Y = X·Wᵀ) and Aᵀ·B (dW = dYᵀ·X).
///
/// Each group computes a TileM×TileN block of C. Per K slice, the group stages op(A) and op(B)
/// into shared memory (transposing on the way in, so the inner loop is the same for every form),
/// then each thread accumulates a 4×4 register block. Thread (tx, ty) owns rows ty + i·Ty and
/// columns tx + j·Tx: strided ownership keeps the shared-memory reads of a warp on distinct banks
/// and the final stores coalesced. Out-of-range rows, columns and K entries are staged as zeros,
/// so any M, N, K works.
/// </summary>
public static class GemmKernels
{
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int tileM = 4 * p.Ty, tileN = 4 * p.Tx, bk = p.Bk;
        int aOff = 0, bOff = bk * tileM;
        int threads = p.Tx * p.Ty;
        int tid = Group.IdxX;
        int tx = tid % p.Tx, ty = tid / p.Tx;
        int m0 = Grid.IdxY * tileM, n0 = Grid.IdxX * tileN;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < p.K; k0 += bk)
        {
            // Stage op(A)[m0.., k0..] as As[kk, mm]; walk the stored layout's fast axis with tid so
            // global reads are coalesced in both forms.
            for (int i = tid; i < bk * tileM; i += threads)
            {
                int kk, mm;
                if (p.TransA != 0) { mm = i % tileM; kk = i / tileM; }
                else { kk = i % bk; mm = i / bk; }
                int gm = m0 + mm, gk = k0 + kk;
                float v = 0f;
                if (gm < p.M && gk < p.K)
                    v = p.TransA != 0 ? a[gk * p.M + gm] : a[gm * p.K + gk];
                shared[aOff + kk * tileM + mm] = v;
            }
            // Stage op(B)[k0.., n0..] as Bs[kk, nn].
            for (int i = tid; i < bk * tileN; i += threads)
            {
                int kk, nn;
                if (p.TransB != 0) { kk = i % bk; nn = i / bk; }
                else { nn = i % tileN; kk = i / tileN; }
                int gn = n0 + nn, gk = k0 + kk;
                float v = 0f;
                if (gn < p.N && gk < p.K)
                    v = p.TransB != 0 ? b[gn * p.K + gk] : b[gk * p.N + gn];
                shared[bOff + kk * tileN + nn] = v;
            }
            Group.Barrier();

            int kEnd = bk;
            if (p.K - k0 < kEnd) kEnd = p.K - k0;
            for (int kk = 0; kk < kEnd; kk++)
            {
                int ar = aOff + kk * tileM + ty, br = bOff + kk * tileN + tx;
                float a0 = shared[ar], a1 = shared[ar + p.Ty], a2 = shared[ar + 2 * p.Ty], a3 = shared[ar + 3 * p.Ty];
                float b0 = shared[br], b1 = shared[br + p.Tx], b2 = shared[br + 2 * p.Tx], b3 = shared[br + 3 * p.Tx];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        Row(c, p, m0 + ty, n0 + tx, c00, c01, c02, c03);
        Row(c, p, m0 + ty + p.Ty, n0 + tx, c10, c11, c12, c13);
        Row(c, p, m0 + ty + 2 * p.Ty, n0 + tx, c20, c21, c22, c23);
        Row(c, p, m0 + ty + 3 * p.Ty, n0 + tx, c30, c31, c32, c33);
    }

    static void Row(ArrayView<float> c, GemmArgs p, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (m >= p.M) return;
        int row = m * p.N;
        Store(c, p, row, n, v0);
        Store(c, p, row, n + p.Tx, v1);
        Store(c, p, row, n + 2 * p.Tx, v2);
        Store(c, p, row, n + 3 * p.Tx, v3);
    }

    static void Store(ArrayView<float> c, GemmArgs p, int row, int n, float v)
    {
        if (n >= p.N) return;
        c[row + n] = p.Accumulate != 0 ? c[row + n] + v : v;
    }

    /// <summary>float64 reference: C (+)= op(A)·op(B) with the same storage conventions.</summary>
    public static double[] Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> cIn,
        int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? cIn[i * n + j] : 0.0;
                for (int t = 0; t < k; t++)
                {
                    double av = transA ? a[t * m + i] : a[i * k + t];
                    double bv = transB ? b[j * k + t] : b[t * n + j];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        return c;
    }
}
