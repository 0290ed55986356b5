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

    public static void Save(GanTrainer trainer, string runDir)
    {
        var run = new RunFolder(runDir);
        string final = run.Checkpoint, prev = run.PreviousCheckpoint;
        string tmp = run.CheckpointStaging(Environment.ProcessId);
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["step"] = trainer.Step.ToString() };
        // G's input width is latent + classes; the sampler needs the split to rebuild the input.
        var gMeta = new Dictionary<string, string>(meta) { ["latent"] = trainer.Config.Latent.ToString() };
        if (trainer.Config.Conditional) gMeta["classes"] = trainer.Config.Classes.ToString();
        SafeTensors.Save(Path.Combine(tmp, RunFolder.GeneratorFileName), trainer.G.StateDict(), gMeta);
        SafeTensors.Save(Path.Combine(tmp, RunFolder.DiscriminatorFileName), trainer.D.StateDict(), meta);
        SafeTensors.Save(Path.Combine(tmp, RunFolder.OptimizerFileName), trainer.OptG.State("G.").Concat(trainer.OptD.State("D.")), meta);
        var state = new TrainerState(trainer.Step, trainer.NoiseCounter, trainer.Epoch, trainer.BatchInEpoch, trainer.DUpdates);
        AtomicFile.WriteAllText(Path.Combine(tmp, RunFolder.StateFileName), JsonSerializer.Serialize(state, GanConfig.Json));

        if (Directory.Exists(prev)) Directory.Delete(prev, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, prev);
        Directory.Move(tmp, final);
        if (Directory.Exists(prev)) Directory.Delete(prev, recursive: true);
    }

    /// <summary>The newest complete checkpoint folder of a run, or null when it has none.</summary>
    public static string? Find(string runDir) => new RunFolder(runDir).FindCheckpoint();

    public static TrainerState Load(GanTrainer trainer, string runDir)
    {
        var dir = Find(runDir) ?? throw new GanException($"no checkpoint in {runDir} (expected {new RunFolder(runDir).Checkpoint})");
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, RunFolder.StateFileName)), GanConfig.Json)
                ?? throw new GanException($"{dir}/state.json is empty");
        }
        catch (JsonException e) { throw new GanException($"{dir}/state.json is corrupt: {e.Message}"); }
        var g = Path.Combine(dir, RunFolder.GeneratorFileName);
        var d = Path.Combine(dir, RunFolder.DiscriminatorFileName);
        var o = Path.Combine(dir, RunFolder.OptimizerFileName);
        trainer.G.LoadStateDict(SafeTensors.Load(g).Tensors, g);
        trainer.D.LoadStateDict(SafeTensors.Load(d).Tensors, d);
        var opt = SafeTensors.Load(o).Tensors;
        trainer.OptG.LoadState(opt, "G.", o);
        trainer.OptD.LoadState(opt, "D.", o);
        trainer.Restore(state.Step, state.DUpdates ?? state.Step, state.NoiseCounter, state.Epoch, state.BatchInEpoch);
        return state;
    }
}
