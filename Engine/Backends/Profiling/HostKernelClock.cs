using System.Diagnostics;

namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>
/// Host Stopwatch around each op, with the device drained before and after. Exact on a
/// synchronous backend (the managed cpu one, whose Synchronize is free); on an asynchronous one it
/// also counts launch and synchronisation overhead, which is why ILGPU backends opened with
/// profiling use <see cref="DeviceEventKernelClock"/> instead.
/// </summary>
public sealed class HostKernelClock(IBackend inner) : IKernelClock
{
    long start;

    public string Description => inner.Kind == "cpu"
        ? "host Stopwatch around each op (the cpu backend runs every op synchronously, so this is the op's own time)"
        : "host Stopwatch around each op, the device synchronised before and after (includes launch overhead: an upper bound)";

    public void Begin()
    {
        inner.Synchronize();
        start = Stopwatch.GetTimestamp();
    }

    public void End(KernelStats kernel)
    {
        inner.Synchronize();
        kernel.Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public void Collect() { }

    public void Dispose() { }
}
