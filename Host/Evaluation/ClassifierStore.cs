using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Classifier;
using IlgpuGan.Host.Data;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Evaluation;

/// <summary>
/// Where feature classifiers live (next to the cached datasets), and training one on demand.
/// </summary>
public static class ClassifierStore
{
    public const int DefaultEpochs = 10;
    public const int DefaultBatch = 128;
    public const double DefaultLr = 1e-3;

    public static string DefaultPath(string dataset) =>
        Path.Combine(DatasetDownloadOptions.DefaultCacheRoot(), "classifiers", $"{dataset}-mlp.safetensors");

    /// <summary>Trains a classifier and reports its test accuracy; saves it when a path is given.</summary>
    public static (FeatureClassifier Classifier, double TestAccuracy) Train(IBackend backend, DatasetSplits data,
        int epochs, int batch, double lr, ulong seed, string? savePath, ILogger log)
    {
        string dataset = data.Dataset;
        var train = data.Train;
        var test = data.Test;
        var c = new FeatureClassifier(backend, train.Rows * train.Cols, Math.Max(batch, 256), seed);
        try
        {
            log.LogInformation("training the {Dataset} feature classifier (784-512-256-10 MLP, {Epochs} epochs, batch {Batch}) on {Device}",
                dataset, epochs, batch, backend.Description);
            c.Train(train.Pixels, train.Labels, train.Count, epochs, batch, lr, seed,
                (e, loss, acc) => log.LogInformation("epoch {Epoch}/{Epochs}: loss {Loss:F4}, batch accuracy {Acc:P1}", e, epochs, loss, acc));
            double accuracy = c.Accuracy(test.Pixels, test.Labels, test.Count);
            log.LogInformation("{Dataset} test accuracy: {Acc:P2}", dataset, accuracy);
            if (savePath is not null)
            {
                c.Save(savePath, new Dictionary<string, string>
                {
                    ["dataset"] = dataset,
                    ["test_accuracy"] = accuracy.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    ["epochs"] = epochs.ToString(),
                });
                log.LogInformation("saved {Path}", savePath);
            }
            return (c, accuracy);
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>The given classifier, else the cached one for the dataset, else a newly trained and cached one.</summary>
    public static FeatureClassifier GetOrTrain(IBackend backend, DatasetSplits data, string? path, ILogger log)
    {
        if (path is not null) return FeatureClassifier.Load(backend, path);
        string dataset = data.Dataset;
        var cached = DefaultPath(dataset);
        if (File.Exists(cached))
        {
            log.LogInformation("using the cached {Dataset} feature classifier {Path}", dataset, cached);
            return FeatureClassifier.Load(backend, cached);
        }
        log.LogInformation("no {Dataset} feature classifier cached yet: training one now (once) into {Path}", dataset, cached);
        return Train(backend, data, DefaultEpochs, DefaultBatch, DefaultLr, 0, cached, log).Classifier;
    }
}
