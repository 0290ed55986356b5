using System.Runtime.CompilerServices;

namespace IlgpuGan.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Maxout is a pass over pre-activations that a GEMM just wrote (cache-warm), pieces wide per
    // unit. The compares are branch-free (MathF.Max, conditional selects): on random data a branch
    // per piece mispredicts about half the time. Both passes stay on the calling thread: at PacGAN's
    // sizes (≤ 200k pre-activations) a pass is tens of µs, which a worker's wake-up would not repay
    // (and on a loaded machine a Parallel.For waits for a descheduled worker).
    protected override void MaxoutForwardCore(Tensor pre, Tensor y, MaxoutShape s)
    {
        var (pb, yb) = (B(pre), B(y));
        long po = pre.Offset, yo = y.Offset;
        int units = s.Units, pieces = s.Pieces;
        Serial(s.Rows, (r0, r1) =>
        {
            float* src = pb.Pointer + po + (long)r0 * units * pieces, dst = yb.Pointer + yo + (long)r0 * units;
            long groups = (long)(r1 - r0) * units;
            for (long g = 0; g < groups; g++, src += pieces) dst[g] = Max(src, pieces);
        });
    }

    protected override void MaxoutBackwardCore(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s)
    {
        var (pb, gb, db) = (B(pre), B(dy), B(dpre));
        long po = pre.Offset, go = dy.Offset, dO = dpre.Offset;
        int units = s.Units, pieces = s.Pieces;
        Serial(s.Rows, (r0, r1) =>
        {
            long first = (long)r0 * units * pieces;
            float* src = pb.Pointer + po + first, dst = db.Pointer + dO + first, g = gb.Pointer + go + (long)r0 * units;
            long groups = (long)(r1 - r0) * units;
            // Whole blocks of 16 units on AVX-512; the rest: zeros first in one vectorised pass, then
            // one store per unit, its dy at the first piece equal to the max (integer masks, no
            // data-dependent branch).
            long i = CpuMaxout512.Fits(pieces) ? CpuMaxout512.Backward(src, g, dst, groups, pieces) : 0;
            src += i * pieces;
            dst += i * pieces;
            new Span<float>(dst, checked((int)((groups - i) * pieces))).Clear();
            for (; i < groups; i++, src += pieces, dst += pieces)
            {
                float best = Max(src, pieces);
                int arg = pieces - 1;
                for (int p = pieces - 2; p >= 0; p--)
                {
                    bool equal = src[p] == best;
                    int hit = Unsafe.As<bool, byte>(ref equal);
                    arg += (p - arg) & -hit;   // the lowest p that equals the max wins
                }
                dst[arg] = g[i];
            }
        });
    }

    static void Serial(int rows, Action<int, int> body) => body(0, rows);

    /// <summary>The max of n floats (no NaN in a finite run; a NaN pre-activation is caught by the divergence check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Max(float* v, int n)
    {
        float best = v[0];
        for (int p = 1; p < n; p++) best = MathF.Max(best, v[p]);
        return best;
    }
}
