using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// Data movement on the device: the dataset stays resident as bytes (MNIST's 47 MB instead of
/// 188 MB of floats), and a minibatch is gathered through a shuffled index buffer and scaled to
/// [-1, 1] by <see cref="Pixels.ToUnit"/>.
/// </summary>
public static class DataKernels
{
    public static void GatherRows(ArrayView<byte> data, ArrayView<int> indices, ArrayView<float> dst,
        ArrayView<ulong> counters, CounterOffset offset, int rows, int cols)
    {
        int n = rows * cols;
        int indexOffset = (int)offset.At(counters);
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            int r = i / cols, c = i - r * cols;
            long src = (long)indices[indexOffset + r] * cols + c;
            dst[i] = Pixels.ToUnit(data[src]);
        }
    }

    public static void Fill(ArrayView<float> dst, int n, float value)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
            dst[i] = value;
    }

    public static double[] GatherRowsReference(ReadOnlySpan<byte> data, ReadOnlySpan<int> indices, int indexOffset, int rows, int cols)
    {
        var y = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                y[r * cols + c] = Pixels.ToUnitReference(data[indices[indexOffset + r] * cols + c]);
        return y;
    }
}
