using System.Diagnostics;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Host.Bench;

/// <summary>One kernel's row of a profile: per-step launches, time per launch, and the work of one launch.</summary>
public sealed record KernelRow(string Name, double LaunchesPerStep, double UsPerLaunch, double MsPerStep, double Share, double Flops, double Bytes)
{
    public double Gflops => Flops / UsPerLaunch / 1e3;
    public double Gbps => Bytes / UsPerLaunch / 1e3;
}

/// <summary>
/// A per-kernel profile of the seed GAN's step at one batch. WallMsPerStep is the unprofiled step
/// (as `bench` times it); ProfiledWallMsPerStep the profiled steps' wall time, whose difference is
/// what profiling costs.
/// </summary>
public sealed record ProfileResult(int Batch, int Steps, double WallMsPerStep, double ProfiledWallMsPerStep, double KernelMsPerStep, IReadOnlyList<KernelRow> Kernels);

public static class KernelProfileBenchmark
{
    /// <summary>
    /// Warm-up for at least <paramref name="warmup"/> steps and <paramref name="minTime"/> (time for
    /// .NET's tiered JIT to finish optimising the cpu backend's once-per-step code paths, which would
    /// otherwise be profiled unoptimised), then <paramref name="steps"/> unprofiled steps for the
    /// wall time, then <paramref name="steps"/> profiled ones: the two wall times are comparable.
    /// </summary>
    public static ProfileResult Run(KernelProfiler profiler, int batch, int warmup, int steps, TimeSpan minTime, ulong seed = 0, BenchModel? model = null)
    {
        using var trainer = GanBenchmark.SyntheticTrainer(profiler.Inner, batch, seed, model);

        profiler.Enabled = false;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < warmup || clock.Elapsed < minTime; i++)
        {
            trainer.TrainStep();
            if (i % 16 == 15) trainer.ReadStats();   // bound the queue on asynchronous devices
        }
        trainer.ReadStats();

        clock.Restart();
        for (int i = 0; i < steps; i++) trainer.TrainStep();
        trainer.ReadStats();
        double wallMs = clock.Elapsed.TotalMilliseconds / steps;

        profiler.Reset();
        profiler.Enabled = true;
        clock.Restart();
        for (int i = 0; i < steps; i++)
        {
            trainer.TrainStep();
            profiler.EndStep();
        }
        trainer.ReadStats();
        double profiledMs = clock.Elapsed.TotalMilliseconds / steps;
        profiler.Enabled = false;
        return Summarise(profiler, batch, wallMs, profiledMs);
    }

    static ProfileResult Summarise(KernelProfiler profiler, int batch, double wallMs, double profiledMs)
    {
        int steps = profiler.Steps;
        double totalSeconds = profiler.Kernels.Sum(k => k.Seconds);
        var rows = profiler.Kernels
            .Select(k => new KernelRow(k.Name, (double)k.Launches / steps, k.Seconds / k.Launches * 1e6, k.Seconds / steps * 1e3,
                totalSeconds > 0 ? k.Seconds / totalSeconds : 0, k.Cost.Flops, k.Cost.Bytes))
            .OrderByDescending(r => r.MsPerStep)
            .ToList();
        return new ProfileResult(batch, steps, wallMs, profiledMs, totalSeconds / steps * 1e3, rows);
    }
}
