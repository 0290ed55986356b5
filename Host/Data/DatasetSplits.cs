using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Data;

/// <summary>
/// The train and test splits of one image dataset for one command, each read from disk at most
/// once however many parts of the command need it: `train --eval-every` trains on the same arrays
/// the evaluator and a first-use classifier read, and `eval` embeds the arrays its classifier was
/// trained on.
/// </summary>
public sealed class DatasetSplits
{
    readonly Func<bool, MnistData> load;
    MnistData? train, test;

    public DatasetSplits(string dataset, string? dataDir, ILogger log, DatasetDownloadOptions? options = null)
        : this(dataset, isTrain => DatasetLoader.Load(dataset, dataDir, isTrain, options ?? new DatasetDownloadOptions(), log)) { }

    /// <param name="load">Reads one split (true: train); called at most once per split.</param>
    public DatasetSplits(string dataset, Func<bool, MnistData> load)
    {
        Dataset = dataset;
        this.load = load;
    }

    /// <summary>The dataset's catalog name (mnist, fashion-mnist).</summary>
    public string Dataset { get; }

    public MnistData Train => train ??= load(true);
    public MnistData Test => test ??= load(false);
}
