using System.Runtime.InteropServices;

namespace IlgpuGan.Host.Training;

/// <summary>
/// Turns Ctrl+C (SIGINT), SIGTERM (`kill`, `docker stop`, a scheduler's preemption) and SIGHUP (a
/// closed SSH session) into a request to stop after the current step, so the run still saves its
/// checkpoint and report; the app then exits with the shell's code for the signal: 130, 143, 129.
/// A second signal ends the process at once (the runtime's default), except while a
/// <see cref="Defer"/> scope is open (a checkpoint being written): then it waits for the write, so
/// no signal ever leaves a torn checkpoint.
/// </summary>
public sealed class StopSignal : IDisposable
{
    readonly List<PosixSignalRegistration> registrations = [];
    volatile string? requestedBy;
    int deferring;

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

    /// <summary>The exit code for the signal that asked to stop: 128 + its number, as a shell reports it.</summary>
    public int ExitCode => ExitCodeOf(requestedBy);

    public static int ExitCodeOf(string? signal) => signal switch
    {
        "SIGHUP" => 128 + 1,
        "SIGTERM" => 128 + 15,
        _ => 128 + 2,   // SIGINT, and a stop asked for by the program itself
    };

    /// <summary>Asks to stop, as a signal would (tests, and callers with their own reasons).</summary>
    public void Request(string reason) => requestedBy ??= reason;

    /// <summary>
    /// While the returned scope is open, every signal only asks to stop: a second one no longer ends
    /// the process. Wrap writes that must not be cut short.
    /// </summary>
    public DeferScope Defer()
    {
        Interlocked.Increment(ref deferring);
        return new DeferScope(this);
    }

    public readonly struct DeferScope(StopSignal owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner.deferring);
    }

    void OnSignal(PosixSignalContext context)
    {
        if (requestedBy is not null && Volatile.Read(ref deferring) == 0) return;   // a second one: let the process end
        context.Cancel = true;
        requestedBy ??= context.Signal.ToString();
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
    }
}
