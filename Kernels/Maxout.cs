using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// Maxout over contiguous groups: a row of units·pieces pre-activations [r, u·pieces + p] gives
/// y[r, u] = max_p pre[r, u·pieces + p] (Goodfellow et al.; Blocks' LinearMaxout groups the same
/// way). The backward routes dy[r, u] to the first piece that attains the maximum, as torch's
/// max(dim) does, and zeros the others; it recomputes the argmax from pre, so the layer keeps no
/// index buffer.
/// </summary>
public static class MaxoutKernels
{
    /// <summary>y[i] = max over pieces of group i (i over rows·units).</summary>
    public static void Forward(ArrayView<float> pre, ArrayView<float> y, int groups, int pieces)
    {
        for (int i = Grid.GlobalIndex.X; i < groups; i += GridStride.Step)
        {
            int at = i * pieces;
            float best = pre[at];
            for (int p = 1; p < pieces; p++)
            {
                float v = pre[at + p];
                if (v > best) best = v;
            }
            y[i] = best;
        }
    }

    /// <summary>dpre[group i, p] = dy[i] at the group's first argmax, 0 elsewhere.</summary>
    public static void Backward(ArrayView<float> pre, ArrayView<float> dy, ArrayView<float> dpre, int groups, int pieces)
    {
        for (int i = Grid.GlobalIndex.X; i < groups; i += GridStride.Step)
        {
            int at = i * pieces, arg = 0;
            float best = pre[at];
            for (int p = 1; p < pieces; p++)
            {
                float v = pre[at + p];
                if (v > best) { best = v; arg = p; }
            }
            float g = dy[i];
            for (int p = 0; p < pieces; p++) dpre[at + p] = p == arg ? g : 0f;
        }
    }

    /// <summary>float64 reference of <see cref="Forward"/>: y [groups], and the argmax of each group (first on ties).</summary>
    public static (double[] Y, int[] Arg) Reference(double[] pre, int groups, int pieces)
    {
        var y = new double[groups];
        var arg = new int[groups];
        for (int i = 0; i < groups; i++)
        {
            int best = 0;
            for (int p = 1; p < pieces; p++)
                if (pre[i * pieces + p] > pre[i * pieces + best]) best = p;
            arg[i] = best;
            y[i] = pre[i * pieces + best];
        }
        return (y, arg);
    }

    /// <summary>float64 reference of <see cref="Backward"/>.</summary>
    public static double[] ReferenceBackward(double[] pre, double[] dy, int groups, int pieces)
    {
        var (_, arg) = Reference(pre, groups, pieces);
        var dpre = new double[groups * pieces];
        for (int i = 0; i < groups; i++) dpre[i * pieces + arg[i]] = dy[i];
        return dpre;
    }
}
