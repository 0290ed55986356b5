namespace IlgpuGan.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // Maxout is a pass over the pre-activations that a GEMM just wrote (cache-warm), pieces wide per
    // unit: scalar compares over raw pointers, split by rows when the pass is large.
    protected override void MaxoutForwardCore(Tensor pre, Tensor y, MaxoutShape s)
    {
        var (pb, yb) = (B(pre), B(y));
        long po = pre.Offset, yo = y.Offset;
        int units = s.Units, pieces = s.Pieces;
        Chunks(s.Rows, s.PreCount, (r0, r1) =>
        {
            float* src = pb.Pointer + po + (long)r0 * units * pieces, dst = yb.Pointer + yo + (long)r0 * units;
            long groups = (long)(r1 - r0) * units;
            for (long g = 0; g < groups; g++, src += pieces)
            {
                float best = src[0];
                for (int p = 1; p < pieces; p++) if (src[p] > best) best = src[p];
                dst[g] = best;
            }
        });
    }

    protected override void MaxoutBackwardCore(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s)
    {
        var (pb, gb, db) = (B(pre), B(dy), B(dpre));
        long po = pre.Offset, go = dy.Offset, dO = dpre.Offset;
        int units = s.Units, pieces = s.Pieces;
        Chunks(s.Rows, s.PreCount, (r0, r1) =>
        {
            long first = (long)r0 * units * pieces;
            float* src = pb.Pointer + po + first, dst = db.Pointer + dO + first, g = gb.Pointer + go + (long)r0 * units;
            long groups = (long)(r1 - r0) * units;
            for (long i = 0; i < groups; i++, src += pieces, dst += pieces)
            {
                int arg = 0;
                float best = src[0];
                for (int p = 1; p < pieces; p++) if (src[p] > best) { best = src[p]; arg = p; }
                for (int p = 0; p < pieces; p++) dst[p] = 0f;
                dst[arg] = g[i];
            }
        });
    }
}
