namespace IlgpuGan.Engine;

/// <summary>
/// An error the user can act on (bad data, missing device, out of memory). The command-line app
/// prints its message as one line and exits with code 1; it never shows a stack trace for it.
/// </summary>
public class GanException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A mistake in how a command was called; the app exits with code 2.</summary>
public sealed class UsageException(string message) : GanException(message);
