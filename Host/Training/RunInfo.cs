using System.Text.Json;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Training;

/// <summary>config.json of a run folder: what ran, on which device, from which data.</summary>
public sealed record RunInfo
{
    public required GanConfig Config { get; init; }
    public required long Steps { get; init; }
    public required string Device { get; init; }
    public string? DeviceDescription { get; init; }
    public string? DataDir { get; init; }
    public int SampleEvery { get; init; } = 50;
    public int CheckpointEvery { get; init; } = 500;
    public int LogEvery { get; init; } = 10;
    /// <summary>Steps between quality evaluations appended to metrics.csv; 0 for none.</summary>
    public int EvalEvery { get; init; }
    public int EvalSamples { get; init; } = 5000;
    public string Version { get; init; } = typeof(RunInfo).Assembly.GetName().Version?.ToString() ?? "0";
    public DateTimeOffset Created { get; init; } = DateTimeOffset.Now;

    /// <summary>Kept for callers that name the file; the layout lives in <see cref="RunFolder"/>.</summary>
    public const string FileName = RunFolder.ConfigFileName;

    public void Save(string runDir) =>
        AtomicFile.WriteAllText(new RunFolder(runDir).Config, JsonSerializer.Serialize(this, GanConfig.Json));

    /// <summary>config.json of the run folder behind --checkpoint (see <see cref="RunFolder.Containing"/>), or null when it has none.</summary>
    public static RunInfo? TryLoadContaining(string source)
    {
        var run = RunFolder.Containing(source);
        return File.Exists(run.Config) ? Load(run.Root) : null;
    }

    /// <summary>
    /// Reads and validates config.json: what it says is data, not a command line, so each mistake
    /// is a one-line <see cref="GanException"/> naming the file and the key (exit 1), never a flag.
    /// </summary>
    public static RunInfo Load(string runDir)
    {
        var path = new RunFolder(runDir).Config;
        if (!File.Exists(path)) throw new GanException($"{runDir} is not a run folder (no {FileName})");
        RunInfo? info;
        try { info = JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), GanConfig.Json); }
        catch (JsonException e) { throw Malformed(path, e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot read {path}: {e.Message}"); }
        if (info is null) throw new GanException($"{path} is empty (null)");
        info.Validate(path);
        return info;
    }

    /// <summary>A JSON error, named by its key where the reader knows it: "key config.batch: The JSON value could not be converted to System.Int32".</summary>
    static GanException Malformed(string path, JsonException e)
    {
        string key = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        int cut = e.Message.IndexOf(" Path: ", StringComparison.Ordinal);
        return key.Length == 0 || cut < 0
            ? new GanException($"{path} is corrupt: {Engine.Checkpoints.SafeTensors.JsonError(e)}")
            : new GanException($"{path}: key {key}: {OneLine(e.Message[..cut]).TrimEnd('.')}");
    }

    /// <summary>A reader's message may quote the damaged text, line breaks and all: one line, at most 160 characters.</summary>
    static string OneLine(string s)
    {
        s = string.Join(' ', s.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return s.Length <= 160 ? s : s[..157] + "...";
    }

    /// <summary>The rules of config.json's own keys, then the run config's (<see cref="GanConfig.Validate"/>), named as keys of <paramref name="path"/>.</summary>
    public void Validate(string path)
    {
        GanException Key(string key, string rule) => new($"{path}: key {key} {rule}");
        // JSON null gets past 'required': these are what a hand edit or a damaged file leaves.
        if (Config is null) throw Key("config", "is missing or null");
        if (Device is null) throw Key("device", "is missing or null");
        if (string.IsNullOrEmpty(Config.Dataset)) throw Key("config.dataset", "is missing or empty");
        if (!Mixture2D.IsMixture(Config.Dataset) && !Data.DatasetCatalog.TryGet(Config.Dataset, out _))
            throw Key("config.dataset", $"names no known dataset, got '{Config.Dataset}'");
        if (Steps < 1) throw Key("steps", $"must be at least 1, got {Steps}");
        foreach (var (key, value) in new[] { ("sample_every", SampleEvery), ("checkpoint_every", CheckpointEvery), ("log_every", LogEvery) })
            if (value < 1) throw Key(key, $"must be at least 1, got {value}");
        if (EvalEvery < 0) throw Key("eval_every", $"must be at least 0, got {EvalEvery}");
        if (EvalSamples < 10) throw Key("eval_samples", $"must be at least 10, got {EvalSamples}");
        try
        {
            Config.Validate();
            DeviceSpec.Parse(Device);
        }
        catch (InvalidSettingException e) { throw Cli.ErrorReport.ForConfigFile(e, path); }
    }
}
