
namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>
/// `bench --profile`'s per-kernel table: observes a backend's ops (<see cref="BackendBase.Observer"/>)
/// and, while <see cref="Enabled"/>, counts and times every launch per kernel, a kernel being an op
/// plus its shape (<see cref="KernelKey"/>). Where <see cref="ProfilingBackend"/> sums op families
/// with host clocks, this gives the per-kernel table. The clock is device events on an ILGPU backend
/// opened with profiling, and a host Stopwatch otherwise (exact on the synchronous cpu backend).
/// Steady state allocates nothing per launch: keys are value types, the kernel table and the
/// clock's pending list are reused; only ILGPU's own markers are new objects.
/// Run the backend itself (<see cref="Inner"/>); disposing this disposes it.
/// </summary>
public sealed class KernelProfiler : IOpObserver, IDisposable
{
    readonly BackendBase inner;
    readonly IKernelClock clock;
    readonly Dictionary<KernelKey, KernelStats> byKey = [];
    readonly List<KernelStats> kernels = [];
    KernelStats? current;   // the op in flight: ops do not nest (implementations call each other's Core)

    public KernelProfiler(IBackend inner)
    {
        this.inner = inner as BackendBase
            ?? throw new ArgumentException($"{inner.GetType().Name} cannot be observed: profiling needs a backend derived from {nameof(BackendBase)}", nameof(inner));
        clock = inner is IlgpuBackend ilgpu && ilgpu.Accelerator.Context.Properties.EnableProfiling
            ? new DeviceEventKernelClock(ilgpu)
            : new HostKernelClock(inner);
    }

    /// <summary>The observed backend: what the model runs on.</summary>
    public IBackend Inner => inner;
    public string Kind => inner.Kind;
    public string Description => inner.Description;

    /// <summary>
    /// On, this profiler is the backend's observer; off, it is detached, so the backend runs
    /// exactly as unprofiled (nothing counted, no clock, no hook).
    /// </summary>
    public bool Enabled
    {
        get => inner.Observer == this;
        set
        {
            if (value) inner.Observer = this;
            else if (inner.Observer == this) inner.Observer = null;
        }
    }

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

    public void Begin(in KernelKey key)
    {
        if (!byKey.TryGetValue(key, out var stats))
        {
            stats = new KernelStats(key, KernelCost.Of(key));
            byKey.Add(key, stats);
            kernels.Add(stats);
        }
        clock.Begin();
        current = stats;
    }

    public void End(in KernelKey key)
    {
        if (current is not { } stats) return;
        current = null;
        clock.End(stats);
        stats.Launches++;
    }

    public void Dispose()
    {
        if (inner.Observer == this) inner.Observer = null;
        clock.Dispose();
        inner.Dispose();
    }
}
