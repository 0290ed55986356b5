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

    public const string FileName = "config.json";

    public void Save(string runDir) =>
        AtomicFile.WriteAllText(Path.Combine(runDir, FileName), JsonSerializer.Serialize(this, GanConfig.Json));

    public static RunInfo Load(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path)) throw new GanException($"{runDir} is not a run folder (no {FileName})");
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), GanConfig.Json)
                ?? throw new GanException($"{path} is empty");
        }
        catch (JsonException e) { throw new GanException($"{path} is corrupt: {Engine.Checkpoints.SafeTensors.JsonError(e)}"); }
    }
}
