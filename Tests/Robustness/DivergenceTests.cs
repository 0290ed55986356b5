using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Cli;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// A diverging run never writes a NaN checkpoint: losses are checked on the device every step and
/// every saved value before each checkpoint; the last good checkpoint survives byte for byte and
/// the run exits 1 naming the step where the first non-finite value appeared.
/// </summary>
public sealed class DivergenceTests
{
    static readonly string[] Files = ["G.safetensors", "D.safetensors", "optimizer.safetensors", "state.json"];

    static Dictionary<string, string> Hashes(string checkpoint) =>
        Files.ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(checkpoint, f)))));

    static string LastLine(string s) => s.TrimEnd().Split('\n')[^1];

    static long DivergedStep(CliResult r)
    {
        var m = Regex.Match(LastLine(r.Stderr), @"^ilgpugan: error: training diverged at step (\d+) ");
        Assert.True(m.Success, r.ToString());
        return long.Parse(m.Groups[1].Value);
    }

    [Fact]
    public void A_checkpoint_interval_shorter_than_the_log_interval_keeps_the_last_good_checkpoint()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var good = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "20", "--checkpoint-every", "20", "--out", dir);
        Assert.True(good.ExitCode == 0, good.ToString());
        var checkpoint = Path.Combine(dir, "checkpoint");
        var before = Hashes(checkpoint);
        // The same run continued at --lr 1e9 (config.json is the run's recipe; a resume cannot take --lr).
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["config"]!["lr"] = 1e9;
        File.WriteAllText(configPath, config.ToJsonString());

        var r = Ilgpugan.Run("train", "--resume", dir, "--steps", "100", "--checkpoint-every", "20", "--log-every", "1000");

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.InRange(DivergedStep(r), 21, 40);   // after the good checkpoint, before the next one was due
        Assert.Contains("try a lower --lr", LastLine(r.Stderr));
        Assert.Equal(before, Hashes(checkpoint));
        Assert.Empty(SignalTests.Staging(dir));   // no staging folder, no .prev
    }

    [Fact]
    public void A_run_that_diverges_before_its_first_checkpoint_writes_none()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--lr", "1e9", "--log-every", "1000",
            "--checkpoint-every", "20", "--steps", "100", "--out", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.InRange(DivergedStep(r), 1, 20);
        Assert.False(Directory.Exists(Path.Combine(dir, "checkpoint")), r.ToString());
        Assert.DoesNotContain(Directory.GetDirectories(dir), d => Path.GetFileName(d).StartsWith("checkpoint", StringComparison.Ordinal));
    }

    /// <summary>The fused check before a save covers what the losses may not show yet: running statistics and optimizer state.</summary>
    [Theory]
    [InlineData("parameter")]
    [InlineData("running_var")]
    [InlineData("optimizer")]
    public void Save_refuses_a_non_finite_value_anywhere_in_the_state(string where)
    {
        using var backend = new CpuBackend(threads: 1);
        using var run = new IdxFixtures.TempFolder();
        const int features = 16, count = 8;
        var pixels = new byte[count * features];
        new Random(3).NextBytes(pixels);
        // The notebook generator has BatchNorm, so it has running statistics.
        using var t = new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 4, Generator = GeneratorKind.Notebook }, pixels, count, features);
        t.TrainStep();
        Checkpoint.Save(t, run.Path);
        var checkpoint = Path.Combine(run.Path, Checkpoint.FolderName);
        var before = Hashes(checkpoint);
        t.TrainStep();
        var target = where switch
        {
            "parameter" => t.D.Parameters.Slice(3, 1),
            "running_var" => t.G.Layers.SelectMany(l => l.Slots).First(s => s.Name.EndsWith("running_var")).Value.Slice(1, 1),
            _ => t.OptG.StateTensors[^1].Slice(5, 1),
        };
        target.CopyFrom([float.PositiveInfinity]);

        var e = Assert.Throws<TrainingDivergedException>(() => Checkpoint.Save(t, run.Path));
        Assert.Equal(2, e.Step);
        Assert.Equal(before, Hashes(checkpoint));
        Assert.Empty(SignalTests.Staging(run.Path));
    }
}
