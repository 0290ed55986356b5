// Register micro-kernels for CpuGemm, one per SIMD width (written out in full: the JIT keeps
// every accumulator in a register only when each is a separate local).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace IlgpuGan.Engine.Backends.Cpu;

public static unsafe partial class CpuGemm
{
    // Every kernel computes one MR×NR tile: C[i, j] (+)= Σ_p A[i, p]·B[p, j] for p < kc, where
    // A[i, p] = a[i·rs + p·aStep] (packed panel: rs = 1, aStep = MR; raw row-major rows: rs = lda,
    // aStep = 1; raw column-major: rs = 1, aStep = lda) and B[p, j..j+NR) = b[p·bStep ..] (contiguous
    // along j). The tile is written to c with row stride ldc; acc adds it to what is there.

    /// <summary>AVX-512: 8×32 tile, 16 zmm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel512(float* a, nint rs, nint aStep, float* b, nint bStep, int kc, float* c, nint ldc, bool acc)
    {
        var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
        nint r3 = rs * 3;
        float* a0 = a + 0 * rs;
        float* a1 = a + 4 * rs;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var x0 = Vector512.Create(*(a0)); c0_0 = Vector512.FusedMultiplyAdd(x0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(x0, b1, c0_1);
            var x1 = Vector512.Create(*(a0 + rs)); c1_0 = Vector512.FusedMultiplyAdd(x1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(x1, b1, c1_1);
            var x2 = Vector512.Create(*(a0 + 2 * rs)); c2_0 = Vector512.FusedMultiplyAdd(x2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(x2, b1, c2_1);
            var x3 = Vector512.Create(*(a0 + r3)); c3_0 = Vector512.FusedMultiplyAdd(x3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(x3, b1, c3_1);
            var x4 = Vector512.Create(*(a1)); c4_0 = Vector512.FusedMultiplyAdd(x4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(x4, b1, c4_1);
            var x5 = Vector512.Create(*(a1 + rs)); c5_0 = Vector512.FusedMultiplyAdd(x5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(x5, b1, c5_1);
            var x6 = Vector512.Create(*(a1 + 2 * rs)); c6_0 = Vector512.FusedMultiplyAdd(x6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(x6, b1, c6_1);
            var x7 = Vector512.Create(*(a1 + r3)); c7_0 = Vector512.FusedMultiplyAdd(x7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(x7, b1, c7_1);
            a0 += aStep; a1 += aStep; b += bStep;
        }
        if (acc)
        {
            { float* r = c + 0 * ldc; Vector512.Store(Vector512.Load(r + 0) + c0_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c0_1, r + 16); }
            { float* r = c + 1 * ldc; Vector512.Store(Vector512.Load(r + 0) + c1_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c1_1, r + 16); }
            { float* r = c + 2 * ldc; Vector512.Store(Vector512.Load(r + 0) + c2_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c2_1, r + 16); }
            { float* r = c + 3 * ldc; Vector512.Store(Vector512.Load(r + 0) + c3_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c3_1, r + 16); }
            { float* r = c + 4 * ldc; Vector512.Store(Vector512.Load(r + 0) + c4_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c4_1, r + 16); }
            { float* r = c + 5 * ldc; Vector512.Store(Vector512.Load(r + 0) + c5_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c5_1, r + 16); }
            { float* r = c + 6 * ldc; Vector512.Store(Vector512.Load(r + 0) + c6_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c6_1, r + 16); }
            { float* r = c + 7 * ldc; Vector512.Store(Vector512.Load(r + 0) + c7_0, r + 0); Vector512.Store(Vector512.Load(r + 16) + c7_1, r + 16); }
        }
        else
        {
            { float* r = c + 0 * ldc; Vector512.Store(c0_0, r + 0); Vector512.Store(c0_1, r + 16); }
            { float* r = c + 1 * ldc; Vector512.Store(c1_0, r + 0); Vector512.Store(c1_1, r + 16); }
            { float* r = c + 2 * ldc; Vector512.Store(c2_0, r + 0); Vector512.Store(c2_1, r + 16); }
            { float* r = c + 3 * ldc; Vector512.Store(c3_0, r + 0); Vector512.Store(c3_1, r + 16); }
            { float* r = c + 4 * ldc; Vector512.Store(c4_0, r + 0); Vector512.Store(c4_1, r + 16); }
            { float* r = c + 5 * ldc; Vector512.Store(c5_0, r + 0); Vector512.Store(c5_1, r + 16); }
            { float* r = c + 6 * ldc; Vector512.Store(c6_0, r + 0); Vector512.Store(c6_1, r + 16); }
            { float* r = c + 7 * ldc; Vector512.Store(c7_0, r + 0); Vector512.Store(c7_1, r + 16); }
        }
    }

    /// <summary>AVX2 (+FMA): 6×16 tile, 12 ymm accumulators (16 registers in all).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel256(float* a, nint rs, nint aStep, float* b, nint bStep, int kc, float* c, nint ldc, bool acc)
    {
        var c0_0 = Vector256<float>.Zero; var c0_1 = Vector256<float>.Zero;
        var c1_0 = Vector256<float>.Zero; var c1_1 = Vector256<float>.Zero;
        var c2_0 = Vector256<float>.Zero; var c2_1 = Vector256<float>.Zero;
        var c3_0 = Vector256<float>.Zero; var c3_1 = Vector256<float>.Zero;
        var c4_0 = Vector256<float>.Zero; var c4_1 = Vector256<float>.Zero;
        var c5_0 = Vector256<float>.Zero; var c5_1 = Vector256<float>.Zero;
        nint r3 = rs * 3;
        float* a0 = a + 0 * rs;
        float* a1 = a + 4 * rs;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(*(a0)); c0_0 = Vector256.MultiplyAddEstimate(x0, b0, c0_0); c0_1 = Vector256.MultiplyAddEstimate(x0, b1, c0_1);
            var x1 = Vector256.Create(*(a0 + rs)); c1_0 = Vector256.MultiplyAddEstimate(x1, b0, c1_0); c1_1 = Vector256.MultiplyAddEstimate(x1, b1, c1_1);
            var x2 = Vector256.Create(*(a0 + 2 * rs)); c2_0 = Vector256.MultiplyAddEstimate(x2, b0, c2_0); c2_1 = Vector256.MultiplyAddEstimate(x2, b1, c2_1);
            var x3 = Vector256.Create(*(a0 + r3)); c3_0 = Vector256.MultiplyAddEstimate(x3, b0, c3_0); c3_1 = Vector256.MultiplyAddEstimate(x3, b1, c3_1);
            var x4 = Vector256.Create(*(a1)); c4_0 = Vector256.MultiplyAddEstimate(x4, b0, c4_0); c4_1 = Vector256.MultiplyAddEstimate(x4, b1, c4_1);
            var x5 = Vector256.Create(*(a1 + rs)); c5_0 = Vector256.MultiplyAddEstimate(x5, b0, c5_0); c5_1 = Vector256.MultiplyAddEstimate(x5, b1, c5_1);
            a0 += aStep; a1 += aStep; b += bStep;
        }
        if (acc)
        {
            { float* r = c + 0 * ldc; Vector256.Store(Vector256.Load(r + 0) + c0_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c0_1, r + 8); }
            { float* r = c + 1 * ldc; Vector256.Store(Vector256.Load(r + 0) + c1_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c1_1, r + 8); }
            { float* r = c + 2 * ldc; Vector256.Store(Vector256.Load(r + 0) + c2_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c2_1, r + 8); }
            { float* r = c + 3 * ldc; Vector256.Store(Vector256.Load(r + 0) + c3_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c3_1, r + 8); }
            { float* r = c + 4 * ldc; Vector256.Store(Vector256.Load(r + 0) + c4_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c4_1, r + 8); }
            { float* r = c + 5 * ldc; Vector256.Store(Vector256.Load(r + 0) + c5_0, r + 0); Vector256.Store(Vector256.Load(r + 8) + c5_1, r + 8); }
        }
        else
        {
            { float* r = c + 0 * ldc; Vector256.Store(c0_0, r + 0); Vector256.Store(c0_1, r + 8); }
            { float* r = c + 1 * ldc; Vector256.Store(c1_0, r + 0); Vector256.Store(c1_1, r + 8); }
            { float* r = c + 2 * ldc; Vector256.Store(c2_0, r + 0); Vector256.Store(c2_1, r + 8); }
            { float* r = c + 3 * ldc; Vector256.Store(c3_0, r + 0); Vector256.Store(c3_1, r + 8); }
            { float* r = c + 4 * ldc; Vector256.Store(c4_0, r + 0); Vector256.Store(c4_1, r + 8); }
            { float* r = c + 5 * ldc; Vector256.Store(c5_0, r + 0); Vector256.Store(c5_1, r + 8); }
        }
    }

    /// <summary>128-bit SIMD (SSE, NEON): 4×8 tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel128(float* a, nint rs, nint aStep, float* b, nint bStep, int kc, float* c, nint ldc, bool acc)
    {
        var c0_0 = Vector128<float>.Zero; var c0_1 = Vector128<float>.Zero;
        var c1_0 = Vector128<float>.Zero; var c1_1 = Vector128<float>.Zero;
        var c2_0 = Vector128<float>.Zero; var c2_1 = Vector128<float>.Zero;
        var c3_0 = Vector128<float>.Zero; var c3_1 = Vector128<float>.Zero;
        nint r3 = rs * 3;
        float* a0 = a + 0 * rs;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b + 0);
            var b1 = Vector128.Load(b + 4);
            var x0 = Vector128.Create(*(a0)); c0_0 = Vector128.MultiplyAddEstimate(x0, b0, c0_0); c0_1 = Vector128.MultiplyAddEstimate(x0, b1, c0_1);
            var x1 = Vector128.Create(*(a0 + rs)); c1_0 = Vector128.MultiplyAddEstimate(x1, b0, c1_0); c1_1 = Vector128.MultiplyAddEstimate(x1, b1, c1_1);
            var x2 = Vector128.Create(*(a0 + 2 * rs)); c2_0 = Vector128.MultiplyAddEstimate(x2, b0, c2_0); c2_1 = Vector128.MultiplyAddEstimate(x2, b1, c2_1);
            var x3 = Vector128.Create(*(a0 + r3)); c3_0 = Vector128.MultiplyAddEstimate(x3, b0, c3_0); c3_1 = Vector128.MultiplyAddEstimate(x3, b1, c3_1);
            a0 += aStep; b += bStep;
        }
        if (acc)
        {
            { float* r = c + 0 * ldc; Vector128.Store(Vector128.Load(r + 0) + c0_0, r + 0); Vector128.Store(Vector128.Load(r + 4) + c0_1, r + 4); }
            { float* r = c + 1 * ldc; Vector128.Store(Vector128.Load(r + 0) + c1_0, r + 0); Vector128.Store(Vector128.Load(r + 4) + c1_1, r + 4); }
            { float* r = c + 2 * ldc; Vector128.Store(Vector128.Load(r + 0) + c2_0, r + 0); Vector128.Store(Vector128.Load(r + 4) + c2_1, r + 4); }
            { float* r = c + 3 * ldc; Vector128.Store(Vector128.Load(r + 0) + c3_0, r + 0); Vector128.Store(Vector128.Load(r + 4) + c3_1, r + 4); }
        }
        else
        {
            { float* r = c + 0 * ldc; Vector128.Store(c0_0, r + 0); Vector128.Store(c0_1, r + 4); }
            { float* r = c + 1 * ldc; Vector128.Store(c1_0, r + 0); Vector128.Store(c1_1, r + 4); }
            { float* r = c + 2 * ldc; Vector128.Store(c2_0, r + 0); Vector128.Store(c2_1, r + 4); }
            { float* r = c + 3 * ldc; Vector128.Store(c3_0, r + 0); Vector128.Store(c3_1, r + 4); }
        }
    }
}
