using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Classifier;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Metrics;
using IlgpuGan.Host.Data;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Evaluation;

/// <summary>Quality metrics of a training run's current generator, as extra metrics.csv columns.</summary>
public interface IRunEvaluator : IDisposable
{
    IReadOnlyList<string> Columns { get; }
    double[] Evaluate(GanTrainer trainer);
}

/// <summary>The metric columns a run's metrics.csv carries, by kind of dataset.</summary>
public static class RunMetrics
{
    public static readonly string[] ImageColumns = ["fid", "is_mean", "is_std", "modes_covered", "kl_uniform", "precision", "recall"];
    public static readonly string[] MixtureColumns = ["modes_captured", "modes_total", "high_quality_pct", "reverse_kl"];

    public static string[] For(string dataset) => Mixture2D.IsMixture(dataset) ? MixtureColumns : ImageColumns;

    /// <summary>2,500 samples against the true modes (the PacGAN protocol).</summary>
    public static Modes2DReport Mixture(Mixture2D mixture, float[] samples) => Modes2D.Evaluate(mixture.Modes, mixture.Sigma, samples);

    public static double[] Row(Modes2DReport r, int modes) => [r.ModesCaptured, modes, r.HighQualityPct, r.ReverseKl];

    public static double[] Row(ImageMetrics m) => [m.Fid, m.IsMean, m.IsStd, m.ModesCovered, m.KlUniform, m.Precision, m.Recall];
}

/// <summary>Scores image runs with the feature classifier (trained and cached on first use).</summary>
public sealed class ImageRunEvaluator(FeatureClassifier classifier, ImageEvaluator evaluator, int samples) : IRunEvaluator
{
    /// <param name="data">The run's own splits: the training images are the arrays the GAN trains on, not a second copy.</param>
    public static ImageRunEvaluator Create(IBackend backend, DatasetSplits data, int samples, ILogger log)
    {
        var classifier = ClassifierStore.GetOrTrain(backend, data, null, log);
        try
        {
            return new ImageRunEvaluator(classifier, new ImageEvaluator(classifier, data.Train, data.Test, samples), samples);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    public IReadOnlyList<string> Columns => RunMetrics.ImageColumns;

    public double[] Evaluate(GanTrainer trainer) =>
        RunMetrics.Row(evaluator.Evaluate(trainer.Sample(samples, 0), samples));

    public void Dispose() => classifier.Dispose();
}

/// <summary>Scores 2D runs: modes captured, high-quality share, reverse KL over 2,500 samples.</summary>
public sealed class MixtureRunEvaluator(int samples) : IRunEvaluator
{
    public IReadOnlyList<string> Columns => RunMetrics.MixtureColumns;

    public double[] Evaluate(GanTrainer trainer)
    {
        var mixture = trainer.Mixture!;
        return RunMetrics.Row(RunMetrics.Mixture(mixture, trainer.Sample(samples, 0)), mixture.ModeCount);
    }

    public void Dispose() { }
}
