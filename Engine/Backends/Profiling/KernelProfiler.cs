
namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>
/// A pass-through <see cref="IBackend"/> that, while <see cref="Enabled"/>, counts and times every
/// launch per kernel, a kernel being an op plus its shape (<see cref="KernelKey"/>). Where
/// <see cref="ProfilingBackend"/> sums op families with host clocks, this gives the per-kernel
/// table of `bench --profile`. The clock is device events on an ILGPU backend opened with profiling,
/// and a host Stopwatch otherwise (exact on the synchronous cpu backend).
/// Steady state allocates nothing per launch: keys are value types, the kernel table and the
/// clock's pending list are reused; only ILGPU's own markers are new objects.
/// </summary>
public sealed partial class KernelProfiler : IBackend
{
    readonly IBackend inner;
    readonly IKernelClock clock;
    readonly Dictionary<KernelKey, KernelStats> byKey = [];
    readonly List<KernelStats> kernels = [];

    public KernelProfiler(IBackend inner)
    {
        this.inner = inner;
        clock = inner is IlgpuBackend ilgpu && ilgpu.Accelerator.Context.Properties.EnableProfiling
            ? new DeviceEventKernelClock(ilgpu.Accelerator)
            : new HostKernelClock(inner);
    }

    public IBackend Inner => inner;

    /// <summary>Off, calls are only forwarded (nothing is counted, no clock runs).</summary>
    public bool Enabled { get; set; }

    /// <summary>Which clock times the launches, in words.</summary>
    public string ClockDescription => clock.Description;

    /// <summary>Steps closed by <see cref="EndStep"/> since the last <see cref="Reset"/>.</summary>
    public int Steps { get; private set; }

    /// <summary>Every kernel seen since the last <see cref="Reset"/>, in order of first launch.</summary>
    public IReadOnlyList<KernelStats> Kernels => kernels;

    /// <summary>Closes a step: waits for the device and adds its launches' times.</summary>
    public void EndStep()
    {
        clock.Collect();
        Steps++;
    }

    public void Reset()
    {
        clock.Collect();
        byKey.Clear();
        kernels.Clear();
        Steps = 0;
    }

    Launch Measure(KernelKey key)
    {
        if (!Enabled) return default;
        if (!byKey.TryGetValue(key, out var stats))
        {
            stats = new KernelStats(key, KernelCost.Of(key));
            byKey.Add(key, stats);
            kernels.Add(stats);
        }
        clock.Begin();
        return new Launch(clock, stats);
    }

    /// <summary>The span of one launch; a struct, so `using` it allocates nothing.</summary>
    readonly struct Launch(IKernelClock clock, KernelStats stats) : IDisposable
    {
        public void Dispose()
        {
            if (stats is null) return;
            clock.End(stats);
            stats.Launches++;
        }
    }

    public string Kind => inner.Kind;
    public string Description => inner.Description;
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged => inner.Allocate<T>(length);
    public void Synchronize() => inner.Synchronize();

    public void Dispose()
    {
        clock.Dispose();
        inner.Dispose();
    }
}
