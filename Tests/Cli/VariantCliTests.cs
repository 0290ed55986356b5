using System.Globalization;
using System.Text.Json;
using IlgpuGan.Engine.Checkpoints;

namespace IlgpuGan.Tests.Cli;

/// <summary>The variant flags of `train` end to end on the CPU backend: what they record and what they do.</summary>
public sealed class VariantCliTests
{
    /// <summary>A short run with these test defaults, each unless <paramref name="extra"/> gives it (an option may appear once).</summary>
    static CliResult Train(string dir, params string[] extra)
    {
        string[][] defaults = [["--sample-every", "100"], ["--checkpoint-every", "100"]];
        return Ilgpugan.Run(["train", "--data", Ilgpugan.Mnist, "--device", "cpu", "--batch", "8", "--log-every", "1", "--out", dir,
            .. defaults.Where(d => !extra.Contains(d[0])).SelectMany(d => d), .. extra]);
    }

    static JsonElement Config(string dir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement.GetProperty("config");

    [Fact]
    public void D_steps_shows_in_the_step_counters_of_metrics_csv()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "dsteps");
        var r = Train(dir, "--steps", "3", "--d-steps", "5");
        Assert.True(r.ExitCode == 0, r.ToString());
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        var header = rows[0].Split(',');
        int step = Array.IndexOf(header, "step"), dSteps = Array.IndexOf(header, "d_steps");
        var counters = rows.Skip(1).Select(l => l.Split(',')).Select(c => (long.Parse(c[step]), long.Parse(c[dSteps]))).ToList();
        Assert.Equal([(1L, 5L), (2L, 10L), (3L, 15L)], counters);
        // And in the optimizers' own step counts.
        var opt = SafeTensors.Load(Path.Combine(dir, "checkpoint", "optimizer.safetensors")).Tensors;
        Assert.Equal(15, opt["D.step"].Longs![0]);
        Assert.Equal(3, opt["G.step"].Longs![0]);
    }

    [Theory]
    [InlineData("wgan", "rmsprop", 5e-5, 5)]
    [InlineData("wgan-gp", "adam", 1e-4, 5)]
    [InlineData("lsgan", "adam", 2e-4, 1)]
    [InlineData("hinge", "adam", 2e-4, 1)]
    public void Each_loss_trains_with_its_paper_defaults(string loss, string optimizer, double lr, int dSteps)
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), loss);
        var r = Train(dir, "--steps", "2", "--loss", loss);
        Assert.True(r.ExitCode == 0, r.ToString());
        var c = Config(dir);
        Assert.Equal(loss, c.GetProperty("loss").GetString());
        Assert.Equal(optimizer, c.GetProperty("optimizer").GetString());
        Assert.Equal(lr, c.GetProperty("lr").GetDouble());
        Assert.Equal(dSteps, c.GetProperty("d_steps").GetInt32());
        if (loss == "wgan-gp") Assert.Equal(0.9, c.GetProperty("beta2").GetDouble());
        var last = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[^1].Split(',');
        Assert.All(last.Skip(2).Take(5), v => Assert.True(double.IsFinite(double.Parse(v, CultureInfo.InvariantCulture)), string.Join(",", last)));
    }

    [Fact]
    public void Wgan_checkpoint_holds_clipped_critic_weights()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "clip");
        var r = Train(dir, "--steps", "2", "--loss", "wgan", "--clip", "0.02");
        Assert.True(r.ExitCode == 0, r.ToString());
        var d = SafeTensors.Load(Path.Combine(dir, "checkpoint", "D.safetensors")).Tensors;
        Assert.All(d.Values.Where(t => t.Floats is not null).SelectMany(t => t.Floats!), v => Assert.InRange(v, -0.02f, 0.02f));
    }

    [Fact]
    public void Optimizer_and_per_network_learning_rates_are_recorded_and_resumable()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "sgd");
        var r = Train(dir, "--steps", "2", "--optimizer", "sgd", "--momentum", "0.5", "--g-lr", "0.01", "--d-lr", "0.003", "--real-label", "0.9");
        Assert.True(r.ExitCode == 0, r.ToString());
        var c = Config(dir);
        Assert.Equal("sgd", c.GetProperty("optimizer").GetString());
        Assert.Equal((0.01, 0.003, 0.5), (c.GetProperty("g_lr").GetDouble(), c.GetProperty("d_lr").GetDouble(), c.GetProperty("momentum").GetDouble()));
        Assert.Equal(0.9f, c.GetProperty("real_label").GetSingle());
        var opt = SafeTensors.Load(Path.Combine(dir, "checkpoint", "optimizer.safetensors")).Tensors;
        Assert.Contains("G.0.weight.momentum_buffer", opt.Keys);
        var resumed = Ilgpugan.Run("train", "--resume", dir, "--steps", "3", "--device", "cpu");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(3, SafeTensors.Load(Path.Combine(dir, "checkpoint", "optimizer.safetensors")).Tensors["G.step"].Longs![0]);
        Assert.Equal(2, Ilgpugan.Run("train", "--resume", dir, "--loss", "wgan").ExitCode);
    }

    /// <summary>Every counter a variant adds (D updates, penalty ε, fake classes, optimizer state) survives a resume bit for bit.</summary>
    [Theory]
    [InlineData("--loss", "wgan-gp", "--d-steps", "2", "--conditional")]
    [InlineData("--loss", "wgan")]
    [InlineData("--loss", "hinge", "--optimizer", "sgd")]
    public void Resume_reproduces_the_uninterrupted_variant_run(params string[] flags)
    {
        string whole = Path.Combine(Ilgpugan.TempDir(), "whole"), split = Path.Combine(Ilgpugan.TempDir(), "split");
        string[] common = ["--sample-every", "2", "--checkpoint-every", "2", .. flags];
        Assert.Equal(0, Train(whole, ["--steps", "4", .. common]).ExitCode);
        Assert.Equal(0, Train(split, ["--steps", "2", .. common]).ExitCode);
        var resumed = Ilgpugan.Run("train", "--resume", split, "--steps", "4");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        foreach (var f in new[] { "G.safetensors", "D.safetensors", "optimizer.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, "checkpoint", f)).SequenceEqual(File.ReadAllBytes(Path.Combine(split, "checkpoint", f))),
                $"{f} differs from the uninterrupted run");
        static IEnumerable<string> Losses(string d) => File.ReadAllLines(Path.Combine(d, "metrics.csv")).Select(l => string.Join(',', l.Split(',')[..7]));
        Assert.Equal(Losses(whole), Losses(split));
    }

    [Fact]
    public void Sample_class_needs_a_conditional_run()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "plain");
        Assert.Equal(0, Train(dir, "--steps", "1").ExitCode);
        var r = Ilgpugan.Run("sample", "--checkpoint", dir, "--out", Path.Combine(dir, "x.png"), "--class", "3", "--device", "cpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("sample: --class needs a conditional generator", r.Stderr);
    }

    [Fact]
    public void Max_time_stops_early_with_a_resumable_checkpoint()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "timed");
        var r = Train(dir, "--steps", "1000000", "--max-time", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("--max-time reached", r.Stderr);
        long step = long.Parse(File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[^1].Split(',')[0], CultureInfo.InvariantCulture);
        Assert.InRange(step, 1, 999_999);
        Assert.Equal(step.ToString(CultureInfo.InvariantCulture), SafeTensors.Load(Path.Combine(dir, "checkpoint", "G.safetensors")).Metadata["step"]);
    }
}
