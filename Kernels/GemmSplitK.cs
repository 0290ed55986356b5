using ILGPU;

namespace IlgpuGan.Kernels;

public static partial class GemmKernels
{
    /// <summary>
    /// Second pass of a split-K GEMM: C[i] (+)= Σ_z partials[z·mn + i] over the splits slabs that
    /// <see cref="Gemm"/> wrote. The slabs are added in split order by one thread per element, never
    /// with atomics, so a plan gives bit-identical results run after run. C is read only when
    /// accumulating (it may hold NaN poison otherwise), and is added last, as the one-pass kernel does.
    /// The epilogue (bias of column i mod n, then the activation) belongs here, to the whole sum:
    /// a partial plus a bias, or an activation of a partial, would be wrong. Likewise the input
    /// gradient's mask (v·act'(aux[i]), aux then an [M, N] activation output). Like the one-pass
    /// kernel, it is only ever on without accumulate.
    /// </summary>
    public static void SumSplits(ArrayView<float> partials, ArrayView<float> c, ArrayView<float> aux,
        int mn, int n, int splits, int accumulate, GemmEpilogue epilogue)
    {
        for (int i = Grid.GlobalIndex.X; i < mn; i += GridStride.Step)
        {
            float s = 0f;
            for (int z = 0; z < splits; z++) s += partials[z * mn + i];
            if (epilogue.IsOn) s = Epilogue(epilogue, s, epilogue.HasBias != 0 ? aux[i % n] : 0f, aux, i);
            c[i] = accumulate != 0 ? c[i] + s : s;
        }
    }
}
