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
    /// <summary>Threads along N and M in a group; each thread owns an 8×8 block of C.</summary>
    public int Tx, Ty;
    /// <summary>Depth of the K slice staged in shared memory per iteration.</summary>
    public int Bk;
    /// <summary>
    /// Depth of the K range one split covers (split-K): the group at grid z works on
    /// [z·KChunk, (z + 1)·KChunk) ∩ [0, K) and writes its partial C to slab z of the output view.
    /// Without split-K the grid has one z and KChunk ≥ K.
    /// </summary>
    public int KChunk;
    /// <summary>
    /// What happens to each output before it is stored (the Linear forward's bias and activation, or
    /// the input gradient's activation-derivative mask);
    /// off (all zero) for a plain GEMM. Only with Accumulate = 0, and never in a split-K partial:
    /// there <see cref="GemmKernels.SumSplits"/> applies it to the summed value.
    /// </summary>
    public GemmEpilogue Epilogue;

    public const int Micro = 8;
    public readonly int TileM => Micro * Ty;
    public readonly int TileN => Micro * Tx;
    public readonly int SharedFloats => Bk * (TileM + TileN);
}

/// <summary>
/// A GEMM epilogue, applied by the kernel that writes C, in one of two modes:
/// <see cref="BiasActivation"/>, out = act(v + bias[column]) (the Linear forward: Y = act(X·Wᵀ + b)
/// is one launch instead of a GEMM and a bias+activation pass over Y), and
/// <see cref="ActivationGrad"/>, out = v·act'(Y[row, column]) with Y an activation output of C's
/// shape (the Linear input gradient masked by the lower layer's activation: one launch instead of
/// a GEMM and an activation backward pass). The activation is numbered as <see cref="Activation"/>.
/// </summary>
public struct GemmEpilogue
{
    /// <summary>Modes: off, act(v + bias), v·act'(Y).</summary>
    public const int None = 0, BiasActivation = 1, ActivationGrad = 2;

    /// <summary><see cref="None"/>, <see cref="BiasActivation"/> or <see cref="ActivationGrad"/>.</summary>
    public int Mode;
    /// <summary>1: add bias[column] (the kernel's aux view) before the activation (<see cref="BiasActivation"/> only).</summary>
    public int HasBias;
    /// <summary>The activation, as <see cref="Activation"/>'s number; 0 is identity.</summary>
    public int Act;
    /// <summary>LeakyReLU's negative slope.</summary>
    public float Alpha;

    public readonly bool IsOn => Mode != None;

    public static GemmEpilogue For(bool hasBias, Activation act, float alpha) =>
        new() { Mode = hasBias || act != Activation.Identity ? BiasActivation : None, HasBias = hasBias ? 1 : 0, Act = (int)act, Alpha = alpha };

    /// <summary>out = v·act'(Y), Y the kernel's aux view; off for the identity, whose derivative is 1.</summary>
    public static GemmEpilogue Grad(Activation act, float alpha) =>
        new() { Mode = act != Activation.Identity ? ActivationGrad : None, Act = (int)act, Alpha = alpha };
}

/// <summary>Eight accumulators (or operands) of one thread, kept in registers.</summary>
public struct Acc8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    public void Fma(float a, Acc8 b)
    {
            V0 += a * b.V0;
            V1 += a * b.V1;
            V2 += a * b.V2;
            V3 += a * b.V3;
            V4 += a * b.V4;
            V5 += a * b.V5;
            V6 += a * b.V6;
            V7 += a * b.V7;
    }

    /// <summary>Eight values s[at], s[at + stride], …: a thread's strided share of a tile row.</summary>
    public static Acc8 Load(ArrayView<float> s, int at, int stride) => new() { V0 = s[at + 0 * stride], V1 = s[at + 1 * stride], V2 = s[at + 2 * stride], V3 = s[at + 3 * stride], V4 = s[at + 4 * stride], V5 = s[at + 5 * stride], V6 = s[at + 6 * stride], V7 = s[at + 7 * stride] };
}

/// <summary>
/// Row-major single-precision GEMM, C[M,N] (+)= op(A)·op(B), in the three forms backward needs:
/// A·B (dX = dY·W), A·Bᵀ (Y = X·Wᵀ) and Aᵀ·B (dW = dYᵀ·X).
///
/// Each group computes a TileM×TileN block of C. Per K slice, the group stages op(A) and op(B)
/// into shared memory (transposing on the way in, so the inner loop is the same for every form),
/// then each thread accumulates an 8×8 register block: 16 shared loads feed 64 FMAs. Thread
/// (tx, ty) owns rows ty + i·Ty and columns tx + j·Tx: strided ownership keeps the shared-memory
/// reads of a warp on distinct banks and the final stores coalesced. Out-of-range rows, columns
/// and K entries are staged as zeros, so any M, N, K works.
///
/// Split-K (grid z > 1): group z covers one K range and stores its partial product, unscaled and
/// without accumulating, to slab z of c (then a [splits, M, N] workspace);
/// <see cref="SumSplits"/> adds the slabs in a fixed order, so results stay deterministic.
///
/// Epilogue (<see cref="GemmArgs.Epilogue"/>): when on, each output becomes act(v + aux[column])
/// or v·act'(aux[row, column]) in the store loop. One uniform branch per store decides, so with it
/// off the stores are those of the plain kernel; the aux view is then never read (pass any valid view).
/// </summary>
public static partial class GemmKernels
{
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> aux, GemmArgs p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int tileM = p.TileM, tileN = p.TileN, bk = p.Bk;
        int aOff = 0, bOff = bk * tileM;
        int threads = p.Tx * p.Ty;
        int tid = Group.IdxX;
        int tx = tid % p.Tx, ty = tid / p.Tx;
        int m0 = Grid.IdxY * tileM, n0 = Grid.IdxX * tileN;
        int split = Grid.IdxZ;
        int kBegin = split * p.KChunk;
        int kStop = p.K - kBegin < p.KChunk ? p.K : kBegin + p.KChunk;
        Acc8 c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;

        for (int k0 = kBegin; k0 < kStop; k0 += bk)
        {
            // Stage op(A)[m0.., k0..] as As[kk, mm]; tid walks the stored layout's fast axis so
            // global reads are coalesced in both forms.
            for (int i = tid; i < bk * tileM; i += threads)
            {
                int kk, mm;
                if (p.TransA != 0) { mm = i % tileM; kk = i / tileM; }
                else { kk = i % bk; mm = i / bk; }
                int gm = m0 + mm, gk = k0 + kk;
                float v = 0f;
                if (gm < p.M && gk < kStop)
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
                if (gn < p.N && gk < kStop)
                    v = p.TransB != 0 ? b[gn * p.K + gk] : b[gk * p.N + gn];
                shared[bOff + kk * tileN + nn] = v;
            }
            Group.Barrier();

            int kEnd = bk;
            if (kStop - k0 < kEnd) kEnd = kStop - k0;
            for (int kk = 0; kk < kEnd; kk++)
            {
                var av = Acc8.Load(shared, aOff + kk * tileM + ty, p.Ty);
                var bv = Acc8.Load(shared, bOff + kk * tileN + tx, p.Tx);
                c0.Fma(av.V0, bv);
                c1.Fma(av.V1, bv);
                c2.Fma(av.V2, bv);
                c3.Fma(av.V3, bv);
                c4.Fma(av.V4, bv);
                c5.Fma(av.V5, bv);
                c6.Fma(av.V6, bv);
                c7.Fma(av.V7, bv);
            }
            Group.Barrier();
        }

        // Slab 0 is C itself without split-K; with it, slab z of the workspace.
        int slab = split * p.M * p.N;
        // The bias of this thread's eight columns, read once for its eight rows.
        Acc8 b8 = p.Epilogue.HasBias != 0 ? ColumnBias(aux, p, n0 + tx) : default;
        Row(c, aux, p, slab, m0 + ty + 0 * p.Ty, n0 + tx, c0, b8);
        Row(c, aux, p, slab, m0 + ty + 1 * p.Ty, n0 + tx, c1, b8);
        Row(c, aux, p, slab, m0 + ty + 2 * p.Ty, n0 + tx, c2, b8);
        Row(c, aux, p, slab, m0 + ty + 3 * p.Ty, n0 + tx, c3, b8);
        Row(c, aux, p, slab, m0 + ty + 4 * p.Ty, n0 + tx, c4, b8);
        Row(c, aux, p, slab, m0 + ty + 5 * p.Ty, n0 + tx, c5, b8);
        Row(c, aux, p, slab, m0 + ty + 6 * p.Ty, n0 + tx, c6, b8);
        Row(c, aux, p, slab, m0 + ty + 7 * p.Ty, n0 + tx, c7, b8);
    }

    /// <summary>bias[n], bias[n + Tx], …: the columns a thread owns; 0 past N.</summary>
    static Acc8 ColumnBias(ArrayView<float> bias, GemmArgs p, int n) => new()
    {
        V0 = BiasAt(bias, p, n + 0 * p.Tx), V1 = BiasAt(bias, p, n + 1 * p.Tx), V2 = BiasAt(bias, p, n + 2 * p.Tx), V3 = BiasAt(bias, p, n + 3 * p.Tx),
        V4 = BiasAt(bias, p, n + 4 * p.Tx), V5 = BiasAt(bias, p, n + 5 * p.Tx), V6 = BiasAt(bias, p, n + 6 * p.Tx), V7 = BiasAt(bias, p, n + 7 * p.Tx),
    };

    static float BiasAt(ArrayView<float> bias, GemmArgs p, int n) => n < p.N ? bias[n] : 0f;

    static void Row(ArrayView<float> c, ArrayView<float> aux, GemmArgs p, int slab, int m, int n, Acc8 v, Acc8 bias)
    {
        if (m >= p.M) return;
        int row = slab + m * p.N;
        Store(c, aux, p, row, n + 0 * p.Tx, v.V0, bias.V0);
        Store(c, aux, p, row, n + 1 * p.Tx, v.V1, bias.V1);
        Store(c, aux, p, row, n + 2 * p.Tx, v.V2, bias.V2);
        Store(c, aux, p, row, n + 3 * p.Tx, v.V3, bias.V3);
        Store(c, aux, p, row, n + 4 * p.Tx, v.V4, bias.V4);
        Store(c, aux, p, row, n + 5 * p.Tx, v.V5, bias.V5);
        Store(c, aux, p, row, n + 6 * p.Tx, v.V6, bias.V6);
        Store(c, aux, p, row, n + 7 * p.Tx, v.V7, bias.V7);
    }

    /// <remarks>With the epilogue on there is no split (the partials are plain), so the slab is 0
    /// and row + n is also the element's index in the [M, N] aux view.</remarks>
    static void Store(ArrayView<float> c, ArrayView<float> aux, GemmArgs p, int row, int n, float v, float bias)
    {
        if (n >= p.N) return;
        if (p.Epilogue.IsOn) v = Epilogue(p.Epilogue, v, bias, aux, row + n);
        c[row + n] = p.Accumulate != 0 ? c[row + n] + v : v;
    }

    /// <summary>
    /// act(v + bias), the bias 0 when the epilogue has none; or, in <see cref="GemmEpilogue.ActivationGrad"/>
    /// mode, v·act'(aux[at]) with aux the activation output. aux is read only in that mode.
    /// </summary>
    static float Epilogue(GemmEpilogue e, float v, float bias, ArrayView<float> aux, int at) =>
        e.Mode == GemmEpilogue.ActivationGrad
            ? v * ActivationKernels.DerivativeFromOutput(e.Act, aux[at], e.Alpha)
            : ActivationKernels.Apply(e.Act, v + bias, e.Alpha);

    /// <summary>float64 reference of the Linear input gradient: dx = (dy·W) ⊙ act'(y), act' from the output y (null: no mask).</summary>
    public static double[] LinearInputGradReference(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, ReadOnlySpan<float> maskOutput,
        int rows, int inFeatures, int outFeatures, Activation act, float alpha)
    {
        var dx = Reference(dy, w, default, rows, inFeatures, outFeatures, transA: false, transB: false, accumulate: false);
        if (maskOutput.IsEmpty) return dx;
        var ones = new float[dx.Length];
        Array.Fill(ones, 1f);
        var mask = ActivationKernels.ActivationBackwardReference(maskOutput, ones, act, alpha);
        for (int i = 0; i < dx.Length; i++) dx[i] *= mask[i];
        return dx;
    }

    /// <summary>float64 reference of the Linear forward: y[r, o] = act(Σ_i x[r, i]·W[o, i] + b[o]); bias may be empty.</summary>
    public static double[] LinearForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        int rows, int outFeatures, int inFeatures, Activation act, float alpha)
    {
        var y = Reference(x, w, default, rows, outFeatures, inFeatures, transA: false, transB: true, accumulate: false);
        for (int i = 0; i < y.Length; i++)
            y[i] = ActivationKernels.ApplyReference(act, y[i] + (bias.IsEmpty ? 0.0 : bias[i % outFeatures]), alpha);
        return y;
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
