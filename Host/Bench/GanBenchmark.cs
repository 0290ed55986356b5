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
    /// <summary>
    /// The seed GAN (or the 28×28 DCGAN, z = 100) on random MNIST-sized images (at least two
    /// batches' worth): what every benchmark trains.
    /// </summary>
    public static GanTrainer SyntheticTrainer(IBackend backend, int batch, ulong seed, ModelKind model = ModelKind.Mlp)
    {
        int images = Math.Max(batch * 2, 256);
        var pixels = new byte[images * 784];
        new Random(1).NextBytes(pixels);
        var config = model == ModelKind.Dcgan
            ? new GanConfig { Batch = batch, Seed = seed, Model = ModelKind.Dcgan, Latent = DcganPresets.DefaultLatent }
            : new GanConfig { Batch = batch, Seed = seed };
        return new GanTrainer(backend, config, pixels, images, 784);
    }

    public static BenchResult Run(ProfilingBackend backend, int batch, int warmup, TimeSpan minTime, int minSteps, ulong seed = 0, ModelKind model = ModelKind.Mlp)
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
