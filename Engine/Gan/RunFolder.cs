using System.Globalization;
using System.Text.RegularExpressions;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// The layout of a run folder, and the only code that knows it:
/// <code>
/// config.json, metrics.csv, report.html, morph.gif (morph's default output)
/// samples/step_NNNNNN.png (image runs) or .svg (2D runs), samples/timeline.gif
/// checkpoint/G.safetensors, D.safetensors, optimizer.safetensors, state.json
/// checkpoint.prev/ (only during a checkpoint swap), checkpoint.tmp-PID/ (a checkpoint being written)
/// </code>
/// <see cref="Checkpoint"/> writes and reads the checkpoint folder through it; the commands find
/// everything else through it, and resolve "a run folder, its checkpoint folder, or a
/// G.safetensors file" with <see cref="ResolveGenerator"/> and <see cref="Containing"/>.
/// </summary>
public sealed partial record RunFolder(string Root)
{
    public const string ConfigFileName = "config.json";
    public const string MetricsFileName = "metrics.csv";
    public const string ReportFileName = "report.html";
    public const string MorphFileName = "morph.gif";
    public const string SamplesFolderName = "samples";
    public const string TimelineFileName = "timeline.gif";
    public const string CheckpointFolderName = "checkpoint";
    public const string PreviousCheckpointFolderName = CheckpointFolderName + ".prev";
    public const string GeneratorFileName = "G.safetensors";
    public const string DiscriminatorFileName = "D.safetensors";
    public const string OptimizerFileName = "optimizer.safetensors";
    /// <summary>Written last into a checkpoint folder: its presence marks the folder complete.</summary>
    public const string StateFileName = "state.json";

    public string Config => Path.Combine(Root, ConfigFileName);
    public string Metrics => Path.Combine(Root, MetricsFileName);
    public string Report => Path.Combine(Root, ReportFileName);
    public string Morph => Path.Combine(Root, MorphFileName);
    public string Samples => Path.Combine(Root, SamplesFolderName);
    public string Timeline => Path.Combine(Samples, TimelineFileName);
    public string Checkpoint => Path.Combine(Root, CheckpointFolderName);
    public string PreviousCheckpoint => Path.Combine(Root, PreviousCheckpointFolderName);

    /// <summary>Where a process writes a new checkpoint before swapping it in.</summary>
    public string CheckpointStaging(int processId) => Path.Combine(Root, $"{CheckpointStagingPrefix}{processId}");

    /// <summary>checkpoint.tmp-PID: a checkpoint being written by process PID (stale once PID is gone).</summary>
    public const string CheckpointStagingPrefix = CheckpointFolderName + ".tmp-";

    /// <summary>samples/step_NNNNNN.ext: zero-padded so that names sort by step.</summary>
    public string SampleFile(long step, string extension) => Path.Combine(Samples, SampleFileName(step, extension));

    public static string SampleFileName(long step, string extension) =>
        string.Create(CultureInfo.InvariantCulture, $"step_{step:D6}.{extension}");

    [GeneratedRegex(@"^step_(\d+)\.(png|svg)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SampleName();

    /// <summary>Step and lower-case extension (png or svg) of a sample file name; false for any other file.</summary>
    public static bool TryParseSampleFileName(string fileName, out long step, out string extension)
    {
        var m = SampleName().Match(fileName);
        step = 0;
        extension = "";
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out step)) return false;
        extension = m.Groups[2].Value.ToLowerInvariant();
        return true;
    }

    /// <summary>The newest complete checkpoint folder (checkpoint, else checkpoint.prev during a swap), or null.</summary>
    public string? FindCheckpoint()
    {
        foreach (var dir in new[] { Checkpoint, PreviousCheckpoint })
            if (File.Exists(Path.Combine(dir, StateFileName))) return dir;
        return null;
    }

    /// <summary>The G.safetensors behind --checkpoint: the file itself, a folder holding one, or a run folder's newest checkpoint.</summary>
    public static string ResolveGenerator(string source)
    {
        if (File.Exists(source)) return source;
        if (!Directory.Exists(source)) throw new GanException($"checkpoint '{source}' not found");
        if (File.Exists(Path.Combine(source, GeneratorFileName))) return Path.Combine(source, GeneratorFileName);
        var dir = new RunFolder(source).FindCheckpoint() ?? throw new GanException($"no checkpoint in {source}: train first, or pass a G.safetensors file");
        return Path.Combine(dir, GeneratorFileName);
    }

    /// <summary>
    /// The run folder behind --checkpoint (a run folder, its checkpoint folder, or a file in either),
    /// as a full path: never the checkpoint folder itself, which the next `train --resume` replaces
    /// whole (losing anything written into it).
    /// </summary>
    public static RunFolder Containing(string source)
    {
        string dir = File.Exists(source) ? Path.GetDirectoryName(Path.GetFullPath(source))! : Path.GetFullPath(source);
        dir = Path.TrimEndingDirectorySeparator(dir);
        string name = Path.GetFileName(dir);
        return new(name is CheckpointFolderName or PreviousCheckpointFolderName ? Path.GetDirectoryName(dir)! : dir);
    }
}
