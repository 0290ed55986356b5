using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// im2col and col2im of the k4 s2 p1 block (<see cref="CpuIm2Col.IsK4S2P1"/>: the DCGAN's up- and
/// down-sampling layers) as whole-row AVX-512 permutes, for column sides up to 16 wide (image rows up
/// to 32: both ends of the 28×28 DCGAN, and the 64×64 DCGAN's inner layers).
///
/// In this geometry an image row of width 2·ColW feeds the four kernel columns of one kernel row as
/// four fixed lane selections (kernel column kw, output column ow reads image column 2·ow − 1 + kw),
/// and an image row of the col2im is two sums of four shifted column-side rows (its even and its odd
/// pixels) interleaved. So each row is one or two masked loads, a two-source permute per kernel
/// column and one masked store per output row: no tap table, no per-element gather. The general
/// tap-table loops needed an 8-lane hardware gather per 8 values (im2col) or a scalar loop with
/// bounds tests per pixel (col2im). Masked loads and stores never touch memory outside the rows, so
/// threads that own neighbouring rows never write the same float.
///
/// Results: im2col copies exactly the values of the general loop; col2im adds the same terms in the
/// same order as <c>CpuIm2Col.Col2ImK4S2P1</c> (so it is bit for bit the same, up to the sign of a
/// zero). Threads own whole output rows or planes, so the thread count does not change the result.
/// </summary>
static unsafe class CpuK4S2P1
{
    /// <summary>Whether this path serves the geometry on this machine.</summary>
    public static bool Fits(ConvArgs a) => Avx512F.IsSupported && CpuIm2Col.IsK4S2P1(a) && a.ColW <= 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> FirstLanes(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>
    /// cols[c·16 + kh·4 + kw, n·ColPlane + oh·ColW + ow] = image[n, c, 2·oh − 1 + kh, 2·ow − 1 + kw] (0 in
    /// the padding). One unit of work is one (channel, kernel row, image): its four kernel columns' rows.
    /// </summary>
    public static void Im2Col(float* image, float* cols, ConvArgs a, long ldCols, int threads)
    {
        CpuParallel.For(a.ImC * 4 * a.N, (long)a.Rows * a.Cols, threads, (start, end) =>
        {
            int colW = a.ColW, colH = a.ColH, imW = a.ImW, imH = a.ImH, plane = a.ColPlane, n0 = a.N;
            long imPlane = (long)imH * imW;
            var zero = Vector512<float>.Zero;
            var loMask = FirstLanes(Math.Min(imW, 16));
            var hiMask = FirstLanes(imW - 16);
            var outMask = FirstLanes(colW);
            // Kernel column kw, lane ow: image column 2·ow − 1 + kw, an index into the row's halves
            // (lo 0–15, hi 16–31); columns outside the row are masked to 0.
            var twice = Vector512<int>.Indices * 2;
            Vector512<int> i0 = twice - Vector512.Create(1), i1 = twice, i2 = twice + Vector512.Create(1), i3 = twice + Vector512.Create(2);
            var width = Vector512.Create(imW);
            Vector512<float> k0 = Keep(i0, width), k1 = Keep(i1, width), k2 = Keep(i2, width), k3 = Keep(i3, width);
            i0 &= Vector512.Create(31);
            bool twoHalves = imW > 16;
            for (int u = start; u < end; u++)
            {
                int n = u % n0, ck = u / n0, c = ck >> 2, kh = ck & 3;
                float* src = image + ((long)n * a.ImC + c) * imPlane;
                float* d0 = cols + (long)(c * 16 + kh * 4) * ldCols + (long)n * plane;
                for (int oh = 0; oh < colH; oh++)
                {
                    int ih = 2 * oh - 1 + kh;
                    float* d = d0 + oh * colW;
                    if ((uint)ih >= (uint)imH)
                    {
                        Avx512F.MaskStore(d, outMask, zero);
                        Avx512F.MaskStore(d + ldCols, outMask, zero);
                        Avx512F.MaskStore(d + 2 * ldCols, outMask, zero);
                        Avx512F.MaskStore(d + 3 * ldCols, outMask, zero);
                        continue;
                    }
                    float* row = src + ih * imW;
                    var lo = Avx512F.MaskLoad(row, loMask, zero);
                    var hi = twoHalves ? Avx512F.MaskLoad(row + 16, hiMask, zero) : zero;
                    Avx512F.MaskStore(d, outMask, Avx512F.PermuteVar16x32x2(lo, i0, hi) & k0);
                    Avx512F.MaskStore(d + ldCols, outMask, Avx512F.PermuteVar16x32x2(lo, i1, hi) & k1);
                    Avx512F.MaskStore(d + 2 * ldCols, outMask, Avx512F.PermuteVar16x32x2(lo, i2, hi) & k2);
                    Avx512F.MaskStore(d + 3 * ldCols, outMask, Avx512F.PermuteVar16x32x2(lo, i3, hi) & k3);
                }
            }
        });
    }

    /// <summary>All bits set in the lanes whose image column lies inside the row.</summary>
    static Vector512<float> Keep(Vector512<int> column, Vector512<int> width) =>
        (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, width)).AsSingle();

    /// <summary>
    /// image (+)= col2im(cols) for the k4 s2 p1 block: pixel (ih, iw) sums the taps kh ≡ ih + 1,
    /// kw ≡ iw + 1 (mod 2) (see <c>CpuIm2Col.Col2ImK4S2P1</c>, whose sums this computes a row at a time).
    /// Threads own whole (image, channel) planes.
    /// </summary>
    public static void Col2Im(float* cols, float* image, ConvArgs a, long ldCols, bool accumulate, int threads)
    {
        CpuParallel.For(a.N * a.ImC, (long)a.Rows * a.Cols, threads, (start, end) =>
        {
            int colW = a.ColW, colH = a.ColH, plane = a.ColPlane, imW = a.ImW, imH = a.ImH, imC = a.ImC;
            long planeLen = (long)imH * imW;
            var zero = Vector512<float>.Zero;
            var inMask = FirstLanes(colW);
            var loMask = FirstLanes(Math.Min(imW, 16));
            var hiMask = FirstLanes(imW - 16);
            bool twoHalves = imW > 16;
            var lanes = Vector512<int>.Indices;
            // Shifts by one lane against the zero vector as second source (indices 16–31): right
            // (lane j ← j − 1, lane 0 ← 0: the kw 3 taps of column j − 1) and left (lane j ← j + 1; past
            // the row the masked load left zeros, and lane 15 takes index 16: the kw 0 taps of column j + 1).
            var right = (lanes - Vector512.Create(1)) & Vector512.Create(31);
            var left = lanes + Vector512.Create(1);
            // Interleave even (first source) and odd (second) pixels: lane 2j ← even j, lane 2j + 1 ← odd j.
            var interLo = (lanes >> 1) + (lanes & Vector512.Create(1)) * 16;
            var interHi = interLo + Vector512.Create(8);
            for (int item = start; item < end; item++)
            {
                int n = item / imC, c = item % imC;
                float* rows = cols + (long)(c * 16) * ldCols + (long)n * plane;
                float* dst = image + item * planeLen;
                for (int ih = 0; ih < imH; ih++)
                {
                    // The two (kh, oh) pairs that reach this image row; oh out of range contributes nothing.
                    int i = ih >> 1;
                    int khA, ohA, khB, ohB;
                    if ((ih & 1) == 0) { khA = 1; ohA = i; khB = 3; ohB = i - 1; }
                    else { khA = 2; ohA = i; khB = 0; ohB = i + 1; }
                    Vector512<float> even = zero, odd = zero;
                    if (ohA < colH) Taps(rows + khA * 4 * ldCols + ohA * colW, ldCols, inMask, right, left, ref even, ref odd);
                    if (ohB >= 0 && ohB < colH) Taps(rows + khB * 4 * ldCols + ohB * colW, ldCols, inMask, right, left, ref even, ref odd);
                    float* outRow = dst + ih * imW;
                    var lo = Avx512F.PermuteVar16x32x2(even, interLo, odd);
                    if (accumulate) lo = Avx512F.MaskLoad(outRow, loMask, zero) + lo;
                    Avx512F.MaskStore(outRow, loMask, lo);
                    if (twoHalves)
                    {
                        var hi = Avx512F.PermuteVar16x32x2(even, interHi, odd);
                        if (accumulate) hi = Avx512F.MaskLoad(outRow + 16, hiMask, zero) + hi;
                        Avx512F.MaskStore(outRow + 16, hiMask, hi);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Adds one kernel row's taps to a row's sums, given r, its kw 0 column-side row at the source
    /// row: even j += kw1[j], += kw3[j − 1]; odd j += kw2[j], += kw0[j + 1] (in that order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Taps(float* r, long ldCols, Vector512<float> inMask, Vector512<int> right, Vector512<int> left,
        ref Vector512<float> even, ref Vector512<float> odd)
    {
        var zero = Vector512<float>.Zero;
        var kw0 = Avx512F.MaskLoad(r, inMask, zero);
        var kw1 = Avx512F.MaskLoad(r + ldCols, inMask, zero);
        var kw2 = Avx512F.MaskLoad(r + 2 * ldCols, inMask, zero);
        var kw3 = Avx512F.MaskLoad(r + 3 * ldCols, inMask, zero);
        even = even + kw1;
        even = even + Avx512F.PermuteVar16x32x2(kw3, right, zero);
        odd = odd + kw2;
        odd = odd + Avx512F.PermuteVar16x32x2(kw0, left, zero);
    }
}
