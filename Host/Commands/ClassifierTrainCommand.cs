using IlgpuGan.Engine.Backends;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class ClassifierTrainCommand : ICommand
{
    public string Name => "classifier train";
    public string Summary => "Train the feature classifier that eval's metrics use; prints its test accuracy.";
    public string Usage => "ilgpugan classifier train [--dataset mnist|fashion-mnist] [--data DIR] [--out FILE]";
    public IReadOnlyList<OptionSpec> Options =>
    [
        new("dataset", "NAME", "mnist or fashion-mnist", "mnist"),
        new("data", "DIR", "folder with the IDX files; otherwise they are downloaded and cached"),
        CommonOptions.Device,
        new("epochs", "N", "passes over the training set", $"{ClassifierStore.DefaultEpochs}"),
        new("batch", "N", "batch size", $"{ClassifierStore.DefaultBatch}"),
        new("lr", "X", "Adam learning rate", "0.001"),
        new("seed", "S", "seed for weights and data order", "0"),
        new("out", "FILE", "where to save it (safetensors)", "the cache, where eval looks"),
    ];

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("classifier");
        string dataset = DatasetCatalog.Get(o.String("dataset", "mnist")).Name;
        int epochs = o.Int("epochs", 1, 1000), batch = o.Int("batch", 1, 4096);
        double lr = o.Double("lr", 0, exclusiveMin: true);
        ulong seed = o.ULong("seed");
        string device = o.String("device", "auto");
        DeviceCatalog.Validate(device);
        string outPath = o.String("out") ?? ClassifierStore.DefaultPath(dataset);
        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        var (classifier, accuracy) = ClassifierStore.Train(backend, new DatasetSplits(dataset, o.String("data"), log), epochs, batch, lr, seed, outPath, log);
        classifier.Dispose();
        Console.WriteLine($"{dataset} test accuracy: {accuracy:P2} ({outPath})");
        return 0;
    }
}
