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

    /// <summary>
    /// A conditional MLP GAN learns its classes in a few thousand steps (4,000 at lr 4e-4 reach
    /// ~93 % on the CPU backend in ~30 s); the classifier then agrees with the requested class.
    /// </summary>
    [Fact]
    public void Conditional_samples_are_the_requested_class()
    {
        var run = Path.Combine(f.Dir, "conditional");
        var t = Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "cpu", "--conditional", "--steps", "4000", "--lr", "0.0004",
            "--sample-every", "4000", "--checkpoint-every", "4000", "--log-every", "500", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        using (var grid = SixLabors.ImageSharp.Image.Load(Path.Combine(run, "samples", "step_004000.png")))
            Assert.Equal((8 * 28 + 9 * 2, 10 * 28 + 11 * 2), (grid.Width, grid.Height));   // one row per class

        var json = Path.Combine(run, "eval.json");
        var e = Ilgpugan.Run("eval", "--checkpoint", run, "--classifier", f.Classifier, "--samples", "2000", "--device", "cpu", "--json", json);
        Assert.True(e.ExitCode == 0, e.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        double accuracy = doc.RootElement.GetProperty("class_accuracy").GetDouble();
        Assert.True(accuracy >= 0.90, $"class accuracy {accuracy:P1}: {doc.RootElement}");
        Assert.Equal(10, doc.RootElement.GetProperty("class_accuracy_per_class").GetArrayLength());

        // sample --class k draws class k.
        var npy = Path.Combine(run, "sevens.npy");
        var s = Ilgpugan.Run("sample", "--checkpoint", run, "--class", "7", "--count", "200", "--out", npy, "--device", "cpu");
        Assert.True(s.ExitCode == 0, s.ToString());
        var (images, _) = IlgpuGan.Host.Images.Npy.ReadFloat32(npy);
        using var backend = new IlgpuGan.Engine.Backends.Cpu.CpuBackend();
        using var classifier = IlgpuGan.Engine.Classifier.FeatureClassifier.Load(backend, f.Classifier);
        var (_, probs) = classifier.Embed(images, 200);
        int sevens = Enumerable.Range(0, 200).Count(i => IlgpuGan.Engine.Classifier.FeatureClassifier.ArgMax(probs.AsSpan(i * 10, 10)) == 7);
        Assert.True(sevens >= 160, $"{sevens}/200 samples of --class 7 classify as 7");

        // morph between classes with z fixed: the first frame is class 0, the last class 9.
        var gif = Path.Combine(run, "classes.gif");
        var m = Ilgpugan.Run("morph", "--checkpoint", run, "--from-class", "0", "--to-class", "9", "--frames", "6", "--out", gif, "--device", "cpu");
        Assert.True(m.ExitCode == 0, m.ToString());
        using var anim = SixLabors.ImageSharp.Image.Load(gif);
        Assert.Equal(6, anim.Frames.Count);
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
        var header = rows[0].Split(',');
        int captured = Array.IndexOf(header, "modes_captured"), total = Array.IndexOf(header, "modes_total");
        var evaluated = rows.Skip(1).Select(l => l.Split(',')).Where(c => c[captured] != "").ToList();
        Assert.Equal(["100", "200", "300"], evaluated.Select(c => c[0]));
        Assert.All(evaluated, c => Assert.Equal("8", c[total]));
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
