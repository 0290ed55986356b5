using ILGPU;
using ILGPU.Runtime;

namespace IlgpuGan.Engine.Backends;

/// <summary>Device memory of an ILGPU accelerator (CUDA, OpenCL or the CPU simulator).</summary>
sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    readonly MemoryBuffer1D<T, Stride1D.Dense> memory;

    public IlgpuBuffer(MemoryBuffer1D<T, Stride1D.Dense> memory) : base(memory.Length) => this.memory = memory;

    public ArrayView<T> View => memory.AsContiguous();

    public ArrayView<T> SubView(long offset, long length) => View.SubView(offset, length);

    public override void CopyFromHost(ReadOnlySpan<T> source, long offset) =>
        SubView(offset, source.Length).CopyFromCPU(source);

    public override void CopyToHost(Span<T> destination, long offset) =>
        SubView(offset, destination.Length).CopyToCPU(destination);

    public override void Dispose() => memory.Dispose();
}
