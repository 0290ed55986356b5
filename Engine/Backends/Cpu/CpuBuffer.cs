using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>Host memory for the CPU backend: a pinned array, so kernels can take its address.</summary>
public sealed unsafe class CpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    public CpuBuffer(long length) : base(length)
    {
        try { Array = GC.AllocateArray<T>(checked((int)Math.Max(1, length)), pinned: true); }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            throw new DeviceMemoryException(length * Unsafe.SizeOf<T>(), "host memory", e);
        }
    }

    public T[] Array { get; }

    public T* Pointer => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));

    public Span<T> Slice(long offset, int length) => Array.AsSpan(checked((int)offset), length);

    public override void CopyFromHost(ReadOnlySpan<T> source, long offset) => source.CopyTo(Slice(offset, source.Length));

    public override void CopyToHost(Span<T> destination, long offset) => Slice(offset, destination.Length).CopyTo(destination);

    public override void Dispose() { }
}
