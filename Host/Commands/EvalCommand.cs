using System.Text.Json;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.IO;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using IlgpuGan.Host.Training;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "Measure a trained generator: FID, Inception Score, class coverage, precision/recall, beside real data's scores.";
    public string Usage => "ilgpugan eval --checkpoint RUN [--samples N] [--json FILE] | eval --real [--dataset NAME]";
    public IReadOnlyList<OptionSpec> Options =>
    [
        new("checkpoint", "RUN", "a run folder (or its checkpoint folder, or a G.safetensors file)"),
        new("real", null, "print only the real-data reference line"),
        new("dataset", "NAME", "mnist or fashion-mnist (default: the run's)"),
        new("data", "DIR", "folder with the IDX files; otherwise they are downloaded and cached"),
        new("samples", "N", "images generated and compared", "10000"),
        new("classifier", "FILE", "feature classifier (default: the cached one, trained on first use)"),
        new("seed", "S", "noise seed for the samples", "0"),
        CommonOptions.Device,
        new("json", "FILE", "also write the numbers as JSON"),
    ];

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("eval");
        bool realOnly = o.Has("real");
        string? checkpoint = o.String("checkpoint");
        if (!realOnly && checkpoint is null) throw new UsageException("eval: give --checkpoint RUN, or --real for the reference line");
        int samples = o.Int("samples", 10, 1_000_000);
        ulong seed = o.ULong("seed");
        string device = o.String("device", "auto");
        DeviceCatalog.Validate(device);

        // Fail on a bad checkpoint before minutes of data loading and embedding.
        string? gFile = checkpoint is null ? null : RunFolder.ResolveGenerator(checkpoint);
        string dataset = o.String("dataset") ?? (checkpoint is not null ? RunDataset(checkpoint) : null) ?? "mnist";
        if (Mixture2D.IsMixture(dataset))
        {
            if (realOnly) throw new UsageException("eval: --real is for image datasets; a 2D run is scored against its true modes");
            return Eval2D(checkpoint!, Mixture2D.Get(dataset), o.Has("samples") ? samples : 2500, seed, device, o.String("json"), log);
        }
        dataset = DatasetCatalog.Get(dataset).Name;
        string? dataDir = o.String("data") ?? (checkpoint is not null ? RunDataDir(checkpoint) : null);

        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        var data = new DatasetSplits(dataset, dataDir, log);
        var train = data.Train;
        var test = data.Test;
        using var classifier = ClassifierStore.GetOrTrain(backend, data, o.String("classifier"), log);
        log.LogInformation("embedding {N} real training and test images", Math.Min(samples, test.Count));
        var evaluator = new ImageEvaluator(classifier, train, test, samples, seed);
        var reference = evaluator.RealReference();

        ImageMetrics? generated = null;
        (double Overall, double[] PerClass)? classAccuracy = null;
        if (!realOnly)
        {
            using var sampler = new Sampler(backend, gFile!);
            log.LogInformation("generating {N} samples from {G}", samples, gFile);
            var images = sampler.Sample(samples, seed);
            generated = evaluator.Evaluate(images, samples);
            if (sampler.IsConditional) classAccuracy = ConditionalAccuracy.Measure(generated.Predictions, sampler.Classes);
        }

        Console.WriteLine($"{dataset}: {samples} samples; features and class probabilities from the 784-512-256-10 classifier");
        Console.WriteLine($"{"metric",-16} {(generated is null ? "" : $"{"generated",12} ")}{"real data",12}");
        void Row(string name, Func<ImageMetrics, string> f) =>
            Console.WriteLine($"{name,-16} {(generated is null ? "" : $"{f(generated),12} ")}{f(reference),12}");
        Row("FID", m => m.Fid.ToString("F2"));
        Row("IS", m => $"{m.IsMean:F2}±{m.IsStd:F2}");
        Row("modes covered", m => $"{m.ModesCovered}/10");
        Row("KL to uniform", m => m.KlUniform.ToString("F4"));
        Row("precision", m => m.Precision.ToString("F3"));
        Row("recall", m => m.Recall.ToString("F3"));
        if (classAccuracy is { } ca)
        {
            Console.WriteLine($"{"class accuracy",-16} {ca.Overall,12:P1}   (conditional: the classifier agrees with the requested class)");
            Console.WriteLine($"{"per class",-16} {string.Join(" ", ca.PerClass.Select((a, k) => $"{k}:{a:P0}"))}");
        }
        Console.WriteLine(generated is null
            ? "(real data: training images against the test set)"
            : "(real data: training images against the test set; generated: FID against the test set, precision/recall against training images)");

        if (o.String("json") is { } json)
        {
            var doc = new Dictionary<string, object> { ["dataset"] = dataset, ["reference"] = reference.ToJson() };
            if (generated is not null)
            {
                foreach (var (k, v) in generated.ToJson()) doc[k] = v;
                doc["checkpoint"] = checkpoint!;
                if (classAccuracy is { } acc)
                {
                    doc["class_accuracy"] = Math.Round(acc.Overall, 4);
                    doc["class_accuracy_per_class"] = acc.PerClass.Select(a => Math.Round(a, 4)).ToArray();
                }
            }
            WriteJson(json, doc);
        }
        return 0;
    }

    static int Eval2D(string checkpoint, Mixture2D mixture, int samples, ulong seed, string device, string? json, ILogger log)
    {
        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, RunFolder.ResolveGenerator(checkpoint));
        var r = RunMetrics.Mixture(mixture, sampler.Sample(samples, seed));
        Console.WriteLine($"{mixture.Name}: {samples} samples against {mixture.ModeCount} modes (σ = {mixture.Sigma})");
        Console.WriteLine($"modes captured      {r.ModesCaptured}/{mixture.ModeCount}");
        Console.WriteLine($"high quality        {r.HighQualityPct:F1} %   (within 3σ of the nearest mode)");
        Console.WriteLine($"reverse KL          {r.ReverseKl:F4}   (KL of the mode histogram to uniform)");
        if (json is not null)
            WriteJson(json, new Dictionary<string, object>
            {
                ["dataset"] = mixture.Name, ["checkpoint"] = checkpoint, ["samples"] = samples,
                ["modes_captured"] = r.ModesCaptured, ["modes_total"] = mixture.ModeCount,
                ["high_quality_pct"] = Math.Round(r.HighQualityPct, 3), ["reverse_kl"] = Math.Round(r.ReverseKl, 5),
                ["high_quality_per_mode"] = r.HighQualityPerMode,
            });
        return 0;
    }

    static void WriteJson(string path, Dictionary<string, object> doc)
    {
        try { AtomicFile.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true })); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot write {path}: {e.Message}"); }
    }

    static string? RunDataset(string checkpoint) => RunInfo.TryLoadContaining(checkpoint)?.Config.Dataset;
    static string? RunDataDir(string checkpoint) => RunInfo.TryLoadContaining(checkpoint)?.DataDir;
}
