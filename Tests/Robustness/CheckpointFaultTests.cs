using System.Diagnostics;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// A checkpoint folder that lies (a state.json out of range or from another save, NaN weights),
/// temp folders of killed runs, and a disk that fills up during a save.
/// </summary>
public sealed class CheckpointFaultTests : IDisposable
{
    readonly CpuBackend backend = new(threads: 1);
    readonly IdxFixtures.TempFolder run = new();

    GanTrainer NewTrainer()
    {
        const int features = 16, count = 8;
        var pixels = new byte[count * features];
        new Random(3).NextBytes(pixels);
        return new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 4 }, pixels, count, features);
    }

    string CheckpointFile(string name) => Path.Combine(run.Path, Checkpoint.FolderName, name);

    GanTrainer SavedRun(int steps = 2)
    {
        var t = NewTrainer();
        for (int i = 0; i < steps; i++) t.TrainStep();
        Checkpoint.Save(t, run.Path);
        return t;
    }

    GanException LoadFails()
    {
        using var fresh = NewTrainer();
        var e = Assert.Throws<GanException>(() => Checkpoint.Load(fresh, run.Path));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData("step", "-5", "\"step\" must be a whole number from 0")]
    [InlineData("step", "1.5", "\"step\" must be a whole number")]
    [InlineData("step", "\"2\"", "\"step\" must be a whole number")]
    [InlineData("noise_counter", "-1", "\"noise_counter\" must be a whole number")]
    [InlineData("epoch", "2147483648", "\"epoch\" must be a whole number from 0 to 2147483647")]
    [InlineData("batch_in_epoch", "null", "\"batch_in_epoch\" must be a whole number")]
    [InlineData("d_updates", "1", "\"d_updates\" must be a whole number ≥ step (2)")]
    [InlineData("batch_in_epoch", "3", "batch_in_epoch 3 is past the end of an epoch (2 batches)")]
    [InlineData("step", "1", "step 1 does not match")]
    [InlineData("d_updates", "3", "d_updates 3 does not match D.step 2 in")]
    public void BadStateValueNamesTheFileKeyAndRule(string key, string value, string rule)
    {
        using var t = SavedRun();
        var path = CheckpointFile("state.json");
        var text = File.ReadAllText(path);
        var edited = System.Text.RegularExpressions.Regex.Replace(text, $"\"{key}\": [^,\\n}}]+", $"\"{key}\": {value}");
        Assert.NotEqual(text, edited);
        File.WriteAllText(path, edited);
        var e = LoadFails();
        Assert.Contains(path, e.Message);
        Assert.Contains(rule, e.Message);
    }

    [Theory]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"step\": 2}", "missing \"noise_counter\"")]
    [InlineData("{", "is corrupt")]
    [InlineData("", "is corrupt")]
    public void BrokenStateJsonIsNamed(string content, string defect)
    {
        using var t = SavedRun();
        File.WriteAllText(CheckpointFile("state.json"), content);
        Assert.Contains(defect, LoadFails().Message);
    }

    [Fact]
    public void AValidCheckpointStillResumes()
    {
        using var t = SavedRun(steps: 3);
        using var fresh = NewTrainer();
        var state = Checkpoint.Load(fresh, run.Path);
        Assert.Equal(3, state.Step);
        Assert.Equal(t.G.StateDict()[0].Floats, fresh.G.StateDict()[0].Floats);
    }

    [Theory]
    [InlineData("G.safetensors", float.NaN)]
    [InlineData("D.safetensors", float.PositiveInfinity)]
    [InlineData("optimizer.safetensors", float.NegativeInfinity)]
    public void NonFiniteCheckpointIsRefusedByResumeAndSampler(string file, float poison)
    {
        using var t = SavedRun();
        var path = CheckpointFile(file);
        var (tensors, meta) = SafeTensors.Load(path);
        var victim = tensors.Values.First(x => x.Floats is { Length: > 10 });
        victim.Floats![7] = poison;
        SafeTensors.Save(path, tensors.Values, meta);

        var e = LoadFails();
        Assert.Contains($"{path}: tensor {victim.Name} holds a non-finite value ({poison} at index 7)", e.Message);
        if (file == "G.safetensors")
        {
            var s = Assert.Throws<GanException>(() => new Sampler(backend, path));
            Assert.Contains("non-finite", s.Message);
        }
    }

    [Fact]
    public void StaleTempFoldersOfGoneProcessesAreRemoved()
    {
        int dead = DeadPid();
        var stale = Directory.CreateDirectory(Path.Combine(run.Path, $"checkpoint.tmp-{dead}")).FullName;
        File.WriteAllText(Path.Combine(stale, "G.safetensors"), "partial");
        var own = Directory.CreateDirectory(Path.Combine(run.Path, $"checkpoint.tmp-{Environment.ProcessId}")).FullName;
        var staleFile = Path.Combine(run.Path, $".config.json.{dead}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(staleFile, "{");
        var samples = Directory.CreateDirectory(Path.Combine(run.Path, "samples")).FullName;
        var staleGrid = Path.Combine(samples, $".step_000050.png.{dead}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(staleGrid, "");
        var grid = Path.Combine(samples, "step_000050.png");
        File.WriteAllText(grid, "");
        // A live process that started before the folder was written may be writing it: kept.
        using var live = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        Thread.Sleep(50);
        var busy = Directory.CreateDirectory(Path.Combine(run.Path, $"checkpoint.tmp-{live.Id}")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(run.Path, "checkpoint.tmp-notapid")).FullName;
        try
        {
            var removed = Checkpoint.RemoveStaleTemps(run.Path);
            Assert.Equal(new[] { own, stale, staleFile, staleGrid }.Order(), removed.Select(Path.GetFullPath).Order());
            Assert.True(File.Exists(grid));
            Assert.False(Directory.Exists(stale));
            Assert.False(File.Exists(staleFile));
            Assert.True(Directory.Exists(busy));
            Assert.True(Directory.Exists(other));
        }
        finally
        {
            live.Kill();
        }
    }

    [Fact]
    public void CheckpointSaveLeavesNoTempFolder()
    {
        using var t = SavedRun();
        Checkpoint.Save(t, run.Path);
        Assert.Equal([Checkpoint.FolderName], Directory.GetDirectories(run.Path).Select(Path.GetFileName));
    }

    static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    public void Dispose()
    {
        backend.Dispose();
        run.Dispose();
    }
}
