using System.CommandLine;
using System.Text.Json;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using IlgpuGan.Host.Images;
using IlgpuGan.Host.Reports;
using IlgpuGan.Host.Training;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

/// <summary>
/// `ilgpugan train`: turns its options into a <see cref="RunInfo"/> (a new run's, or a resumed run's
/// config.json with the options that may change), then hands the run to <see cref="TrainingLoop"/>.
/// The config's rules live in <see cref="GanConfig.Validate"/>; errors name the flag, or the
/// config.json key when the value came from a resumed run.
/// </summary>
public sealed class TrainCommand : CliCommand
{
    readonly Option<string> dataset = Opt.String("dataset", "NAME", "mnist, fashion-mnist, folder (every image under --data), or a 2D benchmark: ring8, grid25", "mnist");
    readonly Option<string?> data = Opt.String("data", "DIR", "folder with the IDX files (.gz or raw), otherwise downloaded and cached; for --dataset folder, the folder of images");
    readonly Option<ModelKind?> model = Opt.Kind<ModelKind>("model", "mlp (the seed's fully connected G and D) or dcgan (convolutional, as pytorch/examples dcgan) (default: mlp)");
    readonly Option<int?> imageSize = Opt.IntOrNull("image-size", "S", "dcgan and folder: side of the square images, 28, 32 or 64 (default: 28 for mnist/fashion-mnist, 64 for folder)", 1);
    readonly Option<int?> channels = Opt.IntOrNull("channels", "C", "folder: 3 (RGB) or 1 (grayscale) (default: 3)", 1);
    readonly Option<DeviceSpec> device = Opt.Device();
    readonly Option<long> steps = Opt.Long("steps", "N", "total training steps (--d-steps D updates + one G update each; 400000 with --preset pacgan)", 5000, 1);
    readonly Option<double?> maxTime = Opt.DoubleOrNull("max-time", "SECONDS", "stop (with a checkpoint) after this much training time; resumable", 0, exclusiveMin: true);
    readonly Option<int> batch = Opt.Int("batch", "N", "batch size", 64);
    readonly Option<int?> latent = Opt.IntOrNull("latent", "N", "size of z (default: 64; 100 for dcgan; 2 for ring8/grid25)");
    readonly Option<GanLoss?> loss = Opt.Kind<GanLoss>("loss", "the GAN loss (default: bce): wgan (clipping, RMSprop 5e-5, 5 D steps), wgan-gp (gradient penalty, Adam 1e-4 betas 0.5/0.9, 5 D steps), lsgan or hinge");
    readonly Option<int?> dSteps = Opt.IntOrNull("d-steps", "N", "D (critic) updates per G update, each on a fresh real batch (default: 1; 5 for wgan and wgan-gp)");
    readonly Option<double?> realLabel = Opt.DoubleOrNull("real-label", "X", "target for real images in D's loss (bce, lsgan); 0.9 is one-sided label smoothing (default: 1)");
    readonly Option<double?> fakeLabel = Opt.DoubleOrNull("fake-label", "X", "target for fake images in D's loss (bce, lsgan) (default: 0)");
    readonly Option<double?> clip = Opt.DoubleOrNull("clip", "C", "wgan: clip D's weights to [-C, C] after each update (default: 0.01)");
    readonly Option<double?> gpLambda = Opt.DoubleOrNull("gp-lambda", "X", "wgan-gp: weight of the gradient penalty (default: 10)");
    readonly Option<OptimizerKind?> optimizer = Opt.Kind<OptimizerKind>("optimizer", "for G and D; sgd uses --momentum (default: adam; rmsprop for wgan)");
    readonly Option<double?> lr = Opt.DoubleOrNull("lr", "X", "learning rate for G and D (default: 0.0002; 5e-5 for wgan, 1e-4 for wgan-gp)");
    readonly Option<double?> gLr = Opt.DoubleOrNull("g-lr", "X", "learning rate of G only (default: --lr)");
    readonly Option<double?> dLr = Opt.DoubleOrNull("d-lr", "X", "learning rate of D only (default: --lr)");
    readonly Option<double?> beta1 = Opt.DoubleOrNull("beta1", "X", "Adam beta1 (default: 0.5)");
    readonly Option<double?> beta2 = Opt.DoubleOrNull("beta2", "X", "Adam beta2 (default: 0.999; 0.9 for wgan-gp)");
    readonly Option<double?> momentum = Opt.DoubleOrNull("momentum", "X", "SGD momentum (default: 0.9)");
    readonly Option<double?> alpha = Opt.DoubleOrNull("alpha", "X", "RMSprop smoothing constant (default: 0.99)");
    readonly Option<bool> conditional = Opt.Switch("conditional", "conditional GAN: one-hot class labels go into G and D; the grid shows one class per row");
    readonly Option<ulong> seed = Opt.ULong("seed", "S", "seed for weights, noise and data order", 0);
    readonly Option<GeneratorKind?> generator = Opt.Kind<GeneratorKind>("generator", "mlp (Tanh output) or notebook (the lecture's LeakyReLU+BN output); 2D runs use mlp2d, or pacgan (PacGAN's own G, the default with --preset pacgan) (default: mlp)");
    readonly Option<int> pack = Opt.Int("pack", "M", "PacGAN packing: D sees M samples at once (must divide --batch)", 1);
    readonly Option<GanPreset?> preset = Opt.Kind<GanPreset>("preset", "pacgan: PacGAN's Table 1 protocol on ring8/grid25 (its G, maxout D, N(0, 0.02) init, Adam 1e-4/0.8, 100 packed rows a step, a fixed 100,000-sample training set, 400,000 steps); any flag given overrides it (default: none)");
    readonly Option<double?> initStd = Opt.DoubleOrNull("init-std", "S", "Linear weights N(0, S^2) with zero biases instead of PyTorch's default init (default: PyTorch's; 0.02 with --preset pacgan)");
    readonly Option<double?> bnMomentum = Opt.DoubleOrNull("bn-momentum", "M", "momentum of G's BatchNorm1d layers, as torch: running = (1 - M) running + M batch (default: 0.1; 0.05 with --preset pacgan)");
    readonly Option<PackBatchNorm?> gBatchNorm = Opt.Kind<PackBatchNorm>("g-batch-norm", "how G's BatchNorm sees a packed batch: joint normalises the whole batch together; per-slot normalises each pack slot's samples apart, as PacGAN's code does by running G once per slot (default: per-slot with --preset pacgan and --pack above 1, joint otherwise)");
    readonly Option<GanUpdates?> updates = Opt.Kind<GanUpdates>("updates", "alternating: D's update, then G's through the updated D (PyTorch's DCGAN example); simultaneous: both gradients at the same weights on the same fakes, then both updates (PacGAN's code); needs --d-steps 1 (default: alternating; simultaneous with --preset pacgan)");
    readonly Option<int?> trainingSet = Opt.IntOrNull("training-set", "N", "2D datasets: train on a fixed set of N samples drawn from the seed, shuffled per epoch; 0 draws fresh samples every batch (default: 0; 100000 with --preset pacgan)", 0);
    readonly Option<int> sampleEvery = Opt.Int("sample-every", "N", "write an 8x8 grid of the fixed z (2D: a scatter plot) every N steps", 50, 1);
    readonly Option<int> evalEvery = Opt.Int("eval-every", "K", "append quality metrics (FID, IS, ... or 2D mode metrics) to metrics.csv every K steps; 0 is off", 0, 0);
    readonly Option<int?> evalSamples = Opt.IntOrNull("eval-samples", "N", "samples per evaluation during training (default: 5000; 2500 for 2D)", 10);
    readonly Option<int> checkpointEvery = Opt.Int("checkpoint-every", "N", "save a checkpoint every N steps (and always at the end)", 500, 1);
    readonly Option<int> logEvery = Opt.Int("log-every", "N", "append to metrics.csv every N steps", 10, 1);
    readonly Option<string?> output = Opt.String("out", "DIR", "run folder (default: runs/<timestamp>)");
    readonly Option<string?> resume = Opt.String("resume", "DIR", "continue the run in DIR from its last checkpoint; the options that define the run are fixed by its config.json");

    public override string Name => "train";
    public override string Summary => "Train the seed MLP GAN or a DCGAN (--model dcgan), or a variant (--loss, --d-steps, --optimizer, --conditional), on MNIST, Fashion-MNIST or a folder of images; writes sample grids, metrics.csv and checkpoints into a run folder.";

    public override IReadOnlyList<Option> Options =>
    [
        dataset, data, model, imageSize, channels, device, steps, maxTime, batch, latent, loss, dSteps, realLabel, fakeLabel, clip, gpLambda, optimizer,
        lr, gLr, dLr, beta1, beta2, momentum, alpha, conditional, seed, generator, pack, preset, initStd, bnMomentum, trainingSet, updates, gBatchNorm, sampleEvery, evalEvery, evalSamples,
        checkpointEvery, logEvery, output, resume,
    ];

    /// <summary>Options that define the model, its training recipe or the data order: fixed for the life of a run.</summary>
    IEnumerable<Option> RunDefining =>
        [dataset, model, imageSize, channels, batch, latent, lr, gLr, dLr, beta1, beta2, seed, generator, pack, preset, initStd, bnMomentum, trainingSet, updates, gBatchNorm, output, loss, dSteps, optimizer, momentum, alpha, clip, gpLambda, realLabel, fakeLabel, conditional];

    /// <summary>
    /// A new run's config from the options: the loss's paper defaults (<see cref="GanLosses.Defaults"/>)
    /// wherever the user gave no value. Not validated here: <see cref="GanConfig.Validate"/> does that.
    /// </summary>
    GanConfig NewConfig(ParseResult p, string datasetName, bool mixture)
    {
        var kind = p.GetValue(loss) ?? GanLoss.Bce;
        var d = GanLosses.Defaults(kind);
        var recipe = p.GetValue(preset) ?? GanPreset.None;
        bool pac = recipe == GanPreset.PacGan;
        if (pac && !mixture) throw new UsageException($"train: --preset pacgan needs --dataset {string.Join(" or ", Mixture2D.Names)}, got {datasetName}");
        // The preset's optimiser is Adam with its own lr and betas; another loss keeps its paper defaults.
        bool pacAdam = pac && kind == GanLoss.Bce;
        int dStepCount = p.GetValue(dSteps) ?? d.DSteps;
        // PacGAN's code updates simultaneously; a loss with several D steps a step (wgan, wgan-gp) alternates.
        var order = p.GetValue(updates) ?? (pac && dStepCount == 1 ? GanUpdates.Simultaneous : GanUpdates.Alternating);
        var modelKind = p.GetValue(model) ?? ModelKind.Mlp;
        var (size, planes) = ImageShape(p, datasetName, modelKind);
        return new GanConfig
        {
            Dataset = datasetName,
            Model = modelKind,
            ImageSize = size,
            Channels = planes,
            Generator = p.GetValue(generator) ?? (pac ? GeneratorKind.PacGan : mixture ? GeneratorKind.Mlp2d : GeneratorKind.Mlp),
            Batch = pac && !p.Given(batch) ? PacGanPreset.Batch(p.GetValue(pack)) : p.GetValue(batch),
            Preset = recipe,
            InitStd = p.GetValue(initStd) ?? (pac ? PacGanPreset.InitStd : null),
            BnMomentum = p.GetValue(bnMomentum) ?? (pac ? PacGanPreset.BnMomentum : GanConfig.DefaultBnMomentum),
            TrainingSet = p.GetValue(trainingSet) ?? (pac ? PacGanPreset.TrainingSet : 0),
            Updates = order,
            GBatchNorm = p.GetValue(gBatchNorm) ?? (pac ? PacGanPreset.GBatchNorm(p.GetValue(pack)) : PackBatchNorm.Joint),
            // --preset pacgan --updates alternating (the preset's first version, kept as an ablation): G's update draws fresh z.
            FreshGeneratorZ = pac && order == GanUpdates.Alternating,
            Latent = p.GetValue(latent) ?? (mixture ? 2 : modelKind == ModelKind.Dcgan ? DcganPresets.DefaultLatent : 64),
            Pack = p.GetValue(pack),
            Seed = p.GetValue(seed),
            Loss = kind,
            DSteps = dStepCount,
            Optimizer = p.GetValue(optimizer) ?? d.Optimizer,
            Lr = p.GetValue(lr) ?? (pacAdam ? PacGanPreset.Lr : d.Lr),
            GLr = p.GetValue(gLr),
            DLr = p.GetValue(dLr),
            Beta1 = p.GetValue(beta1) ?? (pacAdam ? PacGanPreset.Beta1 : d.Beta1),
            Beta2 = p.GetValue(beta2) ?? (pacAdam ? PacGanPreset.Beta2 : d.Beta2),
            Momentum = p.GetValue(momentum) ?? 0.9,
            Alpha = p.GetValue(alpha) ?? 0.99,
            Clip = (float)(p.GetValue(clip) ?? GanConfig.DefaultClip),
            GpLambda = (float)(p.GetValue(gpLambda) ?? GanConfig.DefaultGpLambda),
            RealLabel = (float)(p.GetValue(realLabel) ?? 1),
            FakeLabel = (float)(p.GetValue(fakeLabel) ?? 0),
            Conditional = p.GetValue(conditional),
        };
    }

    /// <summary>
    /// The image side and channels a new run trains on: a folder is resized to --image-size (64 by
    /// default) with --channels (3); the IDX datasets are 28×28 grayscale, which the flags may only confirm.
    /// </summary>
    (int Size, int Channels) ImageShape(ParseResult p, string datasetName, ModelKind kind)
    {
        if (datasetName == FolderName)
        {
            int size = p.GetValue(imageSize) ?? 64, c = p.GetValue(channels) ?? 3;
            if (kind == ModelKind.Dcgan && !DcganPresets.Supports(size))
                throw new UsageException($"train: --image-size must be {string.Join(", ", DcganPresets.ImageSizes)} for --model dcgan, got {size}");
            if (size > 1024) throw new UsageException($"train: --image-size must be at most 1024, got {size}");
            if (c is not (1 or 3)) throw new UsageException($"train: --channels must be 1 or 3, got {c}");
            return (size, c);
        }
        if (p.GetValue(imageSize) is { } s && s != 28)
            throw new UsageException($"train: --image-size {s} needs --dataset folder ({datasetName} images are 28×28)");
        if (p.GetValue(channels) is { } ch && ch != 1)
            throw new UsageException($"train: --channels {ch} needs --dataset folder ({datasetName} images are grayscale)");
        return (28, 1);
    }

    /// <summary>The --dataset name of a folder of images (<see cref="FolderDataset"/>).</summary>
    public const string FolderName = "folder";

    /// <summary>
    /// A folder dataset through its shared cache: one uint8 file per (folder, size, channels) under
    /// the download cache root, folders/&lt;hash of the folder's full path&gt;/folder-S-C.u8, so a second
    /// run on the same folder starts in seconds (the cache checks the folder's fingerprint).
    /// </summary>
    static MnistData LoadFolder(string? dir, GanConfig config, ILogger log)
    {
        if (dir is null) throw new UsageException("train: --dataset folder needs --data DIR, the folder of images");
        if (!Directory.Exists(dir)) throw new GanException($"data folder {dir} does not exist");
        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16];
        string cacheDir = Path.Combine(DatasetDownloadOptions.DefaultCacheRoot(), "folders", hash);
        Directory.CreateDirectory(cacheDir);
        var load = FolderDataset.Load(full, Path.Combine(cacheDir, FolderDataset.CacheFileName(config.ImageSize, config.Channels)), config.ImageSize, config.Channels, log);
        return load.Data;
    }

    /// <summary>A resumed run: its config.json, with the options that may change between sessions.</summary>
    RunInfo Resumed(ParseResult p, string runDir)
    {
        string configPath = new RunFolder(runDir).Config;
        foreach (var o in RunDefining.Where(p.Given))
            throw new UsageException($"train: {o.Name} cannot change when resuming; it is fixed by {configPath}");
        if (File.Exists(runDir)) throw new GanException($"cannot resume: {runDir} is a file, not a run folder");
        if (!Directory.Exists(runDir)) throw new GanException($"cannot resume: {runDir} does not exist");
        // What config.json says is data, not a command line: RunInfo.Load names the file and key (exit 1).
        var saved = RunInfo.Load(runDir);
        return saved with
        {
            Steps = p.Given(steps) ? p.GetValue(steps) : saved.Steps,
            Device = p.Given(device) ? p.GetValue(device)!.ToString() : saved.Device,
            DataDir = p.GetValue(data) ?? saved.DataDir,
            SampleEvery = p.Given(sampleEvery) ? p.GetValue(sampleEvery) : saved.SampleEvery,
            CheckpointEvery = p.Given(checkpointEvery) ? p.GetValue(checkpointEvery) : saved.CheckpointEvery,
            LogEvery = p.Given(logEvery) ? p.GetValue(logEvery) : saved.LogEvery,
            EvalEvery = p.Given(evalEvery) ? p.GetValue(evalEvery) : saved.EvalEvery,
            EvalSamples = p.GetValue(evalSamples) ?? saved.EvalSamples,
        };
    }

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("train");
        // From the first moment: a signal during start-up (data, device) also ends the run cleanly.
        using var stop = new StopSignal();
        TimeSpan? limit = p.GetValue(maxTime) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        RunInfo run;
        string runDir;
        bool resuming = p.GetValue(resume) is not null;
        if (resuming)
        {
            runDir = p.GetValue(resume)!;
            run = Resumed(p, runDir);
        }
        else
        {
            string name = p.GetValue(dataset)!;
            bool mixture = Mixture2D.IsMixture(name);
            if (!mixture && name != FolderName) name = DatasetCatalog.Get(name).Name;
            var config = NewConfig(p, name, mixture);
            config.Validate();   // its errors name the flags (ErrorReport)
            runDir = p.GetValue(output) ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
            RequireFolderPath(runDir);
            // A 400,000-step preset run samples, checkpoints and logs less often unless told otherwise.
            bool pac = config.Preset == GanPreset.PacGan;
            int Every(Option<int> o, int presetValue) => pac && !p.Given(o) ? presetValue : p.GetValue(o);
            run = new RunInfo
            {
                Config = config,
                Steps = pac && !p.Given(steps) ? PacGanPreset.Steps : p.GetValue(steps),
                Device = p.GetValue(device)!.ToString(),
                DataDir = p.GetValue(data),
                SampleEvery = Every(sampleEvery, 20_000),
                CheckpointEvery = Every(checkpointEvery, 10_000),
                LogEvery = Every(logEvery, 100),
                EvalEvery = p.GetValue(evalEvery),
                EvalSamples = p.GetValue(evalSamples) ?? (mixture ? TrainingLoop.ScatterSamples : 5000),
            };
            if (File.Exists(new RunFolder(runDir).Config))
                throw new GanException($"{runDir} already holds a run; continue it with --resume {runDir} or choose another --out");
        }
        bool is2D = Mixture2D.IsMixture(run.Config.Dataset), folder = run.Config.Dataset == FolderName;
        if (folder && run.EvalEvery > 0)
            throw new UsageException("train: --eval-every needs mnist or fashion-mnist (its metrics use their classifier); a folder dataset has none");
        log.LogDebug("config: {Config}", JsonSerializer.Serialize(run, GanConfig.Json).ReplaceLineEndings(" "));

        using var backend = DeviceCatalog.Open(DeviceSpec.Parse(run.Device), m => log.LogInformation("{Message}", m));
        log.LogInformation("device: {Device}", backend.Description);
        if (stop.Requested) return InterruptedAtStartUp(stop, log);
        MnistData? images = null;
        var splits = is2D ? null
            : folder ? new DatasetSplits(FolderName, isTrain => isTrain ? LoadFolder(run.DataDir, run.Config, log) : throw new GanException("a folder dataset has no test split"))
            : new DatasetSplits(run.Config.Dataset, run.DataDir, log);   // one read per split, shared with the evaluator
        if (is2D && run.Config.TrainingSet > 0) log.LogInformation("data: {Dataset}, a fixed training set of {Count:N0} samples drawn from the seed", run.Config.Dataset, run.Config.TrainingSet);
        else if (is2D) log.LogInformation("data: {Dataset}, sampled on the fly", run.Config.Dataset);
        else
        {
            images = splits!.Train;
            log.LogInformation("data: {Count} {Dataset} training images of {Channels}x{Rows}x{Cols}", images.Count, run.Config.Dataset, images.Channels, images.Rows, images.Cols);
        }
        if (stop.Requested) return InterruptedAtStartUp(stop, log);
        using IRunEvaluator? evaluator = run.EvalEvery <= 0 ? null
            : is2D ? new MixtureRunEvaluator(run.EvalSamples)
            : ImageRunEvaluator.Create(backend, splits!, run.EvalSamples, log);
        if (stop.Requested) return InterruptedAtStartUp(stop, log);

        // A new run's folder exists only once a step has run: any failure or signal before the first
        // step takes back what this session put there (a resumed run's folder is never touched).
        var leftovers = resuming ? null : NewFolderLeftovers.Before(runDir);
        if (!resuming) PrepareNewRunFolder(runDir);
        GanTrainer? trainer = null;
        long start = 0;
        try
        {
            if (Checkpoint.RemoveStaleTemps(runDir) is { Count: > 0 } stale) log.LogInformation("removed {N} temporary file(s) left by a killed run: {Paths}", stale.Count, string.Join(", ", stale.Select(Path.GetFileName)));
            trainer = is2D
                ? new GanTrainer(backend, run.Config, null, 0, 2)
                : new GanTrainer(backend, run.Config, images!.Pixels, images.Count, images.ImageSize, images.HasLabels ? images.Labels : null);
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
            if (stop.Requested) return InterruptedAtStartUp(stop, log);
            try
            {
                using var progress = ProgressDisplay.Create(ProgressDisplay.StderrIsTerminal(), log);   // ends a live line even on an error
                var loop = new TrainingLoop(trainer, evaluator, run, runDir, log, progress, stop, limit, images?.Rows ?? 28, images?.Cols ?? 28, images?.Channels ?? 1);
                return loop.Run(start) == RunOutcome.Interrupted ? stop.ExitCode : 0;
            }
            finally
            {
                // The report and the timeline are conveniences: failing to write them must not hide how
                // training ended (finished, interrupted, or failed). A new run without a step gets none.
                if (resuming || trainer.Step > start)
                {
                    try { RunReport.Write(runDir, log); }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or GanException)
                    {
                        log.LogWarning("could not write {Dir}/report.html: {Message}", runDir, e.Message);
                    }
                    if (!is2D) WriteTimeline(runDir, log);   // 2D runs plot SVG scatters: no frames to animate
                }
            }
        }
        finally
        {
            if (leftovers is not null && (trainer is null || trainer.Step == start)) leftovers.Remove();
            trainer?.Dispose();
        }
    }

    /// <summary>Stopped by a signal before the first step: nothing was written, and the exit code says which signal.</summary>
    static int InterruptedAtStartUp(StopSignal stop, ILogger log)
    {
        log.LogWarning("interrupted ({Signal}) during start-up; nothing saved", stop.RequestedBy);
        return stop.ExitCode;
    }

    /// <summary>--out must name a folder (or where one can be made): not a file, nor a path through one.</summary>
    static void RequireFolderPath(string runDir)
    {
        for (var at = Path.GetFullPath(runDir); !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
        {
            if (!File.Exists(at)) continue;
            throw new GanException(at == Path.GetFullPath(runDir)
                ? $"cannot use --out {runDir}: it is a file, not a folder"
                : $"cannot use --out {runDir}: {at} is a file, not a folder");
        }
    }

    static void PrepareNewRunFolder(string runDir)
    {
        try
        {
            Directory.CreateDirectory(new RunFolder(runDir).Samples);
            var probe = Path.Combine(runDir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot write to --out {runDir}: {e.Message}");
        }
    }

    static void WriteTimeline(string runDir, ILogger log)
    {
        try
        {
            if (Timeline.Write(new RunFolder(runDir).Samples) is { } path)
                log.LogInformation("timeline of the sample grids: {Path}", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SixLabors.ImageSharp.ImageFormatException)
        {
            log.LogWarning("could not write {Dir}/samples/{File}: {Message}", runDir, Timeline.FileName, e.Message);
        }
    }
}
