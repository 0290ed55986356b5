using System.Text.Json;

namespace IlgpuGan.Tests.Cli;

/// <summary>A feature classifier trained once by the CLI, and a short seed-GAN run to evaluate.</summary>
public sealed class EvalFixture
{
    public readonly string Dir = Ilgpugan.TempDir();
    public string Classifier => Path.Combine(Dir, "mnist-clf.safetensors");
    public string Run => Path.Combine(Dir, "run");
    public readonly CliResult ClassifierResult, TrainResult;

    public EvalFixture()
    {
        ClassifierResult = Ilgpugan.Run("classifier", "train", "--data", Ilgpugan.Mnist, "--device", "cpu", "--out", Classifier);
        TrainResult = Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "cpu", "--steps", "40", "--out", Run);
    }
}

public sealed class EvalCliTests(EvalFixture f) : IClassFixture<EvalFixture>
{
    static double Accuracy(CliResult r)
    {
        // "mnist test accuracy: 98.24 % (path)"
        var line = r.Stdout.Split('\n').Single(l => l.Contains("test accuracy:"));
        var number = line.Split(':')[1].Trim().Split(' ')[0];
        return double.Parse(number, System.Globalization.CultureInfo.InvariantCulture) / 100;
    }

    [Fact]
    public void Mnist_classifier_reaches_98_percent()
    {
        Assert.True(f.ClassifierResult.ExitCode == 0, f.ClassifierResult.ToString());
        Assert.True(Accuracy(f.ClassifierResult) >= 0.98, f.ClassifierResult.Stdout);
        Assert.True(File.Exists(f.Classifier));
    }

    [Fact]
    public void Fashion_classifier_reaches_88_percent()
    {
        var r = Ilgpugan.Run("classifier", "train", "--dataset", "fashion-mnist", "--data", Path.Combine(Data.IdxFixtures.SharedData(), "fashion-mnist"),
            "--device", "cpu", "--out", Path.Combine(Ilgpugan.TempDir(), "fashion.safetensors"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(Accuracy(r) >= 0.88, r.Stdout);
    }

    [Fact]
    public void Eval_scores_a_run_against_the_real_data_reference()
    {
        Assert.True(f.TrainResult.ExitCode == 0, f.TrainResult.ToString());
        var json = Path.Combine(f.Dir, "eval.json");
        var r = Ilgpugan.Run("eval", "--checkpoint", f.Run, "--classifier", f.Classifier, "--samples", "500", "--device", "cpu", "--json", json);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("FID", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        foreach (var key in new[] { "fid", "is_mean", "is_std", "modes_covered", "kl_uniform", "precision", "recall" })
        {
            Assert.True(root.TryGetProperty(key, out _), key);
            Assert.True(root.GetProperty("reference").TryGetProperty(key, out _), "reference " + key);
        }
        var reference = root.GetProperty("reference");
        // Real digits score as real digits; 40 steps of GAN training do not.
        Assert.True(reference.GetProperty("is_mean").GetDouble() > 8.5, reference.ToString());
        Assert.Equal(10, reference.GetProperty("modes_covered").GetInt32());
        Assert.True(root.GetProperty("fid").GetDouble() > 5 * reference.GetProperty("fid").GetDouble(), root.ToString());
        Assert.InRange(root.GetProperty("precision").GetDouble(), 0, 1);
    }

    [Fact]
    public void Eval_real_prints_only_the_reference()
    {
        var r = Ilgpugan.Run("eval", "--real", "--data", Ilgpugan.Mnist, "--classifier", f.Classifier, "--samples", "300", "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("real data", r.Stdout);
        Assert.DoesNotContain("generated", r.Stdout);
    }

    [Fact]
    public void Eval_needs_a_checkpoint_or_real() =>
        Assert.Equal(2, Ilgpugan.Run("eval", "--device", "cpu").ExitCode);
}

/// <summary>The 2D benchmark end to end: training with packing, scatter plots, mode metrics, report.</summary>
public sealed class Mixture2DCliTests
{
    [Fact]
    public void Ring8_run_writes_scatter_plots_mode_metrics_and_a_report()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "ring");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "300", "--batch", "64", "--pack", "2",
            "--sample-every", "100", "--eval-every", "100", "--log-every", "50", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(dir, "samples", "step_000300.svg"));
        Assert.True(svg.Descendants().Count(e => e.Name.LocalName == "circle") > 8 + 100);   // the 8 modes and the samples on the plot
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.EndsWith("modes_captured,modes_total,high_quality_pct,reverse_kl", rows[0]);
        var evaluated = rows.Skip(1).Select(l => l.Split(',')).Where(c => c[6] != "").ToList();
        Assert.Equal(["100", "200", "300"], evaluated.Select(c => c[0]));
        Assert.All(evaluated, c => Assert.Equal("8", c[7]));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));

        var json = Path.Combine(dir, "eval.json");
        var e = Ilgpugan.Run("eval", "--checkpoint", dir, "--device", "cpu", "--json", json);
        Assert.True(e.ExitCode == 0, e.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(8, doc.RootElement.GetProperty("modes_total").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("modes_captured").GetInt32(), 0, 8);
        Assert.InRange(doc.RootElement.GetProperty("high_quality_pct").GetDouble(), 0, 100);
    }

    [Fact]
    public void Pack_must_divide_the_batch() =>
        Assert.Equal(2, Ilgpugan.Run("train", "--dataset", "ring8", "--batch", "10", "--pack", "3").ExitCode);
}
