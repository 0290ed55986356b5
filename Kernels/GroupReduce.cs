using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>Reductions across one group through shared memory, shared by the loss kernels.</summary>
public static class GroupReduce
{
    /// <summary>
    /// Sums a[t] and b[t] over the group's threads (a power of two), leaving the totals in a[0] and
    /// b[0]. Every thread of the group must call it: it contains barriers.
    /// </summary>
    public static void SumPair(ArrayView<float> a, ArrayView<float> b)
    {
        int t = Group.IdxX;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s /= 2)
        {
            if (t < s)
            {
                a[t] += a[t + s];
                b[t] += b[t + s];
            }
            Group.Barrier();
        }
    }
}
