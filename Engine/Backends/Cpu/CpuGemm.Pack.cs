using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace IlgpuGan.Engine.Backends.Cpu;

// Packing of operand panels, writing tiles back to C, and the per-thread scratch they use.
public static unsafe partial class CpuGemm
{
    /// <summary>
    /// Packs the kc×w panel of B at (pc, j) as kc rows of NR floats (zero beyond w): for each p the
    /// NR values the micro-kernel loads together.
    /// </summary>
    static void PackB(ref Job job, int pc, int j, int kc, int w, float* dst)
    {
        int nr = job.Nr;
        nint ldb = job.Ldb;
        if (job.BRows)
        {
            float* src = job.B + pc * ldb + j;
            if (w == nr)
            {
                for (int p = 0; p < kc; p++) CopyRow(src + p * ldb, dst + p * nr, nr);
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * ldb, d = dst + p * nr;
                    int q = 0;
                    for (; q < w; q++) d[q] = s[q];
                    for (; q < nr; q++) d[q] = 0f;
                }
            }
        }
        else
        {
            // B stored n×k: the panel is w rows of B, contiguous along p; transpose it.
            float* src = job.B + (nint)j * ldb + pc;
            int jj = 0;
            if (Avx.IsSupported)
            {
                for (; jj + 8 <= w; jj += 8)
                {
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) Transpose8x8(src + jj * ldb + p, ldb, dst + (nint)p * nr + jj, nr, false);
                    for (; p < kc; p++)
                        for (int t = 0; t < 8; t++) dst[(nint)p * nr + jj + t] = src[(jj + t) * ldb + p];
                }
            }
            for (; jj < w; jj++)
            {
                float* s = src + jj * ldb;
                for (int p = 0; p < kc; p++) dst[(nint)p * nr + jj] = s[p];
            }
            if (w < nr)
                for (int p = 0; p < kc; p++)
                    for (int t = w; t < nr; t++) dst[(nint)p * nr + t] = 0f;
        }
    }

    /// <summary>Packs the kc×width block of B at (pc, j) as consecutive NR-column panels.</summary>
    static void PackBBlock(ref Job job, int j, int width, int pc, int kc, float* dst)
    {
        int nr = job.Nr;
        if (!job.BRows)
        {
            for (int q = 0; q * nr < width; q++)
                PackB(ref job, pc, j + q * nr, kc, Math.Min(nr, width - q * nr), dst + (nint)q * kc * nr);
            return;
        }
        // B stored k×n: a few rows at a time (read along the rows), each panel's part of them
        // written in one contiguous run. (Row by row, the writes to panels kc·NR apart would all
        // fall into the same L1 sets.)
        nint ldb = job.Ldb, panel = (nint)kc * nr;
        int full = width / nr, rest = width - full * nr;
        const int Rows = 16;
        for (int p0 = 0; p0 < kc; p0 += Rows)
        {
            int p1 = Math.Min(kc, p0 + Rows);
            float* src = job.B + (pc + p0) * ldb + j, d = dst + (nint)p0 * nr;
            for (int q = 0; q < full; q++)
            {
                float* s = src + q * nr, e = d + q * panel;
                for (int p = p0; p < p1; p++, s += ldb, e += nr) CopyRow(s, e, nr);
            }
            if (rest > 0)
            {
                float* s = src + full * nr, e = d + full * panel;
                for (int p = p0; p < p1; p++, s += ldb, e += nr)
                {
                    int t = 0;
                    for (; t < rest; t++) e[t] = s[t];
                    for (; t < nr; t++) e[t] = 0f;
                }
            }
        }
    }

    /// <summary>Packs the h×kc panel of A at (i, pc) as kc groups of MR floats (zero beyond h).</summary>
    static void PackA(ref Job job, int i, int pc, int kc, int h, float* dst)
    {
        int mr = job.Mr;
        nint lda = job.Lda;
        if (job.ARows)
        {
            // A row-major: h rows contiguous along p; transpose them.
            float* src = job.A + i * lda + pc;
            int p = 0;
            if (Avx.IsSupported && mr == 8 && h == 8)
                for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, lda, dst + (nint)p * 8, 8, false);
            for (; p < kc; p++)
            {
                float* d = dst + (nint)p * mr;
                int t = 0;
                for (; t < h; t++) d[t] = src[t * lda + p];
                for (; t < mr; t++) d[t] = 0f;
            }
        }
        else
        {
            float* src = job.A + pc * lda + i;
            if (h == mr && mr == 8)
            {
                for (int p = 0; p < kc; p++) Vector256.Store(Vector256.Load(src + p * lda), dst + (nint)p * 8);
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * lda, d = dst + (nint)p * mr;
                    int t = 0;
                    for (; t < h; t++) d[t] = s[t];
                    for (; t < mr; t++) d[t] = 0f;
                }
            }
        }
    }

    /// <summary>Packs the mc×kc block of A at (i, pc) as consecutive MR-row panels.</summary>
    static void PackABlock(ref Job job, int i, int mc, int pc, int kc, float* dst)
    {
        int mr = job.Mr;
        if (job.ARows || mr != 8)
        {
            for (int q = 0; q * mr < mc; q++)
                PackA(ref job, i + q * mr, pc, kc, Math.Min(mr, mc - q * mr), dst + (nint)q * kc * mr);
            return;
        }
        // A stored k×m: a few rows at a time (read along the rows), each panel's part of them
        // written in one contiguous run.
        nint lda = job.Lda, panel = (nint)kc * 8;
        int full = mc / 8, rest = mc - full * 8;
        const int Rows = 16;
        for (int p0 = 0; p0 < kc; p0 += Rows)
        {
            int p1 = Math.Min(kc, p0 + Rows);
            float* src = job.A + (pc + p0) * lda + i, d = dst + (nint)p0 * 8;
            for (int q = 0; q < full; q++)
            {
                float* s = src + q * 8, e = d + q * panel;
                for (int p = p0; p < p1; p++, s += lda, e += 8) Vector256.Store(Vector256.Load(s), e);
            }
            if (rest > 0)
            {
                float* s = src + full * 8, e = d + full * panel;
                for (int p = p0; p < p1; p++, s += lda, e += 8)
                {
                    int t = 0;
                    for (; t < rest; t++) e[t] = s[t];
                    for (; t < 8; t++) e[t] = 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CopyRow(float* s, float* d, int count)
    {
        int q = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; q + 16 <= count; q += 16) Vector512.Store(Vector512.Load(s + q), d + q);
        if (Vector256.IsHardwareAccelerated)
            for (; q + 8 <= count; q += 8) Vector256.Store(Vector256.Load(s + q), d + q);
        for (; q + 4 <= count; q += 4) Vector128.Store(Vector128.Load(s + q), d + q);
        for (; q < count; q++) d[q] = s[q];
    }

    /// <summary>C[i, j] (+)= tile[i, j] for the h×w corner of a tile with row stride ldt.</summary>
    static void Merge(float* tile, nint ldt, float* c, nint ldc, int h, int w, bool acc)
    {
        for (int i = 0; i < h; i++)
        {
            float* t = tile + i * ldt, d = c + i * ldc;
            if (acc) for (int j = 0; j < w; j++) d[j] += t[j];
            else for (int j = 0; j < w; j++) d[j] = t[j];
        }
    }

    /// <summary>C[j, i] (+)= tile[i, j] for the h×w corner of a tile with row stride ldt.</summary>
    static void MergeTransposed(float* tile, nint ldt, float* c, nint ldc, int h, int w, bool acc)
    {
        int j = 0;
        if (Avx.IsSupported && h == 8)
            for (; j + 8 <= w; j += 8) Transpose8x8(tile + j, ldt, c + j * ldc, ldc, acc);
        for (; j < w; j++)
        {
            float* d = c + j * ldc;
            if (acc) for (int i = 0; i < h; i++) d[i] += tile[i * ldt + j];
            else for (int i = 0; i < h; i++) d[i] = tile[i * ldt + j];
        }
    }

    /// <summary>d[c, r] (+)= s[r, c] for an 8×8 block (row strides ss and ds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* s, nint ss, float* d, nint ds, bool add)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ss);
        var r2 = Avx.LoadVector256(s + 2 * ss);
        var r3 = Avx.LoadVector256(s + 3 * ss);
        var r4 = Avx.LoadVector256(s + 4 * ss);
        var r5 = Avx.LoadVector256(s + 5 * ss);
        var r6 = Avx.LoadVector256(s + 6 * ss);
        var r7 = Avx.LoadVector256(s + 7 * ss);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        var d0 = Avx.Permute2x128(u0, u4, 0x20);
        var d1 = Avx.Permute2x128(u1, u5, 0x20);
        var d2 = Avx.Permute2x128(u2, u6, 0x20);
        var d3 = Avx.Permute2x128(u3, u7, 0x20);
        var d4 = Avx.Permute2x128(u0, u4, 0x31);
        var d5 = Avx.Permute2x128(u1, u5, 0x31);
        var d6 = Avx.Permute2x128(u2, u6, 0x31);
        var d7 = Avx.Permute2x128(u3, u7, 0x31);
        if (add)
        {
            d0 += Avx.LoadVector256(d);
            d1 += Avx.LoadVector256(d + ds);
            d2 += Avx.LoadVector256(d + 2 * ds);
            d3 += Avx.LoadVector256(d + 3 * ds);
            d4 += Avx.LoadVector256(d + 4 * ds);
            d5 += Avx.LoadVector256(d + 5 * ds);
            d6 += Avx.LoadVector256(d + 6 * ds);
            d7 += Avx.LoadVector256(d + 7 * ds);
        }
        Avx.Store(d, d0);
        Avx.Store(d + ds, d1);
        Avx.Store(d + 2 * ds, d2);
        Avx.Store(d + 3 * ds, d3);
        Avx.Store(d + 4 * ds, d4);
        Avx.Store(d + 5 * ds, d5);
        Avx.Store(d + 6 * ds, d6);
        Avx.Store(d + 7 * ds, d7);
    }

    /// <summary>
    /// Per-thread packing buffers: one pinned array, 64-byte aligned, that grows only when a call
    /// needs more than any before it on this thread.
    /// </summary>
    sealed class Scratch
    {
        [ThreadStatic] static Scratch? t_current;

        float[] data = [], shared = [];
        public float* B, A, Tile;

        static long Align(long n) => (n + 15) & ~15L;

        static float* Aligned(float[] array) =>
            (float*)(((nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)) + 63) & ~(nuint)63);

        static float[] Grow(float[] array, long need) =>
            array.Length >= need ? array : GC.AllocateUninitializedArray<float>(checked((int)Math.Max(need, 4096)), pinned: true);

        public static Scratch Get(long bLen, long aLen, long tileLen)
        {
            var s = t_current ??= new Scratch();
            s.data = Grow(s.data, Align(bLen) + Align(aLen) + Align(tileLen) + 16);
            float* p = Aligned(s.data);
            s.B = p;
            s.A = p + Align(bLen);
            s.Tile = s.A + Align(aLen);
            return s;
        }

        /// <summary>This thread's buffer for an operand packed once and read by every thread of a job.</summary>
        public static float* Shared(long length)
        {
            var s = t_current ??= new Scratch();
            s.shared = Grow(s.shared, length + 16);
            return Aligned(s.shared);
        }
    }
}
