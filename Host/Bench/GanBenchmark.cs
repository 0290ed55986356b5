using System.Diagnostics;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Host.Bench;

/// <summary>One (device, batch) result of the seed-GAN step benchmark.</summary>
public sealed record BenchResult(
    string Device, string DeviceDescription, int Batch, int Steps,
    double StepsPerS, double MsPerStep, double Gflops, double MflopPerSample,
    IReadOnlyDictionary<string, double> BreakdownMsPerStep);

/// <summary>
/// Times the seed GAN's full training step (one D step + one G step, exactly as `train` runs it)
/// on synthetic data, after a warm-up. FLOPs are the GEMM FLOPs the step actually issues, counted
/// by <see cref="ProfilingBackend"/>, which observes the backend the step runs on. The per-op breakdown comes from a separate, instrumented pass,
/// so it does not slow the timed one.
/// </summary>
public static class GanBenchmark
{
    /// <summary>The seed GAN on random MNIST-sized images, or another <see cref="BenchModel"/>: what every benchmark trains.</summary>
    public static GanTrainer SyntheticTrainer(IBackend backend, int batch, ulong seed, BenchModel? model = null) =>
        (model ?? BenchModel.Seed).Trainer(backend, batch, seed);

    public static BenchResult Run(ProfilingBackend backend, int batch, int warmup, TimeSpan minTime, int minSteps, ulong seed = 0, BenchModel? model = null)
    {
        using var trainer = SyntheticTrainer(backend.Inner, batch, seed, model);

        backend.Profiling = false;
        for (int i = 0; i < warmup; i++) trainer.TrainStep();
        trainer.ReadStats();

        backend.Reset();
        trainer.TrainStep();
        trainer.ReadStats();
        double flopsPerStep = backend.GemmFlops;

        // Timed: steps back to back, one read-back at the end (as training does between logs).
        int steps = 0;
        var clock = Stopwatch.StartNew();
        while (steps < minSteps || clock.Elapsed < minTime)
        {
            trainer.TrainStep();
            steps++;
            if (steps % 16 == 0) trainer.ReadStats();   // bound the queue on asynchronous devices
        }
        trainer.ReadStats();
        double seconds = clock.Elapsed.TotalSeconds;

        // Breakdown: a few instrumented steps.
        int profiled = Math.Clamp(steps / 4, 2, 20);
        backend.Reset();
        backend.Profiling = true;
        for (int i = 0; i < profiled; i++) trainer.TrainStep();
        backend.Profiling = false;
        var breakdown = backend.Time.ToDictionary(kv => kv.Key, kv => kv.Value.TotalMilliseconds / profiled);

        double stepsPerS = steps / seconds;
        return new BenchResult(backend.Kind, backend.Description, batch, steps, stepsPerS, 1000 / stepsPerS,
            flopsPerStep * stepsPerS / 1e9, flopsPerStep / batch / 1e6, breakdown);
    }
}
