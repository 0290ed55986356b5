namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>
/// Times kernel launches for <see cref="KernelProfiler"/>: <see cref="Begin"/> before a launch,
/// <see cref="End"/> after it; times may only be known after <see cref="Collect"/>, which waits for
/// the device.
/// </summary>
public interface IKernelClock : IDisposable
{
    /// <summary>One line for a report's header: which clock, and what its figures mean.</summary>
    string Description { get; }

    void Begin();

    void End(KernelStats kernel);

    /// <summary>Adds every finished launch's time to its kernel.</summary>
    void Collect();
}
