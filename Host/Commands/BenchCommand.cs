using System.Globalization;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Host.Bench;
using IlgpuGan.Host.Cli;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "Time the seed GAN training step on a device: steps/s, ms/step, GFLOP/s and a per-op breakdown; or profile it per kernel, measure the device's peaks, or time GEMM shapes.";
    public string Usage => "ilgpugan bench [--device D] [--batches 64,256,1024,4096] [--json FILE] | --profile [--steps N] | --peak [--copy-mib N] | --kernels [--large]";
    public IReadOnlyList<OptionSpec> Options =>
    [
        new("device", "D", "auto, cuda[:N], opencl[:N], cpu or ilgpu-cpu", "auto"),
        new("batches", "LIST", "comma-separated batch sizes (with --profile: 64,4096)", "64,256,1024,4096"),
        new("warmup", "N", "untimed steps first", "3"),
        new("seconds", "S", "time each batch for at least S seconds (--profile: warm up that long; --peak, --kernels: each shape, at most 1)", "3"),
        new("min-steps", "N", "and for at least N steps", "5"),
        new("json", "FILE", "also write the results as a JSON array"),
        new("profile", null, "instead, a per-kernel table of one step: launches, µs per launch, share, GFLOP/s, GB/s, % of peak"),
        new("steps", "N", "with --profile: profiled steps to average over (and as many unprofiled ones for the wall time)", "10"),
        new("peak", null, "instead, measure and cache the device's copy GB/s and best GEMM GFLOP/s (for --profile's % of peak)"),
        new("copy-mib", "N", "with --peak: size of the copied buffer", "256; 64 on ilgpu-cpu"),
        new("kernels", null, "instead, time GEMM over a grid of shapes (1024³ and every GEMM of the seed GAN's step at batch 64 and 4096)"),
        new("large", null, "with --kernels, add 4096³"),
    ];

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("bench");
        var batches = ParseBatches(o.String("batches", "64,256,1024,4096"));
        int warmup = o.Int("warmup", 0);
        double seconds = o.Double("seconds", 0);
        int minSteps = o.Int("min-steps", 1);
        string? json = o.String("json");
        DeviceCatalog.Validate(o.String("device", "auto"));
        if (new[] { "profile", "peak", "kernels" }.Count(o.Has) > 1)
            throw new UsageException("bench: --profile, --peak and --kernels are separate runs; pick one");
        if (o.Has("profile"))
            return BenchModes.Profile(o.String("device", "auto"), o.Has("batches") ? batches : [64, 4096], warmup, o.Int("steps", 1), TimeSpan.FromSeconds(seconds), json, log);
        if (o.Has("peak"))
            return BenchModes.Peak(o.String("device", "auto"), o.Has("copy-mib") ? o.Int("copy-mib", 1, 2048) : null, TimeSpan.FromSeconds(Math.Min(seconds, 1)), log);

        using var backend = new ProfilingBackend(DeviceCatalog.Open(o.String("device", "auto"), m => log.LogInformation("{Message}", m)));
        if (o.Has("kernels"))
            return RunKernels(backend.Inner, o.Has("large"), TimeSpan.FromSeconds(Math.Min(seconds, 1)), json, log);
        log.LogInformation("benchmarking the seed GAN step on {Device}", backend.Description);
        var results = new List<BenchResult>();
        foreach (int batch in batches)
        {
            log.LogInformation("batch {Batch}: warming up, then timing for {Seconds} s", batch, seconds);
            results.Add(GanBenchmark.Run(backend, batch, warmup, TimeSpan.FromSeconds(seconds), minSteps));
        }

        Console.WriteLine($"seed GAN step (1 D step + 1 G step) on {backend.Description}");
        Console.WriteLine($"FLOPs: the GEMMs one step issues, {results[0].MflopPerSample:F2} MFLOP per sample (forward and backward, D's input gradient skipped in the D step)");
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
