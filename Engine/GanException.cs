namespace IlgpuGan.Engine;

/// <summary>
/// An error the user can act on (bad data, missing device, out of memory). Its message is one line
/// in the engine's own words; an application decides how to show it (the `ilgpugan` app prints it
/// and exits with code 1, without a stack trace).
/// </summary>
public class GanException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A value handed to the engine breaks one of its rules. <see cref="Setting"/> is the C# name of the
/// config field or parameter (<c>nameof(GanConfig.Batch)</c>, <c>"fixedClass"</c>) and
/// <see cref="Rule"/> the rule, worded to follow it ("must be at least 2"), so that an application
/// can name the setting in its own terms: a command-line flag, a key of a config file. A rule that
/// names other settings refers to them as {0}, {1}, ... (<see cref="Related"/>), for the same reason.
/// </summary>
public class InvalidSettingException(string setting, string rule, string? value = null, params string[] related)
    : GanException(Describe(setting, rule, value, related, n => n))
{
    public string Setting { get; } = setting;
    public string Rule { get; } = rule;
    /// <summary>The offending value as text, when one value is to blame.</summary>
    public string? Value { get; } = value;
    public IReadOnlyList<string> Related { get; } = related;

    /// <summary>The message with every setting named by <paramref name="name"/> (a flag, a JSON key).</summary>
    public string Describe(Func<string, string> name) => Describe(Setting, Rule, Value, Related, name);

    static string Describe(string setting, string rule, string? value, IReadOnlyList<string> related, Func<string, string> name) =>
        $"{name(setting)} {string.Format(System.Globalization.CultureInfo.InvariantCulture, rule, related.Select(name).ToArray<object>())}{(value is null ? "" : $", got {value}")}";
}

/// <summary>A <see cref="Gan.GanConfig"/> field breaks a rule (<see cref="Gan.GanConfig.Validate"/>).</summary>
public sealed class GanConfigException(string field, string rule, string? value = null, params string[] related)
    : InvalidSettingException(field, rule, value, related);

/// <summary>An allocation failed: on the device, or in host memory for the managed CPU backend.</summary>
public sealed class DeviceMemoryException(long bytes, string where, Exception? inner = null)
    : GanException($"out of memory: could not allocate {bytes / (1024.0 * 1024.0):F1} MiB on {where}", inner)
{
    public long Bytes { get; } = bytes;
    public string Where { get; } = where;
}

/// <summary>A device name is well formed but names no device present here.</summary>
public sealed class DeviceNotFoundException(string message) : GanException(message);
