using IlgpuGan.Engine;
using IlgpuGan.Engine.Classifier;
using IlgpuGan.Engine.Metrics;
using IlgpuGan.Host.Data;
using IlgpuGan.Kernels;

namespace IlgpuGan.Host.Evaluation;

/// <summary>
/// The image metrics of one sample set, as `eval` prints them and --json writes them, plus the
/// classifier's prediction per image (not written: conditional runs score it against the requested classes).
/// </summary>
public sealed record ImageMetrics(int Samples, double Fid, double IsMean, double IsStd, int ModesCovered, double KlUniform,
    double Precision, double Recall, int[] ClassCounts, int[] Predictions)
{
    public Dictionary<string, object> ToJson() => new()
    {
        ["samples"] = Samples,
        ["fid"] = Math.Round(Fid, 4),
        ["is_mean"] = Math.Round(IsMean, 4),
        ["is_std"] = Math.Round(IsStd, 4),
        ["modes_covered"] = ModesCovered,
        ["kl_uniform"] = Math.Round(KlUniform, 5),
        ["precision"] = Math.Round(Precision, 4),
        ["recall"] = Math.Round(Recall, 4),
        ["class_counts"] = ClassCounts,
    };
}

/// <summary>
/// Scores image sets with the feature classifier: FID against the test set, the classifier
/// Inception Score over 10 splits, the class histogram (modes with at least 1 % of samples, KL to
/// uniform), and improved precision/recall (k = 3) against as many training images. The real
/// features are computed once, so `train --eval-every` pays only for the samples.
/// </summary>
public sealed class ImageEvaluator
{
    readonly FeatureClassifier classifier;
    readonly float[] testFeatures, trainFeatures;
    readonly float[] trainImages;
    readonly int testCount, trainCount, dim;

    public ImageEvaluator(FeatureClassifier classifier, MnistData train, MnistData test, int samples, ulong seed = 0)
    {
        this.classifier = classifier;
        dim = train.Rows * train.Cols;
        testCount = Math.Min(samples, test.Count);
        trainCount = Math.Min(samples, train.Count);
        testFeatures = classifier.Embed(ToFloats(test.Pixels, Enumerable.Range(0, testCount).ToArray(), dim), testCount).Features;
        // A seeded random subset of the training set, so precision/recall compare like with like.
        var pick = Enumerable.Range(0, train.Count).OrderBy(i => Philox.UniformDouble(seed, RngStreams.Evaluation.TrainSubset, (ulong)i)).Take(trainCount).ToArray();
        trainImages = ToFloats(train.Pixels, pick, dim);
        trainFeatures = classifier.Embed(trainImages, trainCount).Features;
    }

    static float[] ToFloats(byte[] pixels, int[] rows, int dim)
    {
        var x = new float[(long)rows.Length * dim];
        for (int r = 0; r < rows.Length; r++)
            for (int c = 0; c < dim; c++)
                x[(long)r * dim + c] = Pixels.ToUnit(pixels[(long)rows[r] * dim + c]);
        return x;
    }

    /// <summary>Metrics of generated images in [-1, 1].</summary>
    public ImageMetrics Evaluate(float[] images, int count)
    {
        var (features, probs) = classifier.Embed(images, count);
        return Score(features, probs, count, trainFeatures, trainCount);
    }

    /// <summary>The reference line: the same metrics for real training images against the test set.</summary>
    public ImageMetrics RealReference()
    {
        var (features, probs) = classifier.Embed(trainImages, trainCount);
        return Score(features, probs, trainCount, testFeatures, testCount);
    }

    ImageMetrics Score(float[] features, float[] probs, int count, float[] prFeatures, int prCount)
    {
        int classes = FeatureClassifier.Classes;
        double fid = Fid.Compute(features, count, testFeatures, testCount, FeatureClassifier.FeatureDim);
        var (isMean, isStd) = InceptionScore.Compute(probs, count, classes, splits: 10);
        var predictions = new int[count];
        for (int i = 0; i < count; i++) predictions[i] = FeatureClassifier.ArgMax(probs.AsSpan(i * classes, classes));
        var hist = ClassHistogram.Compute(predictions, classes);
        var (precision, recall) = PrecisionRecall.Compute(prFeatures, prCount, features, count, FeatureClassifier.FeatureDim);
        return new ImageMetrics(count, fid, isMean, isStd, hist.ModesCovered, hist.KlToUniform, precision, recall, hist.Counts, predictions);
    }
}
