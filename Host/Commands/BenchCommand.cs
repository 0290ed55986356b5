using System.CommandLine;
using System.Globalization;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Host.Bench;
using IlgpuGan.Host.Cli;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class BenchCommand : CliCommand
{
    readonly Option<DeviceSpec> device = Opt.Device();
    readonly Option<string?> batches = Opt.String("batches", "LIST", "comma-separated batch sizes (default: 64,256,1024,4096; with --profile: 64,4096)");
    readonly Option<int> warmup = Opt.Int("warmup", "N", "untimed steps first", 3, 0);
    readonly Option<double> seconds = Opt.Double("seconds", "S", "time each batch for at least S seconds (--profile: warm up that long; --peak, --kernels: each shape, at most 1)", 3, 0);
    readonly Option<int> minSteps = Opt.Int("min-steps", "N", "and for at least N steps", 5, 1);
    readonly Option<string?> json = Opt.String("json", "FILE", "also write the results as a JSON array");
    readonly Option<bool> profile = Opt.Switch("profile", "instead, a per-kernel table of one step: launches, µs per launch, share, GFLOP/s, GB/s, % of peak");
    readonly Option<int> steps = Opt.Int("steps", "N", "with --profile: profiled steps to average over (and as many unprofiled ones for the wall time)", 10, 1);
    readonly Option<bool> peak = Opt.Switch("peak", "instead, measure and cache the device's copy GB/s and best GEMM GFLOP/s (for --profile's % of peak)");
    readonly Option<int?> copyMib = Opt.IntOrNull("copy-mib", "N", "with --peak: size of the copied buffer (default: 256; 64 on ilgpu-cpu)", 1, 2048);
    readonly Option<bool> kernels = Opt.Switch("kernels", "instead, time GEMM over a grid of shapes (1024³ and every GEMM of the seed GAN's step at batch 64 and 4096)");
    readonly Option<bool> large = Opt.Switch("large", "with --kernels, add 4096³");
    readonly Option<ModelKind?> model = Opt.Kind<ModelKind>("model", "the GAN whose step is timed or profiled: mlp (the seed) or dcgan (28×28, z = 100) (default: mlp)");
    readonly Option<string?> dataset = Opt.String("dataset", "NAME", "time a 2D model instead: ring8 or grid25 (the 2D LeakyReLU GAN, or with --preset pacgan PacGAN's maxout protocol)");
    readonly Option<GanPreset?> preset = Opt.Kind<GanPreset>("preset", "with --dataset: pacgan, PacGAN's models and step (batch 100 x --pack) (default: none)");
    readonly Option<int> pack = Opt.Int("pack", "M", "with --dataset: PacGAN packing", 1, 1, 64);

    public override string Name => "bench";
    public override string Summary => "Time the seed GAN (or --model dcgan) training step on a device: steps/s, ms/step, GFLOP/s and a per-op breakdown; or profile it per kernel, measure the device's peaks, or time GEMM shapes.";
    public override IReadOnlyList<Option> Options => [device, model, dataset, preset, pack, batches, warmup, seconds, minSteps, json, profile, steps, peak, copyMib, kernels, large];

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("bench");
        string? given = p.GetValue(batches);
        double seconds = p.GetValue(this.seconds);
        int warmup = p.GetValue(this.warmup), minSteps = p.GetValue(this.minSteps);
        string? json = p.GetValue(this.json);
        var dev = p.GetValue(device)!;
        if (new[] { p.GetValue(profile), p.GetValue(peak), p.GetValue(kernels) }.Count(x => x) > 1)
            throw new UsageException("bench: --profile, --peak and --kernels are separate runs; pick one");
        var modelKind = p.GetValue(model) ?? ModelKind.Mlp;
        if ((modelKind != ModelKind.Mlp || p.Given(dataset) || p.Given(preset) || p.Given(pack)) && (p.GetValue(peak) || p.GetValue(kernels)))
            throw new UsageException("bench: --model, --dataset, --preset and --pack apply to the step benchmark and --profile, not to --peak or --kernels");
        var bench = Model(p, modelKind);
        // A DCGAN step is ~14x an MLP step: smaller default batches; a 2D model's is its protocol's.
        var batchSizes = ParseBatches(given ?? bench.DefaultBatches(p.GetValue(profile)));
        foreach (int b in batchSizes)
            if (b % bench.Pack != 0) throw new UsageException($"bench: --pack {bench.Pack} must divide every batch, got {b}");
        if (p.GetValue(profile))
            return BenchModes.Profile(dev.ToString(), batchSizes, warmup, p.GetValue(steps), TimeSpan.FromSeconds(seconds), json, log, bench);
        if (p.GetValue(peak))
            return BenchModes.Peak(dev.ToString(), p.GetValue(copyMib), TimeSpan.FromSeconds(Math.Min(seconds, 1)), log);

        using var backend = new ProfilingBackend(DeviceCatalog.Open(dev, m => log.LogInformation("{Message}", m)));
        if (p.GetValue(kernels))
            return RunKernels(backend.Inner, p.GetValue(large), TimeSpan.FromSeconds(Math.Min(seconds, 1)), json, log);
        string what = bench.Name;
        log.LogInformation("benchmarking the {What} on {Device}", what, backend.Description);
        var results = new List<BenchResult>();
        foreach (int batch in batchSizes)
        {
            log.LogInformation("batch {Batch}: warming up, then timing for {Seconds} s", batch, seconds);
            results.Add(GanBenchmark.Run(backend, batch, warmup, TimeSpan.FromSeconds(seconds), minSteps, model: bench));
        }

        Console.WriteLine($"{what} (1 D step + 1 G step) on {backend.Description}");
        Console.WriteLine($"FLOPs: the GEMMs {(modelKind == ModelKind.Dcgan ? "and convolutions " : "")}one step issues, {results[0].MflopPerSample:F2} MFLOP per sample (forward and backward, D's input gradient skipped in the D step)");
        Console.WriteLine();
        Console.WriteLine($"{"batch",6} {"steps/s",10} {"ms/step",10} {"GFLOP/s",9} {"steps",6}");
        foreach (var r in results)
            Console.WriteLine($"{r.Batch,6} {r.StepsPerS,10:F1} {r.MsPerStep,10:F2} {r.Gflops,9:F1} {r.Steps,6}");
        Console.WriteLine();
        Console.WriteLine("per-op time, ms per step (instrumented pass):");
        Console.WriteLine($"{"batch",6} " + string.Join(" ", ProfilingBackend.Categories.Select(c => $"{c,10}")) + $" {"total",10}");
        foreach (var r in results)
        {
            double total = r.BreakdownMsPerStep.Values.Sum();
            Console.WriteLine($"{r.Batch,6} " + string.Join(" ", ProfilingBackend.Categories.Select(c => $"{r.BreakdownMsPerStep[c],10:F3}")) + $" {total,10:F3}");
            Console.WriteLine($"{"",6} " + string.Join(" ", ProfilingBackend.Categories.Select(c => $"{r.BreakdownMsPerStep[c] / Math.Max(total, 1e-12),10:P0}")));
        }
        if (json is not null) WriteJson(json, results);
        return 0;
    }

    /// <summary>The step to time from --model, --dataset, --preset and --pack.</summary>
    BenchModel Model(ParseResult p, ModelKind modelKind)
    {
        string? name = p.GetValue(dataset);
        var recipe = p.GetValue(preset) ?? GanPreset.None;
        if (name is null)
        {
            if (recipe != GanPreset.None || p.Given(pack)) throw new UsageException($"bench: --preset and --pack need --dataset {string.Join(" or ", Engine.Gan.Mixture2D.Names)}");
            return new BenchModel(modelKind);
        }
        if (!Engine.Gan.Mixture2D.IsMixture(name)) throw new UsageException($"bench: --dataset must be {string.Join(" or ", Engine.Gan.Mixture2D.Names)} (image steps run on random images), got '{name}'");
        if (modelKind != ModelKind.Mlp) throw new UsageException("bench: --model dcgan takes images, not --dataset");
        return new BenchModel(ModelKind.Mlp, name, recipe, p.GetValue(pack));
    }

    static int RunKernels(IBackend backend, bool large, TimeSpan minTime, string? json, ILogger log)
    {
        log.LogInformation("timing GEMM shapes on {Device}", backend.Description);
        var results = GemmBenchmark.Run(backend, GemmBenchmark.Shapes(large), minTime);
        Console.WriteLine($"GEMM on {backend.Description}");
        Console.WriteLine($"{"shape",-20} {"form",-6} {"epilogue",-16} {"M",6} {"N",6} {"K",6} {"ms",10} {"GFLOP/s",9} {"TFLOP/s",8}");
        foreach (var r in results)
            Console.WriteLine($"{r.Shape.Label,-20} {r.Shape.Form,-6} {r.Shape.EpilogueName,-16} {r.Shape.M,6} {r.Shape.N,6} {r.Shape.K,6} {r.Ms,10:F3} {r.Gflops,9:F1} {r.Gflops / 1e3,8:F3}");
        if (json is not null)
            WriteRows(json, results.Select(r => new Dictionary<string, object>
            {
                ["device"] = backend.Kind, ["shape"] = r.Shape.Label, ["form"] = r.Shape.Form, ["epilogue"] = r.Shape.EpilogueName,
                ["m"] = r.Shape.M, ["n"] = r.Shape.N, ["k"] = r.Shape.K,
                ["ms"] = Significant(r.Ms), ["gflops"] = Significant(r.Gflops), ["tflops"] = Significant(r.Gflops / 1e3),
            }));
        return 0;
    }

    static int[] ParseBatches(string s)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) || b < 2)
                throw new UsageException($"bench: --batches takes batch sizes of 2 or more, got '{p}'");
            list.Add(b);
        }
        if (list.Count == 0) throw new UsageException("bench: --batches is empty");
        return [.. list];
    }

    static void WriteJson(string path, List<BenchResult> results)
    {
        var rows = results.Select(r => new Dictionary<string, object>
        {
            ["device"] = r.Device,
            ["device_description"] = r.DeviceDescription,
            ["batch"] = r.Batch,
            ["steps"] = r.Steps,
            ["steps_per_s"] = Significant(r.StepsPerS),
            ["ms_per_step"] = Significant(r.MsPerStep),
            ["gflops"] = Significant(r.Gflops),
            ["mflop_per_sample"] = Significant(r.MflopPerSample),
            ["breakdown_ms_per_step"] = r.BreakdownMsPerStep.ToDictionary(kv => kv.Key, kv => Significant(kv.Value)),
        });
        WriteRows(path, rows);
    }

    static void WriteRows(string path, IEnumerable<Dictionary<string, object>> rows) =>
        BenchJson.WriteRows(path, rows.Select(r => (IReadOnlyDictionary<string, object?>)r.ToDictionary(kv => kv.Key, kv => (object?)kv.Value)));

    static double Significant(double v) => BenchJson.Significant(v);
}
