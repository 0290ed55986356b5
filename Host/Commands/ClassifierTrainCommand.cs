using System.CommandLine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class ClassifierTrainCommand : CliCommand
{
    readonly Option<string> dataset = Opt.String("dataset", "mnist|fashion-mnist", "the dataset", "mnist");
    readonly Option<string?> data = Opt.String("data", "DIR", "folder with the IDX files; otherwise they are downloaded and cached");
    readonly Option<DeviceSpec> device = Opt.Device();
    readonly Option<int> epochs = Opt.Int("epochs", "N", "passes over the training set", ClassifierStore.DefaultEpochs, 1, 1000);
    readonly Option<int> batch = Opt.Int("batch", "N", "batch size", ClassifierStore.DefaultBatch, 1, 4096);
    readonly Option<double> lr = Opt.Double("lr", "X", "Adam learning rate", 0.001, 0, exclusiveMin: true);
    readonly Option<ulong> seed = Opt.ULong("seed", "S", "seed for weights and data order", 0);
    readonly Option<string?> output = Opt.String("out", "FILE", "where to save it (safetensors; default: the cache, where eval looks)");

    public override string Name => "classifier train";
    public override string Summary => "Train the feature classifier that eval's metrics use; prints its test accuracy.";
    public override IReadOnlyList<Option> Options => [dataset, data, device, epochs, batch, lr, seed, output];

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("classifier");
        string name = DatasetCatalog.Get(p.GetValue(dataset)!).Name;
        string outPath = p.GetValue(output) ?? ClassifierStore.DefaultPath(name);
        using var backend = DeviceCatalog.Open(p.GetValue(device)!, m => log.LogInformation("{Message}", m));
        var (classifier, accuracy) = ClassifierStore.Train(backend, new DatasetSplits(name, p.GetValue(data), log), p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr), p.GetValue(seed), outPath, log);
        classifier.Dispose();
        Console.WriteLine($"{name} test accuracy: {accuracy:P2} ({outPath})");
        return 0;
    }
}
