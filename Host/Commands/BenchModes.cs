using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Host.Bench;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

/// <summary>`bench --profile` and `bench --peak`: the per-kernel profile and the peaks it is measured against.</summary>
static class BenchModes
{
    public static int Profile(string device, int[] batches, int warmup, int steps, TimeSpan minTime, string? json, ILogger log,
        BenchModel? model = null)
    {
        // Profiling is a property of the ILGPU context, so this backend is opened for it alone.
        using var profiler = new KernelProfiler(DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m), profiling: true));
        var peak = PeakCache.Load(profiler);
        log.LogInformation("profiling the {Model} on {Device}", (model ?? BenchModel.Seed).Name, profiler.Description);
        var results = new List<ProfileResult>();
        foreach (int batch in batches)
        {
            log.LogInformation("batch {Batch}: warm-up ({Warmup} steps and {Seconds} s), then {Steps} steps unprofiled and as many profiled", batch, warmup, minTime.TotalSeconds, steps);
            results.Add(KernelProfileBenchmark.Run(profiler, batch, warmup, steps, minTime, model: model));
        }
        KernelProfileReport.Print(Console.Out, profiler.Description, profiler.ClockDescription, results, peak);
        if (json is not null) BenchJson.WriteRows(json, KernelProfileReport.JsonRows(profiler.Kind, results, peak));
        return 0;
    }

    public static int Peak(string device, int? copyMiB, TimeSpan minTime, ILogger log)
    {
        using var backend = DeviceCatalog.Open(device, m => log.LogInformation("{Message}", m));
        int mib = copyMiB ?? PeakBenchmark.DefaultCopyMib(backend.Kind);
        log.LogInformation("measuring peaks on {Device}: a {MiB} MiB copy, then GEMM", backend.Description, mib);
        var peak = PeakBenchmark.Run(backend, mib, minTime);
        var path = PeakCache.PathFor(backend);
        PeakCache.Save(path, peak);
        Console.WriteLine($"peaks of {backend.Description}");
        Console.WriteLine($"copy: {BenchJson.Short(peak.CopyGbps)} GB/s ({mib} MiB device-to-device, bytes read + written)");
        Console.WriteLine($"GEMM: {BenchJson.Short(peak.GemmGflops)} GFLOP/s, {BenchJson.Short(peak.GemmGflops / 1e3)} TFLOP/s (best of {string.Join(", ", PeakBenchmark.GemmShapes(backend.Kind).Select(s => $"{s.M}³ {s.Form}"))}: {peak.GemmShape})");
        Console.WriteLine($"cached in {path} for bench --profile");
        return 0;
    }
}
