using System.Diagnostics;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Evaluation;
using IlgpuGan.Host.Images;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Training;

/// <summary>How a run of <see cref="TrainingLoop"/> ended.</summary>
public enum RunOutcome { Finished, TimeUp, Interrupted }

/// <summary>
/// The training run after its options are settled: steps the trainer, reads its stats back every
/// <see cref="RunInfo.LogEvery"/> steps into metrics.csv and the progress display, evaluates, writes
/// sample grids and checkpoints, and stops early on <see cref="StopSignal"/> or the time limit, always
/// with a checkpoint. It knows nothing of flags: <c>TrainCommand</c> builds it.
/// </summary>
public sealed class TrainingLoop(GanTrainer trainer, IRunEvaluator? evaluator, RunInfo run, string runDir, ILogger log,
    IProgressDisplay progress, StopSignal stop, TimeSpan? maxTime = null, int rows = 28, int cols = 28, int channels = 1)
{
    public const int ScatterSamples = 2500;

    public RunOutcome Run(long start)
    {
        using var metrics = new MetricsLog(runDir, start, RunMetrics.For(run.Config.Dataset));
        var clock = Stopwatch.StartNew();
        var lastLog = (Step: start, Time: TimeSpan.Zero);
        long saved = start;   // the step of the newest checkpoint on disk (start: the one resumed, or none)
        bool timeUp = false;
        while (trainer.Step < run.Steps && !stop.Requested && !timeUp)
        {
            trainer.TrainStep();
            long step = trainer.Step;
            timeUp = maxTime is { } limit && clock.Elapsed >= limit;
            bool last = step == run.Steps || timeUp;
            bool evaluate = evaluator is not null && (step % run.EvalEvery == 0 || last);
            if (step % run.LogEvery == 0 || last || evaluate)
            {
                var stats = trainer.ReadStats();   // the only read-back: it waits for the device
                var now = clock.Elapsed;
                double rate = (step - lastLog.Step) / Math.Max(1e-9, (now - lastLog.Time).TotalSeconds);
                lastLog = (step, now);
                ThrowIfDiverged(stats);
                double[]? quality = null;
                if (evaluate)
                {
                    quality = evaluator!.Evaluate(trainer);
                    progress.Break();
                    log.LogInformation("step {Step} quality: {Metrics}", step,
                        string.Join(", ", evaluator.Columns.Zip(quality, (c, v) => $"{c} {v:G4}")));
                    lastLog = (step, clock.Elapsed);   // keep evaluation time out of steps/s
                }
                metrics.Append(step, trainer.DUpdates, stats, rate, quality);
                double average = (step - start) / Math.Max(1e-9, now.TotalSeconds);
                var eta = TimeSpan.FromSeconds((run.Steps - step) / Math.Max(1e-9, average));
                progress.Update(new ProgressSnapshot(step, run.Steps, stats, rate, eta), last);
            }
            if (step % run.SampleEvery == 0 || last)
            {
                ThrowIfDiverged(trainer.ReadStats());   // the grid waits for the device anyway
                SaveGrid(step);
                if (log.IsEnabled(LogLevel.Debug)) progress.Break();
                log.LogDebug("step {Step}: sample grid written", step);
            }
            if (step % run.CheckpointEvery == 0 || last)
            {
                Save();
                saved = step;
                if (log.IsEnabled(LogLevel.Debug)) progress.Break();
                log.LogDebug("step {Step}: checkpoint saved", step);
            }
        }
        progress.Dispose();
        if (stop.Requested)
        {
            if (trainer.Step == start)
            {
                // Stopped before its first step: nothing new to save (TrainCommand removes a new run's folder).
                log.LogWarning("interrupted ({Signal}) before the first step; nothing saved", stop.RequestedBy);
                return RunOutcome.Interrupted;
            }
            if (saved != trainer.Step) Save();
            log.LogWarning("interrupted ({Signal}) at step {Step}; checkpoint saved. Continue with: ilgpugan train --resume {Dir}", stop.RequestedBy, trainer.Step, runDir);
            return RunOutcome.Interrupted;
        }
        if (timeUp)
            log.LogInformation("--max-time reached at step {Step}; checkpoint saved. Continue with: ilgpugan train --resume {Dir}", trainer.Step, runDir);
        log.LogInformation("done: {Steps} steps in {Time} ({Rate:F1} steps/s); samples in {Samples}",
            trainer.Step - start, ProgressDisplay.FormatDuration(clock.Elapsed), (trainer.Step - start) / clock.Elapsed.TotalSeconds, new RunFolder(runDir).Samples);
        return timeUp ? RunOutcome.TimeUp : RunOutcome.Finished;
    }

    /// <summary>A checkpoint that a second signal cannot cut short (it waits for the write).</summary>
    void Save()
    {
        using (stop.Defer()) Checkpoint.Save(trainer, runDir);
    }

    /// <summary>
    /// Stops the run at the first non-finite loss the device recorded (every step is checked there;
    /// this only reads the verdict). Checkpoints are guarded separately, in <see cref="Checkpoint.Save"/>.
    /// </summary>
    void ThrowIfDiverged(StepStats stats)
    {
        if (trainer.DivergedAt is { } at)
            throw new TrainingDivergedException(at, $"loss is {stats.DLoss}/{stats.GLoss} at step {trainer.Step}; nothing is saved after the last good checkpoint");
        if (!float.IsFinite(stats.DLoss) || !float.IsFinite(stats.GLoss))
            throw new TrainingDivergedException(trainer.Step, stats);
    }

    void SaveGrid(long step)
    {
        if (trainer.Mixture is { } m)
        {
            // The fixed-z stream, so successive plots show the same z moving.
            var points = trainer.Sample(ScatterSamples, trainer.Config.Seed, RngStreams.FixedGrid);
            Scatter.SaveSvg(new RunFolder(runDir).SampleFile(step, "svg"), points, m.Modes, m.Sigma, m.Extent,
                $"{m.Name}, step {step}, {ScatterSamples} samples (red: modes, 3σ)");
            return;
        }
        var images = trainer.SampleFixedGrid();
        if (channels > 1) ImageGrid.SavePng(new RunFolder(runDir).SampleFile(step, "png"), images, trainer.GridCount, channels, rows, cols, trainer.GridColumnCount);
        else ImageGrid.SavePng(new RunFolder(runDir).SampleFile(step, "png"), images, trainer.GridCount, rows, cols, trainer.GridColumnCount);
    }
}
