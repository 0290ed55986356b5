namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Running totals of what an ILGPU backend has done outside its kernel launches: device
/// allocations and frees, waits for its stream (explicit or inside a host copy), and host copies.
/// A warm training step must leave all four unchanged: that is what lets the step be captured
/// into a CUDA graph and replayed (see docs/architecture-stream.md).
/// </summary>
public readonly record struct StreamActivity(long Allocations, long Frees, long Synchronizations, long HostCopies)
{
    public static StreamActivity operator -(StreamActivity a, StreamActivity b) =>
        new(a.Allocations - b.Allocations, a.Frees - b.Frees, a.Synchronizations - b.Synchronizations, a.HostCopies - b.HostCopies);
}
