using System.Runtime.InteropServices;

namespace IlgpuGan.Host.Training;

/// <summary>
/// Turns Ctrl+C (SIGINT), SIGTERM and SIGHUP into a request to stop after the current step, so a
/// run killed by a terminal, a job scheduler or a closed SSH session still saves its checkpoint.
/// A second signal is left to the runtime's default (the process ends).
/// </summary>
public sealed class StopSignal : IDisposable
{
    readonly List<PosixSignalRegistration> registrations = [];
    volatile string? requestedBy;

    public StopSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            try { registrations.Add(PosixSignalRegistration.Create(signal, OnSignal)); }
            catch (PlatformNotSupportedException) { }   // SIGHUP has no Windows counterpart
        }
    }

    /// <summary>The signal that asked to stop ("SIGINT", ...), or null.</summary>
    public string? RequestedBy => requestedBy;

    public bool Requested => requestedBy is not null;

    /// <summary>Asks to stop, as a signal would (tests, and callers with their own reasons).</summary>
    public void Request(string reason) => requestedBy ??= reason;

    void OnSignal(PosixSignalContext context)
    {
        if (requestedBy is not null) return;   // the second one: let the process end
        context.Cancel = true;
        requestedBy = context.Signal.ToString();
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
    }
}
