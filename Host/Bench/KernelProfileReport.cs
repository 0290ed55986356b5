namespace IlgpuGan.Host.Bench;

/// <summary>The per-kernel table of `bench --profile`, and its JSON rows.</summary>
public static class KernelProfileReport
{
    /// <summary>Fits the longest seed-step name at batch 4096, "gemm+bias+act LeakyReLU 8192x512x784 A·Bᵀ".</summary>
    const int NameWidth = 42;

    public const string CountingRule =
        "counting: GEMM m x n x k = 2mnk FLOPs and (mk+kn+mn[+mn if +=])*4 bytes; gemm+bias+act (the Linear forward) 2mnk + 2mn FLOPs " +
        "and (mk+kn+mn+n)*4 bytes; other ops: bytes of every input read once and every " +
        "output written once, FLOPs of their formula per element (bias+act 2, act backward 2, bias grad 1, batchnorm 8 train / 10 backward); " +
        "adam 12 FLOPs, 4 reads + 3 writes per parameter; random, gather, copy, fill, loss: bytes only. % of peak: against bench --peak's " +
        "best GEMM rate and copy bandwidth.";

    public static void Print(TextWriter w, string device, string clock, IReadOnlyList<ProfileResult> results, PeakResult? peak)
    {
        w.WriteLine($"per-kernel profile of the seed GAN step (1 D step + 1 G step) on {device}");
        w.WriteLine($"clock: {clock}");
        w.WriteLine(peak is null
            ? "peak: not measured on this device: run bench --peak for the % of peak columns"
            : $"peak (bench --peak, {peak.MeasuredUtc:yyyy-MM-dd}): copy {BenchJson.Short(peak.CopyGbps)} GB/s, GEMM {BenchJson.Short(peak.GemmGflops)} GFLOP/s ({peak.GemmShape})");
        w.WriteLine(CountingRule);
        foreach (var r in results)
        {
            w.WriteLine();
            w.WriteLine($"batch {r.Batch}: {r.Steps} profiled steps; kernel time {r.KernelMsPerStep:F3} ms/step; wall {r.WallMsPerStep:F3} ms/step unprofiled, {r.ProfiledWallMsPerStep:F3} while profiling");
            w.Write($"{"kernel",-NameWidth} {"launches",8} {"µs/launch",10} {"share",7} {"FLOP",8} {"bytes",8} {"GFLOP/s",9} {"GB/s",8}");
            w.WriteLine(peak is null ? "" : $" {"%peak FLOP",10} {"%peak GB/s",10}");
            foreach (var k in r.Kernels)
            {
                w.Write($"{k.Name,-NameWidth} {Launches(k.LaunchesPerStep),8} {k.UsPerLaunch,10:F1} {k.Share,7:P1} {(k.Flops == 0 ? "—" : BenchJson.Si(k.Flops)),8} {BenchJson.Si(k.Bytes),8} {Dash(k.Gflops),9} {BenchJson.Short(k.Gbps),8}");
                w.WriteLine(peak is null ? "" : $" {Percent(PctFlops(k, peak)),10} {Percent(PctBandwidth(k, peak)),10}");
            }
            w.WriteLine($"{"total",-NameWidth} {Launches(r.Kernels.Sum(k => k.LaunchesPerStep)),8} {"",10} {r.Kernels.Sum(k => k.Share),7:P1}");
        }
    }

    public static IEnumerable<IReadOnlyDictionary<string, object?>> JsonRows(string device, IReadOnlyList<ProfileResult> results, PeakResult? peak) =>
        results.SelectMany(r => r.Kernels.Select(k => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["device"] = device,
            ["batch"] = r.Batch,
            ["kernel"] = k.Name,
            ["launches_per_step"] = k.LaunchesPerStep,
            ["us_per_launch"] = BenchJson.Significant(k.UsPerLaunch),
            ["share"] = BenchJson.Significant(k.Share),
            ["flops"] = k.Flops,
            ["bytes"] = k.Bytes,
            ["gflops"] = k.Flops > 0 ? BenchJson.Significant(k.Gflops) : null,
            ["gbps"] = BenchJson.Significant(k.Gbps),
            ["pct_peak_flops"] = PctFlops(k, peak) is { } f ? BenchJson.Significant(f) : null,
            ["pct_peak_bw"] = PctBandwidth(k, peak) is { } b ? BenchJson.Significant(b) : null,
        }));

    /// <summary>Percent of the peak GEMM rate; null without a peak, or for ops whose FLOPs are not counted.</summary>
    static double? PctFlops(KernelRow k, PeakResult? peak) => peak is null || k.Flops == 0 ? null : 100 * k.Gflops / peak.GemmGflops;

    static double? PctBandwidth(KernelRow k, PeakResult? peak) => peak is null ? null : 100 * k.Gbps / peak.CopyGbps;

    static string Percent(double? p) => p is { } v ? $"{BenchJson.Short(v)} %" : "—";

    static string Dash(double v) => v == 0 ? "—" : BenchJson.Short(v);

    static string Launches(double perStep) => perStep == Math.Floor(perStep) ? perStep.ToString("F0") : perStep.ToString("F2");
}
