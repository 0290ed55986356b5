namespace IlgpuGan.Engine.Backends;

/// <summary>A block of memory owned by a backend (device memory for ILGPU, arrays for a CPU backend).</summary>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    protected DeviceBuffer(long length) => Length = length;

    public long Length { get; }

    public abstract void CopyFromHost(ReadOnlySpan<T> source, long offset);
    public abstract void CopyToHost(Span<T> destination, long offset);
    public abstract void Dispose();
}

/// <summary>
/// A contiguous float range of a <see cref="DeviceBuffer{T}"/>. Layers see their weights, gradients
/// and activations as tensors that are slices of a few flat buffers; nothing here owns memory.
/// </summary>
public readonly record struct Tensor(DeviceBuffer<float> Buffer, long Offset, int Length)
{
    public static Tensor Whole(DeviceBuffer<float> buffer) => new(buffer, 0, checked((int)buffer.Length));

    public Tensor Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"slice [{offset}, {offset + length}) of a tensor of {Length}");
        return new Tensor(Buffer, Offset + offset, length);
    }

    public void CopyFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != Length) throw new ArgumentException($"expected {Length} values, got {source.Length}");
        Buffer.CopyFromHost(source, Offset);
    }

    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != Length) throw new ArgumentException($"expected room for {Length} values, got {destination.Length}");
        Buffer.CopyToHost(destination, Offset);
    }

    public float[] ToArray()
    {
        var a = new float[Length];
        CopyTo(a);
        return a;
    }
}
