using System.Text.Json;
using IlgpuGan.Engine;

namespace IlgpuGan.Host.Cli;

/// <summary>
/// Turns the engine's typed errors into the one line a user reads and the exit code: a setting
/// that came from a flag is named as that flag (usage error, 2); one read from a run's config.json
/// is named as its key (data error, 1). The engine never names flags; this is where they are named.
/// </summary>
public static class ErrorReport
{
    /// <summary>Engine settings (C# names) whose flag is not the kebab-case of the name.</summary>
    static readonly Dictionary<string, string> FlagOverrides = new(StringComparer.Ordinal)
    {
        ["fixedClass"] = "--class",
        ["classes"] = "--class",
    };

    /// <summary>The flag for an engine setting: Batch → --batch, DSteps → --d-steps, GpLambda → --gp-lambda.</summary>
    public static string Flag(string setting) =>
        FlagOverrides.TryGetValue(setting, out var f) ? f : "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(setting);

    /// <summary>The config.json key of a <see cref="Engine.Gan.GanConfig"/> field: DSteps → d_steps.</summary>
    public static string ConfigKey(string field) => JsonNamingPolicy.SnakeCaseLower.ConvertName(field);

    /// <summary>A setting's error, the setting given as a flag of <paramref name="command"/>.</summary>
    public static string ForFlag(InvalidSettingException e, string command) => $"{command}: {e.Describe(Flag)}";

    /// <summary>A config field's error when the config came from a run's config.json (resume).</summary>
    public static GanException ForConfigFile(InvalidSettingException e, string configPath) =>
        new($"{configPath}: key {e.Describe(f => ConfigKey(f))}", e);

    /// <summary>The exit code and line for an error that reached the top of a command.</summary>
    public static (int Code, string Message) Describe(Exception e, string command) => e switch
    {
        UsageException u => (2, $"{u.Message}\nsee 'ilgpugan {command} --help'"),
        InvalidSettingException s => (2, $"{ForFlag(s, command)}\nsee 'ilgpugan {command} --help'"),
        DeviceMemoryException m => (1, $"{m.Message}; try a smaller --batch"),
        Engine.Gan.TrainingDivergedException t => (1, $"{t.Message}; try a lower --lr"),
        DeviceNotFoundException d => (1, $"{d.Message}; see 'ilgpugan devices' or use --device auto"),
        GanException g => (1, g.Message),
        _ when IsOutOfMemory(e) => (1, $"out of memory: {FirstLine(e.Message)}; try a smaller --batch"),
        _ => (1, $"unexpected {e.GetType().Name}: {FirstLine(e.Message)} (set ILGPUGAN_DEBUG=1 for details)"),
    };

    static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("OUT_OF_MEMORY", StringComparison.OrdinalIgnoreCase) ||
        (e.InnerException is { } inner && IsOutOfMemory(inner));

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
