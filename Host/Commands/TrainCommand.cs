using System.Diagnostics;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using IlgpuGan.Host.Images;
using IlgpuGan.Host.Reports;
using IlgpuGan.Host.Training;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "Train the seed MLP GAN (or a variant: --loss, --d-steps, --optimizer, --conditional); writes sample grids, metrics.csv and checkpoints into a run folder.";
    public string Usage => "ilgpugan train [--dataset mnist|fashion-mnist] [--data DIR] [--device D] [--steps N] [--loss L] [--conditional] [--out DIR] | --resume DIR";

    // Options that define the model, its training recipe or the data order: fixed for the life of a run.
    static readonly string[] RunDefining = ["dataset", "batch", "latent", "lr", "g-lr", "d-lr", "beta1", "beta2", "seed", "generator", "pack", "out",
        "loss", "d-steps", "optimizer", "momentum", "alpha", "clip", "gp-lambda", "real-label", "fake-label", "conditional"];
    const int ScatterSamples = 2500;

    public IReadOnlyList<OptionSpec> Options =>
    [
        new("dataset", "NAME", "mnist, fashion-mnist, or a 2D benchmark: ring8, grid25", "mnist"),
        new("data", "DIR", "folder with the IDX files (.gz or raw); otherwise they are downloaded and cached"),
        CommonOptions.Device,
        new("steps", "N", "total training steps (--d-steps D updates + one G update each)", "5000"),
        new("max-time", "SECONDS", "stop (with a checkpoint) after this much training time; resumable", "none"),
        new("batch", "N", "batch size", "64"),
        new("latent", "N", "size of z", "64; 2 for ring8/grid25"),
        new("loss", "L", "bce, wgan (clipping, RMSprop 5e-5, 5 D steps), wgan-gp (gradient penalty, Adam 1e-4 betas 0.5/0.9, 5 D steps), lsgan or hinge", "bce"),
        new("d-steps", "N", "D (critic) updates per G update, each on a fresh real batch", "1; 5 for wgan and wgan-gp"),
        new("real-label", "X", "target for real images in D's loss (bce, lsgan); 0.9 is one-sided label smoothing", "1"),
        new("fake-label", "X", "target for fake images in D's loss (bce, lsgan)", "0"),
        new("clip", "C", "wgan: clip D's weights to [-C, C] after each update", "0.01"),
        new("gp-lambda", "X", "wgan-gp: weight of the gradient penalty", "10"),
        new("optimizer", "NAME", "adam, rmsprop or sgd (with --momentum), for G and D", "adam; rmsprop for wgan"),
        new("lr", "X", "learning rate for G and D", "0.0002; 5e-5 for wgan, 1e-4 for wgan-gp"),
        new("g-lr", "X", "learning rate of G only", "--lr"),
        new("d-lr", "X", "learning rate of D only", "--lr"),
        new("beta1", "X", "Adam beta1", "0.5"),
        new("beta2", "X", "Adam beta2", "0.999; 0.9 for wgan-gp"),
        new("momentum", "X", "SGD momentum", "0.9"),
        new("alpha", "X", "RMSprop smoothing constant", "0.99"),
        new("conditional", null, "conditional GAN: one-hot class labels go into G and D; the grid shows one class per row"),
        new("seed", "S", "seed for weights, noise and data order", "0"),
        new("generator", "NAME", "mlp (Tanh output) or notebook (the lecture's LeakyReLU+BN output); 2D runs use mlp2d", "mlp"),
        new("pack", "M", "PacGAN packing: D sees M samples at once (must divide --batch)", "1"),
        new("sample-every", "N", "write an 8x8 grid of the fixed z (2D: a scatter plot) every N steps", "50"),
        new("eval-every", "K", "append quality metrics (FID, IS, ... or 2D mode metrics) to metrics.csv every K steps", "0 (off)"),
        new("eval-samples", "N", "samples per evaluation during training", "5000; 2500 for 2D"),
        new("checkpoint-every", "N", "save a checkpoint every N steps (and always at the end)", "500"),
        new("log-every", "N", "append to metrics.csv every N steps", "10"),
        new("out", "DIR", "run folder", "runs/<timestamp>"),
        new("resume", "DIR", "continue the run in DIR from its last checkpoint"),
    ];

    /// <summary>
    /// The loss, its optimizer and the other variant flags, with the loss's paper defaults
    /// (<see cref="GanLosses.Defaults"/>) wherever the user gave no value.
    /// </summary>
    static GanConfig VariantConfig(Options o, GanConfig c)
    {
        string loss = o.String("loss", "bce");
        GanLosses.Validate(loss);
        var d = GanLosses.Defaults(loss);
        if (!GanLosses.TakesLabels(loss) && (o.Has("real-label") || o.Has("fake-label")))
            throw new UsageException($"train: --real-label/--fake-label apply to bce and lsgan; {loss} has no label targets");
        if (loss != "wgan" && o.Has("clip")) throw new UsageException("train: --clip applies to --loss wgan only");
        if (loss != "wgan-gp" && o.Has("gp-lambda")) throw new UsageException("train: --gp-lambda applies to --loss wgan-gp only");
        string optimizer = o.Has("optimizer") ? o.String("optimizer")! : d.Optimizer;   // the help default is a description
        if (optimizer is not ("adam" or "rmsprop" or "sgd")) throw new UsageException($"train: --optimizer must be adam, rmsprop or sgd, got '{optimizer}'");
        double lr = o.Has("lr") ? o.Double("lr", 0, exclusiveMin: true) : d.Lr;
        var config = c with
        {
            Loss = loss,
            DSteps = o.Has("d-steps") ? o.Int("d-steps", 1, 1000) : d.DSteps,
            Optimizer = optimizer,
            Lr = lr,
            GLr = o.Has("g-lr") ? o.Double("g-lr", 0, exclusiveMin: true) : null,
            DLr = o.Has("d-lr") ? o.Double("d-lr", 0, exclusiveMin: true) : null,
            Beta1 = o.Has("beta1") ? o.Double("beta1", 0, 1) : d.Beta1,
            Beta2 = o.Has("beta2") ? o.Double("beta2", 0, 1) : d.Beta2,
            Momentum = o.Has("momentum") ? o.Double("momentum", 0, 1) : 0.9,
            Alpha = o.Has("alpha") ? o.Double("alpha", 0, 1) : 0.99,
            Clip = o.Has("clip") ? (float)o.Double("clip", 0, exclusiveMin: true) : 0.01f,
            GpLambda = o.Has("gp-lambda") ? (float)o.Double("gp-lambda", 0) : 10f,
            RealLabel = o.Has("real-label") ? (float)o.Double("real-label", 0, 1) : 1f,
            FakeLabel = o.Has("fake-label") ? (float)o.Double("fake-label", 0, 1) : 0f,
            Conditional = o.Has("conditional"),
        };
        if (config.Conditional && Mixture2D.IsMixture(config.Dataset))
            throw new UsageException("train: --conditional needs a labelled image dataset (mnist, fashion-mnist)");
        if (config.Conditional && config.Pack != 1) throw new UsageException("train: --conditional cannot be combined with --pack");
        return config;
    }

    static TimeSpan? MaxTime(Options o) => o.Has("max-time") ? TimeSpan.FromSeconds(o.Double("max-time", 0, exclusiveMin: true)) : null;

    public int Run(Options o, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("train");
        TimeSpan? maxTime = MaxTime(o);
        RunInfo run;
        string runDir;
        bool resuming = o.Has("resume");
        if (resuming)
        {
            runDir = o.String("resume")!;
            foreach (var name in RunDefining.Where(o.Has))
                throw new UsageException($"train: --{name} cannot change when resuming; it is fixed by {Path.Combine(runDir, RunInfo.FileName)}");
            if (!Directory.Exists(runDir)) throw new GanException($"cannot resume: {runDir} does not exist");
            var saved = RunInfo.Load(runDir);
            run = saved with
            {
                Steps = o.Has("steps") ? o.Int("steps", 1) : saved.Steps,
                Device = o.Has("device") ? o.String("device")! : saved.Device,
                DataDir = o.Has("data") ? o.String("data") : saved.DataDir,
                SampleEvery = o.Has("sample-every") ? o.Int("sample-every", 1) : saved.SampleEvery,
                CheckpointEvery = o.Has("checkpoint-every") ? o.Int("checkpoint-every", 1) : saved.CheckpointEvery,
                LogEvery = o.Has("log-every") ? o.Int("log-every", 1) : saved.LogEvery,
                EvalEvery = o.Has("eval-every") ? o.Int("eval-every", 0) : saved.EvalEvery,
                EvalSamples = o.Has("eval-samples") ? o.Int("eval-samples", 10) : saved.EvalSamples,
            };
        }
        else
        {
            string dataset = o.String("dataset", "mnist");
            bool mixture = Mixture2D.IsMixture(dataset);
            if (!mixture) dataset = DatasetCatalog.Get(dataset).Name;
            var config = VariantConfig(o, new GanConfig
            {
                Dataset = dataset,
                Generator = mixture ? "mlp2d" : o.String("generator", "mlp"),
                Batch = o.Int("batch", 1, 1 << 20),
                Latent = o.Has("latent") ? o.Int("latent", 1, 1 << 16) : mixture ? 2 : 64,
                Pack = o.Int("pack", 1, 64),
                Seed = o.ULong("seed"),
            });
            if (mixture && o.Has("generator"))
                throw new UsageException("train: 2D runs use the mlp2d generator; drop --generator");
            if (!Presets.GeneratorNames.Contains(config.Generator))
                throw new UsageException($"train: --generator must be {string.Join(" or ", Presets.GeneratorNames)}, got '{config.Generator}'");
            if (config.Batch < 2) throw new UsageException($"train: --batch must be at least 2 (BatchNorm needs two samples), got {config.Batch}");
            if (config.Batch % config.Pack != 0) throw new UsageException($"train: --pack {config.Pack} must divide --batch {config.Batch}");
            runDir = o.Has("out") ? o.String("out")! : Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
            run = new RunInfo
            {
                Config = config,
                Steps = o.Int("steps", 1),
                Device = o.String("device", "auto"),
                DataDir = o.String("data"),
                SampleEvery = o.Int("sample-every", 1),
                CheckpointEvery = o.Int("checkpoint-every", 1),
                LogEvery = o.Int("log-every", 1),
                EvalEvery = o.Has("eval-every") ? o.Int("eval-every", 0) : 0,
                EvalSamples = o.Has("eval-samples") ? o.Int("eval-samples", 10) : mixture ? ScatterSamples : 5000,
            };
            if (File.Exists(Path.Combine(runDir, RunInfo.FileName)))
                throw new GanException($"{runDir} already holds a run; continue it with --resume {runDir} or choose another --out");
        }
        DeviceCatalog.Validate(run.Device);

        using var backend = DeviceCatalog.Open(run.Device, m => log.LogInformation("{Message}", m));
        log.LogInformation("device: {Device}", backend.Description);
        bool is2D = Mixture2D.IsMixture(run.Config.Dataset);
        MnistData? data = null;
        if (is2D) log.LogInformation("data: {Dataset}, sampled on the fly", run.Config.Dataset);
        else
        {
            data = DatasetLoader.Load(run.Config.Dataset, run.DataDir, train: true, new DatasetDownloadOptions(), log);
            log.LogInformation("data: {Count} {Dataset} training images of {Rows}x{Cols}", data.Count, run.Config.Dataset, data.Rows, data.Cols);
        }
        using IRunEvaluator? evaluator = run.EvalEvery <= 0 ? null
            : is2D ? new MixtureRunEvaluator(run.EvalSamples)
            : ImageRunEvaluator.Create(backend, run.Config.Dataset, run.DataDir, run.EvalSamples, log);

        if (!resuming) PrepareNewRunFolder(runDir);
        if (Checkpoint.RemoveStaleTemps(runDir) is { Count: > 0 } stale) log.LogInformation("removed {N} temporary file(s) left by a killed run: {Paths}", stale.Count, string.Join(", ", stale.Select(Path.GetFileName)));
        using var trainer = is2D
            ? new GanTrainer(backend, run.Config, null, 0, 2)
            : new GanTrainer(backend, run.Config, data!.Pixels, data.Count, data.Rows * data.Cols, data.Labels);
        long start = 0;
        if (resuming)
        {
            start = Checkpoint.Load(trainer, runDir).Step;
            log.LogInformation("resumed {Run} at step {Step}", runDir, start);
        }
        run = run with { DeviceDescription = backend.Description };
        run.Save(runDir);
        log.LogInformation("G: {G:N0} parameters, D: {D:N0} parameters; run folder {Dir}", trainer.G.ParameterCount, trainer.D.ParameterCount, Path.GetFullPath(runDir));
        if (start >= run.Steps)
        {
            log.LogInformation("the run already has {Step} of {Steps} steps; pass a larger --steps to continue", start, run.Steps);
            return 0;
        }
        try
        {
            return Loop(trainer, evaluator, run, runDir, start, maxTime, log, data?.Rows ?? 28, data?.Cols ?? 28);
        }
        finally
        {
            // The report and the timeline are conveniences: failing to write them must not hide how
            // training ended (finished, interrupted with 130, or failed).
            try { RunReport.Write(runDir, log); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or GanException)
            {
                log.LogWarning("could not write {Dir}/report.html: {Message}", runDir, e.Message);
            }
            if (!is2D) WriteTimeline(runDir, log);   // 2D runs plot SVG scatters: no frames to animate
        }
    }

    static void PrepareNewRunFolder(string runDir)
    {
        try
        {
            Directory.CreateDirectory(Path.Combine(runDir, "samples"));
            var probe = Path.Combine(runDir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot write to --out {runDir}: {e.Message}");
        }
    }

    static int Loop(GanTrainer trainer, IRunEvaluator? evaluator, RunInfo run, string runDir, long start, TimeSpan? maxTime, ILogger log, int rows, int cols)
    {
        bool stop = false;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop = true; };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var metrics = new MetricsLog(runDir, start, RunMetrics.For(run.Config.Dataset));
            var clock = Stopwatch.StartNew();
            var lastLog = (Step: start, Time: TimeSpan.Zero);
            var lastPrint = TimeSpan.Zero;
            double rate = 0;
            bool timeUp = false;
            while (trainer.Step < run.Steps && !stop && !timeUp)
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
                    rate = (step - lastLog.Step) / Math.Max(1e-9, (now - lastLog.Time).TotalSeconds);
                    lastLog = (step, now);
                    if (!float.IsFinite(stats.DLoss) || !float.IsFinite(stats.GLoss))
                        throw new GanException($"training diverged at step {step} (loss is {stats.DLoss}/{stats.GLoss}); try a lower --lr");
                    double[]? quality = null;
                    if (evaluate)
                    {
                        quality = evaluator!.Evaluate(trainer);
                        log.LogInformation("step {Step} quality: {Metrics}", step,
                            string.Join(", ", evaluator.Columns.Zip(quality, (c, v) => $"{c} {v:G4}")));
                        lastLog = (step, clock.Elapsed);   // keep evaluation time out of steps/s
                    }
                    metrics.Append(step, trainer.DUpdates, stats, rate, quality);
                    if (now - lastPrint > TimeSpan.FromSeconds(2) || last)
                    {
                        lastPrint = now;
                        double avg = (step - start) / Math.Max(1e-9, now.TotalSeconds);
                        var eta = TimeSpan.FromSeconds((run.Steps - step) / Math.Max(1e-9, avg));
                        log.LogInformation("step {Step}/{Steps} | d_loss {D:F3} g_loss {G:F3} | D(x) {Dx:F3} D(G(z)) {Dgz:F3} | {Rate:F1} steps/s | ETA {Eta}",
                            step, run.Steps, stats.DLoss, stats.GLoss, stats.DReal, stats.DFake, rate, FormatDuration(eta));
                    }
                }
                if (step % run.SampleEvery == 0 || last)
                    SaveGrid(trainer, runDir, step, rows, cols);
                if (step % run.CheckpointEvery == 0 || last)
                    Checkpoint.Save(trainer, runDir);
            }
            if (stop)
            {
                Checkpoint.Save(trainer, runDir);
                log.LogWarning("interrupted at step {Step}; checkpoint saved. Continue with: ilgpugan train --resume {Dir}", trainer.Step, runDir);
                return 130;
            }
            if (timeUp)
                log.LogInformation("--max-time reached at step {Step}; checkpoint saved. Continue with: ilgpugan train --resume {Dir}", trainer.Step, runDir);
            log.LogInformation("done: {Steps} steps in {Time} ({Rate:F1} steps/s); samples in {Samples}",
                trainer.Step - start, FormatDuration(clock.Elapsed), (trainer.Step - start) / clock.Elapsed.TotalSeconds, Path.Combine(runDir, "samples"));
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    static void WriteTimeline(string runDir, ILogger log)
    {
        try
        {
            if (Timeline.Write(Path.Combine(runDir, "samples")) is { } path)
                log.LogInformation("timeline of the sample grids: {Path}", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SixLabors.ImageSharp.ImageFormatException)
        {
            log.LogWarning("could not write {Dir}/samples/{File}: {Message}", runDir, Timeline.FileName, e.Message);
        }
    }

    static void SaveGrid(GanTrainer trainer, string runDir, long step, int rows, int cols)
    {
        if (trainer.Mixture is { } m)
        {
            // The fixed-z stream, so successive plots show the same z moving.
            var points = trainer.Sample(ScatterSamples, trainer.Config.Seed, RngStreams.FixedGrid);
            Scatter.SaveSvg(Path.Combine(runDir, "samples", $"step_{step:D6}.svg"), points, m.Modes, m.Sigma, m.Extent,
                $"{m.Name}, step {step}, {ScatterSamples} samples (red: modes, 3σ)");
            return;
        }
        var images = trainer.SampleFixedGrid();
        ImageGrid.SavePng(Path.Combine(runDir, "samples", $"step_{step:D6}.png"), images, trainer.GridCount, rows, cols, trainer.GridColumnCount);
    }

    static string FormatDuration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";
}
