using System.Text.Json;
using IlgpuGan.Engine;
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

    public static RunInfo Load(string runDir)
    {
        var path = new RunFolder(runDir).Config;
        if (!File.Exists(path)) throw new GanException($"{runDir} is not a run folder (no {FileName})");
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), GanConfig.Json)
                ?? throw new GanException($"{path} is empty");
        }
        catch (JsonException e) { throw new GanException($"{path} is corrupt: {Engine.Checkpoints.SafeTensors.JsonError(e)}"); }
    }
}
