using System.CommandLine;
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

public sealed class EvalCommand : CliCommand
{
    readonly Option<string?> checkpoint = SampleCommand.CheckpointOption("a run folder (or its checkpoint folder, or a G.safetensors file)");
    readonly Option<bool> real = Opt.Switch("real", "print only the real-data reference line");
    readonly Option<string?> dataset = Opt.String("dataset", "NAME", "mnist or fashion-mnist (default: the run's)");
    readonly Option<string?> data = Opt.String("data", "DIR", "folder with the IDX files; otherwise they are downloaded and cached");
    readonly Option<int?> samples = Opt.IntOrNull("samples", "N", "images generated and compared (default: 10000; 2500 for 2D runs)", 10, 1_000_000);
    readonly Option<string?> classifierFile = Opt.String("classifier", "FILE", "feature classifier (default: the cached one, trained on first use)");
    readonly Option<ulong> seed = Opt.ULong("seed", "S", "noise seed for the samples", 0);
    readonly Option<GeneratorMode?> gMode = SampleCommand.GModeOption();
    readonly Option<DeviceSpec> deviceOption = Opt.Device();
    readonly Option<string?> jsonOption = Opt.String("json", "FILE", "also write the numbers as JSON");

    public override string Name => "eval";
    public override string Summary => "Measure a trained generator: FID, Inception Score, class coverage, precision/recall, beside real data's scores.";
    public override IReadOnlyList<Option> Options => [checkpoint, real, dataset, data, samples, classifierFile, seed, gMode, deviceOption, jsonOption];

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("eval");
        bool realOnly = p.GetValue(real);
        string? checkpoint = p.GetValue(this.checkpoint);
        if (!realOnly && checkpoint is null) throw new UsageException("eval: give --checkpoint RUN, or --real for the reference line");
        int samples = p.GetValue(this.samples) ?? 10000;
        ulong seed = p.GetValue(this.seed);
        var device = p.GetValue(deviceOption)!;
        var mode = p.GetValue(gMode) ?? GeneratorMode.Eval;
        if (!realOnly) SampleCommand.RequireTrainModeGroups(mode, p.GetValue(this.samples) ?? 10000, "eval: --samples");

        // Fail on a bad checkpoint before minutes of data loading and embedding.
        string? gFile = checkpoint is null ? null : RunFolder.ResolveGenerator(checkpoint);
        string dataset = p.GetValue(this.dataset) ?? (checkpoint is not null ? RunDataset(checkpoint) : null) ?? "mnist";
        if (Mixture2D.IsMixture(dataset))
        {
            if (realOnly) throw new UsageException("eval: --real is for image datasets; a 2D run is scored against its true modes");
            return Eval2D(checkpoint!, Mixture2D.Get(dataset), p.GetValue(this.samples) ?? 2500, seed, device, mode, p.GetValue(jsonOption), log);
        }
        dataset = DatasetCatalog.Get(dataset).Name;
        string? dataDir = p.GetValue(data) ?? (checkpoint is not null ? RunDataDir(checkpoint) : null);

        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        var splits = new DatasetSplits(dataset, dataDir, log);
        var train = splits.Train;
        var test = splits.Test;
        using var classifier = ClassifierStore.GetOrTrain(backend, splits, p.GetValue(classifierFile), log);
        log.LogInformation("embedding {N} real training and test images", Math.Min(samples, test.Count));
        var evaluator = new ImageEvaluator(classifier, train, test, samples, seed);
        var reference = evaluator.RealReference();

        ImageMetrics? generated = null;
        (double Overall, double[] PerClass)? classAccuracy = null;
        if (!realOnly)
        {
            using var sampler = new Sampler(backend, gFile!, mode: mode);
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

        if (p.GetValue(jsonOption) is { } json)
        {
            var doc = new Dictionary<string, object> { ["dataset"] = dataset, ["reference"] = reference.ToJson() };
            if (generated is not null)
            {
                foreach (var (k, v) in generated.ToJson()) doc[k] = v;
                doc["checkpoint"] = checkpoint!;
                doc["g_mode"] = Kinds.Name(mode);
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

    static int Eval2D(string checkpoint, Mixture2D mixture, int samples, ulong seed, DeviceSpec device, GeneratorMode mode, string? json, ILogger log)
    {
        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        using var sampler = new Sampler(backend, RunFolder.ResolveGenerator(checkpoint), mode: mode);
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
