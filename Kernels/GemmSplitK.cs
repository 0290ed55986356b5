using ILGPU;

namespace IlgpuGan.Kernels;

public static partial class GemmKernels
{
    /// <summary>
    /// Second pass of a split-K GEMM: C[i] (+)= Σ_z partials[z·mn + i] over the splits slabs that
    /// <see cref="Gemm"/> wrote. The slabs are added in split order by one thread per element, never
    /// with atomics, so a plan gives bit-identical results run after run. C is read only when
    /// accumulating (it may hold NaN poison otherwise), and is added last, as the one-pass kernel does.
    /// </summary>
    public static void SumSplits(ArrayView<float> partials, ArrayView<float> c, int mn, int splits, int accumulate)
    {
        for (int i = Grid.GlobalIndex.X; i < mn; i += GridStride.Step)
        {
            float s = 0f;
            for (int z = 0; z < splits; z++) s += partials[z * mn + i];
            c[i] = accumulate != 0 ? c[i] + s : s;
        }
    }
}
