using IlgpuGan.Engine;

namespace IlgpuGan.Host;

/// <summary>A mistake in how a command was called, in the command line's own words; the app exits with code 2.</summary>
public sealed class UsageException(string message) : GanException(message);
