using System.Text.Json;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Engine.Gan;

/// <summary>Where a run is in its data, noise and step count (what safetensors files don't hold).</summary>
/// <remarks>DUpdates is absent from checkpoints of runs older than --d-steps; there it equals Step.</remarks>
public sealed record TrainerState(long Step, ulong NoiseCounter, int Epoch, int BatchInEpoch, long? DUpdates = null);

/// <summary>
/// A run's checkpoint folder (its layout: <see cref="RunFolder"/>): G.safetensors and D.safetensors
/// (torch state_dicts, loadable with safetensors.torch.load_file), optimizer.safetensors (the
/// optimizer's state per network, as torch names it) and state.json. The folder is written beside
/// the old one and swapped in by renames, so a crash at any moment leaves a complete checkpoint:
/// "checkpoint", or "checkpoint.prev" during the swap.
/// </summary>
public static class Checkpoint
{
    /// <summary>Kept for callers that name the folder; the layout lives in <see cref="RunFolder"/>.</summary>
    public const string FolderName = RunFolder.CheckpointFolderName;

    /// <summary>
    /// Writes the trainer's checkpoint. On a failed write (a full disk, above all) the partial
    /// folder is deleted and the previous checkpoint stays as it was; the error is one line. A
    /// diverged run (any loss since the start, or any value to be saved, NaN or infinite) writes
    /// nothing and throws <see cref="TrainingDivergedException"/>: a NaN checkpoint never replaces a good one.
    /// </summary>
    public static void Save(GanTrainer trainer, string runDir)
    {
        trainer.RequireFinite();
        var run = new RunFolder(runDir);
        string final = run.Checkpoint, prev = run.PreviousCheckpoint;
        string tmp = run.CheckpointStaging(Environment.ProcessId);
        try
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            Directory.CreateDirectory(tmp);
            WriteFiles(trainer, tmp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StaleTemps.TryRemove(tmp);
            throw StaleTemps.IsDiskFull(e)
                ? new GanException($"no space left on device writing {final}; the previous checkpoint is kept", e)
                : new GanException($"cannot write checkpoint {final}: {e.Message}", e);
        }

        if (Directory.Exists(prev)) Directory.Delete(prev, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, prev);
        Directory.Move(tmp, final);
        if (Directory.Exists(prev)) Directory.Delete(prev, recursive: true);
    }

    static void WriteFiles(GanTrainer trainer, string tmp)
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["step"] = trainer.Step.ToString() };
        // G's input width is latent + classes; the sampler needs the split to rebuild the input.
        var gMeta = new Dictionary<string, string>(meta) { ["latent"] = trainer.Config.Latent.ToString() };
        if (trainer.Config.Conditional) gMeta["classes"] = trainer.Config.Classes.ToString();
        // A conv G cannot be recognised from its tensors alone as the MLPs are: name its model and images.
        if (trainer.Config.Model != Nn.ModelKind.Mlp)
        {
            gMeta["model"] = Kinds.Name(trainer.Config.Model);
            gMeta["image_size"] = trainer.Config.ImageSize.ToString();
            gMeta["channels"] = trainer.Config.Channels.ToString();
        }
        SafeTensors.Save(Path.Combine(tmp, RunFolder.GeneratorFileName), trainer.G.StateDict(), gMeta);
        SafeTensors.Save(Path.Combine(tmp, RunFolder.DiscriminatorFileName), trainer.D.StateDict(), meta);
        SafeTensors.Save(Path.Combine(tmp, RunFolder.OptimizerFileName), trainer.OptG.State("G.").Concat(trainer.OptD.State("D.")), meta);
        var state = new TrainerState(trainer.Step, trainer.NoiseCounter, trainer.Epoch, trainer.BatchInEpoch, trainer.DUpdates);
        AtomicFile.WriteAllText(Path.Combine(tmp, RunFolder.StateFileName), JsonSerializer.Serialize(state, GanConfig.Json));
    }

    /// <summary>
    /// Removes what killed runs left in a run folder: checkpoint.tmp-PID folders and AtomicFile
    /// temporaries (there and one folder down) whose process is gone. Call at start and at resume;
    /// returns the paths removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemps(string runDir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(runDir)) return removed;
        foreach (var dir in Directory.EnumerateDirectories(runDir, RunFolder.CheckpointStagingPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(dir).AsSpan(RunFolder.CheckpointStagingPrefix.Length), out int pid)) continue;
            if (StaleTemps.OwnerIsGone(pid, dir) && StaleTemps.TryRemove(dir)) removed.Add(dir);
        }
        // AtomicFile's temporaries: in the run folder and the folders in it (sample grids).
        removed.AddRange(AtomicFile.RemoveStaleTemps(runDir));
        foreach (var sub in Directory.EnumerateDirectories(runDir))
            removed.AddRange(AtomicFile.RemoveStaleTemps(sub));
        return removed;
    }

    /// <summary>The newest complete checkpoint folder of a run, or null when it has none.</summary>
    public static string? Find(string runDir) => new RunFolder(runDir).FindCheckpoint();

    /// <summary>
    /// Loads the newest checkpoint into the trainer. Everything is read and checked before anything
    /// is copied: each file's format, state.json against the safetensors files' own step, the data
    /// position against the trainer's epoch length, every value finite, every tensor's shape.
    /// </summary>
    public static TrainerState Load(GanTrainer trainer, string runDir)
    {
        var dir = Find(runDir) ?? throw new GanException($"no checkpoint in {runDir} (expected {new RunFolder(runDir).Checkpoint})");
        var statePath = Path.Combine(dir, RunFolder.StateFileName);
        var state = CheckpointState.Read(statePath);
        var g = Path.Combine(dir, RunFolder.GeneratorFileName);
        var d = Path.Combine(dir, RunFolder.DiscriminatorFileName);
        var o = Path.Combine(dir, RunFolder.OptimizerFileName);
        var files = new[] { g, d, o }.Select(f => (Path: f, Content: SafeTensors.Load(f))).ToList();
        foreach (var (path, (tensors, meta)) in files)
        {
            FiniteCheck.Require(tensors, path);
            CheckpointState.MatchesFile(state, statePath, meta, path);
        }
        CheckpointState.MatchesOptimizer(state, statePath, files[2].Content.Tensors, o);
        CheckpointState.FitsTrainer(state, statePath, trainer.BatchesPerEpoch);
        trainer.G.LoadStateDict(files[0].Content.Tensors, g);
        trainer.D.LoadStateDict(files[1].Content.Tensors, d);
        var opt = files[2].Content.Tensors;
        trainer.OptG.LoadState(opt, "G.", o);
        trainer.OptD.LoadState(opt, "D.", o);
        trainer.Restore(state.Step, state.DUpdates ?? state.Step, state.NoiseCounter, state.Epoch, state.BatchInEpoch);
        return state;
    }
}
