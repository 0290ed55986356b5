using ILGPU;
using ILGPU.Runtime;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Device memory of an ILGPU accelerator (CUDA, OpenCL or the CPU simulator). Its host copies go
/// through the owning backend's stream (never the accelerator's default stream) and wait for it,
/// and the backend counts them (<see cref="IlgpuBackend.Activity"/>).
/// </summary>
sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    readonly MemoryBuffer1D<T, Stride1D.Dense> memory;
    readonly IlgpuBackend owner;
    bool disposed;

    public IlgpuBuffer(MemoryBuffer1D<T, Stride1D.Dense> memory, IlgpuBackend owner) : base(memory.Length)
    {
        this.memory = memory;
        this.owner = owner;
    }

    public ArrayView<T> View => memory.AsContiguous();

    public ArrayView<T> SubView(long offset, long length) => View.SubView(offset, length);

    public override void CopyFromHost(ReadOnlySpan<T> source, long offset)
    {
        owner.CountHostCopy();
        SubView(offset, source.Length).CopyFromCPU(owner.Stream, source);
    }

    public override void CopyToHost(Span<T> destination, long offset)
    {
        owner.CountHostCopy();
        SubView(offset, destination.Length).CopyToCPU(owner.Stream, destination);
    }

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        owner.Freed(memory.NativePtr);
        memory.Dispose();
    }
}
