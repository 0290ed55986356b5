using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// Conditional GANs (Mirza and Osindero 2014, as PyTorch-GAN's cgan) feed G and D their inputs
/// with a one-hot class block appended to every row. These kernels write that block into a
/// strided row layout and move column blocks between row layouts, so the unconditional models'
/// buffers and kernels serve unchanged. Each class takes <c>plane</c> consecutive columns: 1 for
/// a vector input, H·W for a conv D's one-hot maps (class k's plane all ones, the others zeros, as
/// torch.cat([x, onehot[:, :, None, None].expand(-1, -1, H, W)], 1) lays them out in NCHW).
/// </summary>
public static class ConditionalKernels
{
    /// <summary>
    /// dst[r, col + k·plane + p] = (labels[indices[indexOffset + r]] == k) for k &lt; classes,
    /// p &lt; plane; row stride dstStride.
    /// </summary>
    public static void OneHotLabels(ArrayView<int> labels, ArrayView<int> indices, ArrayView<float> dst,
        ArrayView<ulong> counters, CounterOffset offset, int rows, int classes, int plane, int dstStride, int dstColumn)
    {
        int width = classes * plane, n = rows * width;
        int indexOffset = (int)offset.At(counters);
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            int r = i / width, j = i - r * width;
            dst[r * dstStride + dstColumn + j] = labels[indices[indexOffset + r]] == j / plane ? 1f : 0f;
        }
    }

    /// <summary>
    /// The same block for random classes: row r gets class ⌊u·classes⌋ with u the Philox uniform at
    /// counter offset + r of (seed, stream), so G's input and D's fake input can be written
    /// separately and still agree.
    /// </summary>
    public static void OneHotRandom(ArrayView<float> dst, int rows, int classes, int plane, int dstStride, int dstColumn,
        ulong seed, uint stream, ArrayView<ulong> counters, CounterOffset counter)
    {
        int width = classes * plane, n = rows * width;
        ulong offset = counter.At(counters);
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            int r = i / width, j = i - r * width;
            dst[r * dstStride + dstColumn + j] = RandomClass(seed, stream, offset + (ulong)r, classes) == j / plane ? 1f : 0f;
        }
    }

    public static int RandomClass(ulong seed, uint stream, ulong counter, int classes)
    {
        Philox.Element(seed, stream, counter, out uint r0, out _, out _, out _);
        int c = (int)(Philox.ToUniform(r0) * classes);
        return c < classes ? c : classes - 1;
    }

    /// <summary>dst[r, dstColumn + c] = src[r, srcColumn + c] for c &lt; cols: a column block between two row layouts.</summary>
    public static void CopyColumns(ArrayView<float> src, ArrayView<float> dst, int rows, int cols,
        int srcStride, int srcColumn, int dstStride, int dstColumn)
    {
        int n = rows * cols;
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            int r = i / cols, c = i - r * cols;
            dst[r * dstStride + dstColumn + c] = src[r * srcStride + srcColumn + c];
        }
    }

    // ---- references (exact: these kernels only move values) ----

    public static void OneHotReference(ReadOnlySpan<int> classOfRow, Span<float> dst, int classes, int dstStride, int dstColumn, int plane = 1)
    {
        for (int r = 0; r < classOfRow.Length; r++)
            for (int k = 0; k < classes; k++)
                for (int p = 0; p < plane; p++)
                    dst[r * dstStride + dstColumn + k * plane + p] = classOfRow[r] == k ? 1f : 0f;
    }

    public static void CopyColumnsReference(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols,
        int srcStride, int srcColumn, int dstStride, int dstColumn)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                dst[r * dstStride + dstColumn + c] = src[r * srcStride + srcColumn + c];
    }
}
