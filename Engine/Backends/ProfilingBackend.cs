using System.Diagnostics;
using IlgpuGan.Engine.Backends.Profiling;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// `bench`'s per-family breakdown: observes a backend's ops (<see cref="BackendBase.Observer"/>)
/// and, while <see cref="Profiling"/> is on, waits for each op to finish and charges its wall time
/// to its category (<see cref="KernelKey.Category"/>: gemm, activation, batchnorm, loss, adam,
/// data); it counts the FLOPs of every GEMM (<see cref="KernelKey.GemmFlops"/>) whether or not
/// profiling is on. The Linear forward and input gradient are GEMMs with an epilogue, so their time
/// is "gemm" and their FLOPs the GEMM's 2·m·n·k. Waiting per op changes nothing on the CPU backend,
/// whose ops are synchronous; on a GPU it removes overlap, so the breakdown there is an upper bound
/// per op. Run the backend itself (<see cref="Inner"/>); disposing this disposes it.
/// </summary>
public sealed class ProfilingBackend : IOpObserver, IDisposable
{
    public static readonly string[] Categories = KernelKey.Categories;

    readonly BackendBase inner;
    readonly Dictionary<string, TimeSpan> time = Categories.ToDictionary(c => c, _ => TimeSpan.Zero);
    long start;

    public ProfilingBackend(IBackend inner)
    {
        this.inner = inner as BackendBase
            ?? throw new ArgumentException($"{inner.GetType().Name} cannot be observed: profiling needs a backend derived from {nameof(BackendBase)}", nameof(inner));
        this.inner.Observer = this;
    }

    /// <summary>The observed backend: what the model runs on.</summary>
    public IBackend Inner => inner;
    public string Kind => inner.Kind;
    public string Description => inner.Description;

    public bool Profiling { get; set; }

    /// <summary>GEMM FLOPs (2·m·n·k each) issued since the last <see cref="Reset"/>, counted whether or not profiling is on.</summary>
    public double GemmFlops { get; private set; }

    public IReadOnlyDictionary<string, TimeSpan> Time => time;

    public void Reset()
    {
        foreach (var c in Categories) time[c] = TimeSpan.Zero;
        GemmFlops = 0;
    }

    public void Begin(in KernelKey key)
    {
        GemmFlops += key.GemmFlops;
        if (!Profiling) return;
        inner.Synchronize();
        start = Stopwatch.GetTimestamp();
    }

    public void End(in KernelKey key)
    {
        if (!Profiling || start == 0) return;
        inner.Synchronize();
        time[key.Category] += Stopwatch.GetElapsedTime(start);
        start = 0;
    }

    public void Dispose()
    {
        if (inner.Observer == this) inner.Observer = null;
        inner.Dispose();
    }
}
