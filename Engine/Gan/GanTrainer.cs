using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// One training step of a GAN, in the order of PyTorch's DCGAN example, generalised to the
/// notebook's heuristics:
/// D, <see cref="GanConfig.DSteps"/> times, each on a fresh real batch and fresh z:
/// fake = G(z) (G in training mode); loss term on D(real) + loss term on D(fake.detach())
/// (+ WGAN-GP's penalty); optimizer step on D (+ WGAN's weight clipping).
/// G: its loss term on D(fake) of the last D iteration's fake, through the updated D, D's
/// weights untouched; optimizer step on G.
/// Everything is allocated in the constructor; a step only launches kernels and never reads back:
/// the losses stay on the device until <see cref="ReadStats"/>.
/// When D has no BatchNorm (the seed D has none), its rows are independent, so D runs on real and
/// fake as one batch of 2B rows: the same math (the weight gradient sums the same terms) in half
/// the launches, and GEMMs twice as tall.
/// </summary>
public sealed class GanTrainer : IDisposable
{
    const int GridColumns = 8;
    /// <summary>
    /// The stats slot that holds the first non-finite step (set once on the device; see
    /// <see cref="NonFiniteFlag"/>), after the losses' eight (D real, D fake, G, penalty: two each).
    /// </summary>
    const int DivergenceSlot = 8, StatsLength = DivergenceSlot + 1;

    readonly IBackend b;
    readonly List<IDisposable> owned = [];
    readonly DeviceBuffer<byte> data;
    readonly DeviceBuffer<int> order;
    // The step's moving offsets, kept on the device so that no kernel argument changes from step to
    // step (a captured CUDA graph freezes arguments): slot 0 counts D updates since dUpdatesBase,
    // slot 1 the batch within the epoch. Written from the host with the epoch's order (Shuffle),
    // advanced by the device after each D update.
    readonly DeviceBuffer<ulong> counters;
    const int UpdatesSlot = 0, BatchSlot = 1;
    long dUpdatesBase;
    ulong noiseBase;
    readonly DeviceBuffer<int>? labels;
    readonly Tensor real, z, fixedZ, dLogits, stats;
    /// <summary>[real; fake] as D's input rows when D runs both in one pass; default otherwise.</summary>
    readonly Tensor both;
    readonly bool joint;
    readonly int[] permutation;
    bool gathered;   // this D update's real batch came from the device's dataset (slot 1 moves)
    readonly int count, dim, batchesPerEpoch;
    readonly float[] statsHost = new float[StatsLength];
    readonly Mixture2D? mixture;
    readonly float[] mixtureHost = [];
    /// <summary>A 2D run's fixed training set (x, y pairs), or null when samples are drawn per batch.</summary>
    readonly float[]? trainingSet;
    readonly LossTerms terms;
    readonly GradientPenalty? penalty;
    readonly ConditionalInput? gInput, gridInput, dReal, dFake;
    readonly Tensor fakeGrad;

    /// <param name="pixels">Image bytes [imageCount, imageSize]; null for the 2D mixtures, whose
    /// samples are drawn on the fly (then imageCount is ignored and imageSize is 2).</param>
    /// <param name="classLabels">Class of each image; needed by conditional runs.</param>
    public GanTrainer(IBackend backend, GanConfig config, byte[]? pixels, int imageCount, int imageSize, byte[]? classLabels = null)
    {
        Validate(config, pixels is null, classLabels);
        if (pixels is null)
        {
            mixture = Mixture2D.Get(config.Dataset);
            imageCount = config.TrainingSet > 0 ? config.TrainingSet : config.Batch;
            mixtureHost = new float[config.Batch * imageSize];
            if (config.TrainingSet > 0)
            {
                trainingSet = new float[(long)config.TrainingSet * imageSize];
                mixture.Fill(trainingSet, config.TrainingSet, config.Seed, 0, RngStreams.TrainingSet);
            }
        }
        if (imageCount < config.Batch) throw new GanException($"the dataset has {imageCount} images, fewer than one batch of {config.Batch}");
        b = backend;
        Config = config;
        terms = GanLosses.Terms(config);
        count = imageCount;
        dim = imageSize;
        batchesPerEpoch = count / config.Batch;   // drop_last, as a DataLoader with drop_last=True
        int n = config.Batch, classes = config.Conditional ? config.Classes : 0;
        GridCount = config.Conditional ? classes * GridColumns : 64;
        bool conv = config.Model == ModelKind.Dcgan;
        if (conv && dim != config.Channels * config.ImageSize * config.ImageSize)
            throw new GanException($"the dcgan model makes {config.Channels}×{config.ImageSize}×{config.ImageSize} images; the dataset's are {dim} values each");
        // A conv D's class block is one-hot maps, one H·W plane per class (extra input channels); with
        // packing, a D row holds pack samples: pack·(C + classes) channels in NCHW, the same memory.
        // WGAN-GP's penalty is per sample, so its critic has no BatchNorm (GradientPenalty.Check).
        int plane = conv ? config.ImageSize * config.ImageSize : 1, packed = (dim + classes * plane) * config.Pack;
        var dSpec = conv ? DcganPresets.Discriminator(config.ImageSize, (config.Channels + classes) * config.Pack, batchNorm: config.Loss != GanLoss.WganGp)
            : mixture is null ? Presets.Discriminator(packed)
            : config.Preset == GanPreset.PacGan ? PacGanPreset.Discriminator(packed)
            : Presets.Discriminator2D(packed);
        // BatchNorm couples the rows of a batch: D with BatchNorm must see real and fake apart.
        joint = !config.Conditional && !dSpec.Any(s => s is BatchNorm1dSpec or BatchNorm2dSpec);
        try
        {
            int gIn = config.Latent + classes;
            var gSpec = conv ? DcganPresets.Generator(gIn, config.ImageSize, config.Channels) : Presets.Generator(config.Generator, gIn, dim, (float)config.BnMomentum, config.GBatchNormGroups);
            G = Own(new Sequential(b, gSpec, gIn, Math.Max(n, GridCount), RngStreams.GeneratorInit(config.Seed), init: config.WeightInit));
            D = Own(new Sequential(b, dSpec, packed, (joint ? 2 : 1) * n / config.Pack, RngStreams.DiscriminatorInit(config.Seed),
                conv ? ((config.Channels + classes) * config.Pack, config.ImageSize, config.ImageSize) : null, config.WeightInit));
            // The batch sizes a step and the grid use, prepared now so that no step allocates.
            G.PrepareBatch(n);
            G.PrepareBatch(GridCount);
            D.PrepareBatch(n / config.Pack);
            OptG = Own(Optimizers.Create(config.Optimizer, b, G, Settings(config, config.GLr ?? config.Lr)));
            OptD = Own(Optimizers.Create(config.Optimizer, b, D, Settings(config, config.DLr ?? config.Lr)));
            if (config.Loss == GanLoss.WganGp) penalty = Own(new GradientPenalty(b, D, n / config.Pack, config.GpLambda));
            data = Own(b.Allocate<byte>((long)count * dim));
            order = Own(b.Allocate<int>(count));
            counters = Own(b.Allocate<ulong>(2));
            var work = Own(b.Allocate<float>((long)n * dim * 3 + (long)n * config.Latent + (long)GridCount * config.Latent + 2L * n + StatsLength));
            long at = 0;
            Tensor Take(long len) { var t = Tensor.Whole(work).Slice(at, (int)len); at += len; return t; }
            // real and the fake copy are adjacent: the joint D pass reads them as one [2B, in] input.
            both = Take(2L * n * dim);
            real = both.Slice(0, n * dim);
            fakeGrad = Take((long)n * dim);
            z = Take((long)n * config.Latent);
            fixedZ = Take((long)GridCount * config.Latent);
            dLogits = Take(2L * n);
            stats = Take(StatsLength);
            if (config.Conditional)
            {
                labels = Own(b.Allocate<int>(count));
                labels.CopyFromHost(classLabels!.Take(count).Select(l => (int)l).ToArray(), 0);
                gInput = Own(new ConditionalInput(b, config.Latent, classes, Math.Max(n, GridCount)));
                gridInput = Own(new ConditionalInput(b, config.Latent, classes, GridCount));
                dReal = Own(new ConditionalInput(b, dim, classes, n, plane));
                dFake = Own(new ConditionalInput(b, dim, classes, n, plane));
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        if (pixels is not null) data.CopyFromHost(pixels.AsSpan(0, count * dim), 0);
        permutation = new int[count];
        PrepareFixedGrid();
        Shuffle();
    }

    T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }

    static OptimizerSettings Settings(GanConfig c, double lr) => new()
    {
        Lr = lr, Beta1 = c.Beta1, Beta2 = c.Beta2, Alpha = c.Alpha, Momentum = c.Momentum,
    };

    /// <summary>The config's own rules (<see cref="GanConfig.Validate"/>), then whether the data fits it.</summary>
    static void Validate(GanConfig c, bool is2D, byte[]? classLabels)
    {
        c.Validate();
        if (is2D != Mixture2D.IsMixture(c.Dataset))
            throw new GanConfigException(nameof(GanConfig.Dataset), is2D ? "must be a 2D mixture when no images are given" : "is a 2D mixture, which takes no images", c.Dataset);
        if (c.Conditional && classLabels is null) throw new GanException("a conditional run needs the dataset's labels");
    }

    public GanConfig Config { get; }
    public Sequential G { get; }
    public Sequential D { get; }
    public IOptimizer OptG { get; }
    public IOptimizer OptD { get; }

    /// <summary>Images in the fixed-z grid: 8×8, or one row of 8 per class for conditional runs.</summary>
    public int GridCount { get; }
    public int GridColumnCount => GridColumns;

    /// <summary>Completed training steps (G updates).</summary>
    public long Step { get; private set; }

    /// <summary>Completed D updates: <see cref="GanConfig.DSteps"/> per step.</summary>
    public long DUpdates { get; private set; }

    /// <summary>Philox counter of the next z draw.</summary>
    public ulong NoiseCounter { get; private set; }

    public int Epoch { get; private set; }

    /// <summary>Index of the next batch within the epoch.</summary>
    public int BatchInEpoch { get; private set; }

    public int BatchesPerEpoch => batchesPerEpoch;

    /// <summary>Sets the data and noise position (on resume) and rebuilds that epoch's order.</summary>
    public void Restore(long step, long dUpdates, ulong noiseCounter, int epoch, int batchInEpoch)
    {
        Step = step;
        DUpdates = dUpdates;
        NoiseCounter = noiseCounter;
        dUpdatesBase = dUpdates;
        noiseBase = noiseCounter;
        Epoch = epoch;
        BatchInEpoch = batchInEpoch;
        Shuffle();
    }

    void Shuffle()
    {
        EpochShuffle.Fill(permutation, Config.Seed, RngStreams.Shuffle, Epoch);
        order.CopyFromHost(permutation, 0);
        // The device's counters restart from the host's position whenever the order does.
        counters.CopyFromHost([(ulong)(DUpdates - dUpdatesBase), (ulong)BatchInEpoch], 0);
    }

    /// <summary>Philox (seed, stream) at <paramref name="perUpdate"/> draws per D update, from the device's count.</summary>
    PhiloxCounter PerUpdate(uint stream, ulong @base, int perUpdate) =>
        new(Config.Seed, stream, @base, new(counters, UpdatesSlot, (ulong)perUpdate));

    /// <summary>The grid's z: 64 draws, or for conditional runs 8 draws repeated on every class row.</summary>
    void PrepareFixedGrid()
    {
        int latent = Config.Latent;
        if (gridInput is null)
        {
            b.RandomNormal(fixedZ, new(Config.Seed, RngStreams.FixedGrid, 0));
            return;
        }
        var firstRow = fixedZ.Slice(0, GridColumns * latent);
        b.RandomNormal(firstRow, new(Config.Seed, RngStreams.FixedGrid, 0));
        for (int row = 1; row < Config.Classes; row++)
            b.Copy(firstRow, fixedZ.Slice((long)row * GridColumns * latent, GridColumns * latent));
        gridInput.SetFeatures(fixedZ, GridCount);
        gridInput.SetClasses(Enumerable.Range(0, GridCount).Select(i => i / GridColumns).ToArray());
    }

    /// <summary>
    /// One step: <see cref="GanConfig.DSteps"/> D updates, then one G update. The optional real
    /// batch and noise (tests that feed fixed inputs, such as the PyTorch golden test) need DSteps 1.
    /// </summary>
    public void TrainStep(ReadOnlySpan<float> realBatch = default, ReadOnlySpan<float> noise = default)
    {
        if ((!realBatch.IsEmpty || !noise.IsEmpty) && Config.DSteps != 1)
            throw new InvalidOperationException("fixed inputs are only supported with one D step per step");
        Tensor fake = default;
        if (Config.Updates == GanUpdates.Simultaneous)
        {
            // Both gradients at the step's starting weights: D's update waits until G's gradient has
            // gone through the same D, on the same fakes.
            fake = DiscriminatorGradients(realBatch, noise);
            GeneratorStep(fake);
            ApplyDiscriminatorUpdate();
        }
        else
        {
            for (int i = 0; i < Config.DSteps; i++)
            {
                fake = DiscriminatorGradients(realBatch, noise);
                ApplyDiscriminatorUpdate();
            }
            if (Config.FreshGeneratorZ) fake = FreshFake(noise);
            GeneratorStep(fake);
        }
        Step++;
        // Every step, without a read-back: a non-finite loss marks the D updates done so far (read on
        // the device, so the launch's arguments stay the same every step) in the stats' divergence
        // slot, first one only; the next read-back turns it into the step.
        b.MarkNonFinite(stats.Slice(0, DivergenceSlot), new(stats, DivergenceSlot, Mark(dUpdatesBase), new(counters, UpdatesSlot, 1)));
    }

    /// <summary>A divergence mark: D updates done (nonzero once a step has run).</summary>
    static int Mark(long dUpdates) => (int)Math.Clamp(dUpdates, 0, int.MaxValue);

    /// <summary>
    /// Checks every value a checkpoint would hold (G's and D's parameters and running statistics,
    /// both optimizers' state) on the device, one launch per flat buffer, then reads the divergence
    /// slot back; throws <see cref="TrainingDivergedException"/> with the first step a loss or any
    /// of those values stopped being finite. Call before writing anything derived from the weights.
    /// </summary>
    public void RequireFinite()
    {
        var flag = new NonFiniteFlag(stats, DivergenceSlot, Math.Max(1, Mark(DUpdates)));
        foreach (var model in new[] { G, D })
        {
            b.MarkNonFinite(model.Parameters, flag);
            foreach (var layer in model.Layers)
                foreach (var slot in layer.Slots)
                    if (slot.Kind == SlotKind.Buffer) b.MarkNonFinite(slot.Value, flag);
        }
        foreach (var state in OptG.StateTensors.Concat(OptD.StateTensors)) b.MarkNonFinite(state, flag);
        if (ReadDivergence() is { } step)
            throw new TrainingDivergedException(step, $"a loss, weight or optimizer value is NaN or infinite; nothing is saved after the last good checkpoint");
    }

    /// <summary>
    /// The first step whose losses (or, after <see cref="RequireFinite"/>, whose weights) were not
    /// finite, or null: as of the last <see cref="ReadStats"/> or <see cref="RequireFinite"/>.
    /// </summary>
    public long? DivergedAt { get; private set; }

    long? ReadDivergence()
    {
        stats.CopyTo(statsHost);
        int mark = FiniteKernels.ReadMark(statsHost[DivergenceSlot]);
        // DSteps D updates a step: the step in which the marked update count was reached.
        return DivergedAt = mark == 0 ? null : (mark + Config.DSteps - 1) / Config.DSteps;
    }

    /// <summary>D's loss and parameter gradients on a real batch and fresh fakes; returns D's view of the fakes.</summary>
    Tensor DiscriminatorGradients(ReadOnlySpan<float> realBatch, ReadOnlySpan<float> noise)
    {
        int n = Config.Batch;
        // With packing, D sees n/pack rows of pack samples side by side: the same memory, reshaped.
        int nd = n / Config.Pack;
        float scale = 1f / nd;
        var realInput = NextRealBatch(realBatch);
        var gIn = NextNoise(noise);
        var fake = G.Forward(gIn, n, training: true);
        var fakeInput = fake;
        if (dFake is not null)
        {
            dFake.SetFeatures(fake, n);
            dFake.SetRandomClasses(n, PerUpdate(RngStreams.Labels, (ulong)dUpdatesBase * (ulong)n, n));
            fakeInput = dFake.Rows(n);
        }

        if (joint)
        {
            var fakeRows = both.Slice((long)n * dim, n * dim);
            b.Copy(fake, fakeRows);
            fakeInput = fakeRows;
            var outBoth = D.Forward(both, 2 * nd, training: true);
            b.AdversarialLoss(outBoth.Slice(0, nd), terms.Kind, terms.RealTarget, new(dLogits.Slice(0, nd), scale, stats, 0));
            b.AdversarialLoss(outBoth.Slice(nd, nd), terms.Kind, terms.FakeTarget, new(dLogits.Slice(nd, nd), scale, stats, 2));
            D.Backward(dLogits.Slice(0, 2 * nd), paramGrads: true, accumulate: false, inputGrad: false);
        }
        else
        {
            var outReal = D.Forward(realInput, nd, training: true);
            b.AdversarialLoss(outReal, terms.Kind, terms.RealTarget, new(dLogits, scale, stats, 0));
            D.Backward(dLogits, paramGrads: true, accumulate: false, inputGrad: false);
            var outFake = D.Forward(fakeInput, nd, training: true);
            b.AdversarialLoss(outFake, terms.Kind, terms.FakeTarget, new(dLogits, scale, stats, 2));
            D.Backward(dLogits, paramGrads: true, accumulate: true, inputGrad: false);
        }
        // Conditional runs interpolate whole D inputs, class blocks included (real and fake rows carry
        // different classes), so the penalty also constrains D's gradient along the label inputs.
        penalty?.Accumulate(realInput, fakeInput, nd, PerUpdate(RngStreams.PenaltyMix, (ulong)dUpdatesBase * (ulong)nd, nd), stats, 6);
        return fakeInput;
    }

    /// <summary>Applies D's gradients and counts the update (the counters that number the next update's draws).</summary>
    void ApplyDiscriminatorUpdate()
    {
        OptD.Step();
        if (Config.Loss == GanLoss.Wgan) b.Clamp(D.Parameters, -Config.Clip, Config.Clip);
        DUpdates++;
        b.Increment(counters, gathered ? 2 : 1);
    }

    /// <summary>
    /// G on its own z (stream <see cref="RngStreams.GeneratorNoise"/>, counted by the D updates done, so
    /// it never repeats a D update's z): the fakes of G's update when <see cref="GanConfig.FreshGeneratorZ"/>.
    /// Fixed test noise, when given, is reused.
    /// </summary>
    Tensor FreshFake(ReadOnlySpan<float> noise)
    {
        int n = Config.Batch, perUpdate = n * Config.Latent;
        if (!noise.IsEmpty) z.CopyFrom(noise);
        else b.RandomNormal(z, new(Config.Seed, RngStreams.GeneratorNoise, (ulong)dUpdatesBase * (ulong)perUpdate, new(counters, UpdatesSlot, (ulong)perUpdate)));
        return G.Forward(z, n, training: true);
    }

    /// <summary>G's loss through the updated D, without touching D's weights or gradients.</summary>
    void GeneratorStep(Tensor fakeInput)
    {
        int n = Config.Batch, nd = n / Config.Pack;
        var outFake = D.Forward(fakeInput, nd, training: true);
        b.AdversarialLoss(outFake, terms.GeneratorKind, terms.GeneratorTarget, new(dLogits, 1f / nd, stats, 4));
        var dInput = D.Backward(dLogits, paramGrads: false, accumulate: false, inputGrad: true)!.Value;
        if (dFake is not null)
        {
            // Only the image columns lead back to G; the class block is an input, not a sample.
            b.CopyColumns(new(dInput, dFake.Width, 0), new(fakeGrad, dim, 0), new(n, dim));
            dInput = fakeGrad.Slice(0, n * dim);
        }
        G.Backward(dInput, paramGrads: true, accumulate: false, inputGrad: false);
        OptG.Step();
    }

    /// <summary>The next real batch as D's input (with its one-hot labels for conditional runs).</summary>
    Tensor NextRealBatch(ReadOnlySpan<float> given)
    {
        int n = Config.Batch;
        int indexOffset = BatchInEpoch * n;
        // Batch row r is item order[n·(batch in epoch) + r], the batch counted on the device.
        var batch = new BatchIndices(order, 0, new(counters, BatchSlot, (ulong)n));
        gathered = given.IsEmpty && mixture is null;
        if (!given.IsEmpty) real.CopyFrom(given);
        else if (trainingSet is not null)
        {
            NextEpochIfDone();
            // The fixed set lives on the host: its rows of this batch, in the epoch's order.
            int first = BatchInEpoch * n;
            for (int r = 0; r < n; r++)
                trainingSet.AsSpan(permutation[first + r] * dim, dim).CopyTo(mixtureHost.AsSpan(r * dim, dim));
            real.CopyFrom(mixtureHost);
            BatchInEpoch++;
        }
        else if (mixture is not null)
        {
            mixture.Fill(mixtureHost, n, Config.Seed, DUpdates * n);
            real.CopyFrom(mixtureHost);
        }
        else
        {
            NextEpochIfDone();
            b.GatherRows(data, batch, new(n, dim), real);
            BatchInEpoch++;
        }
        if (dReal is null) return real;
        dReal.SetFeatures(real, n);
        dReal.SetLabels(labels!, gathered ? batch : new(order, indexOffset), n);
        return dReal.Rows(n);
    }

    void NextEpochIfDone()
    {
        if (BatchInEpoch < batchesPerEpoch) return;
        Epoch++;
        BatchInEpoch = 0;
        Shuffle();
    }

    /// <summary>Fresh z as G's input (with random one-hot classes for conditional runs).</summary>
    Tensor NextNoise(ReadOnlySpan<float> given)
    {
        int n = Config.Batch;
        if (!given.IsEmpty) z.CopyFrom(given);
        else b.RandomNormal(z, PerUpdate(RngStreams.Noise, noiseBase, n * Config.Latent));
        NoiseCounter += (ulong)(n * Config.Latent);
        if (gInput is null) return z;
        gInput.SetFeatures(z, n);
        gInput.SetRandomClasses(n, PerUpdate(RngStreams.Labels, (ulong)dUpdatesBase * (ulong)n, n));
        return gInput.Rows(n);
    }

    /// <summary>Waits for the device and reads the last step's losses and D outputs.</summary>
    public StepStats ReadStats()
    {
        ReadDivergence();
        return new StepStats(statsHost[0] + statsHost[2] + statsHost[6], statsHost[4], statsHost[1], statsHost[3], statsHost[5], statsHost[6]);
    }

    /// <summary>G (in eval mode) on the run's fixed z: <see cref="GridCount"/> images, comparable across steps.</summary>
    public float[] SampleFixedGrid()
    {
        var input = gridInput is null ? fixedZ : gridInput.Rows(GridCount);
        return G.Forward(input, GridCount, training: false).ToArray();
    }

    /// <summary>
    /// count samples of G in eval mode from z = Philox(seed, stream), in chunks of the batch;
    /// conditional runs draw class i mod classes for sample i, or <paramref name="fixedClass"/>.
    /// </summary>
    public float[] Sample(int count, ulong seed, uint stream = RngStreams.Sample, int fixedClass = -1)
    {
        var result = new float[(long)count * dim];
        int chunk = Config.Batch;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var zc = z.Slice(0, n * Config.Latent);
            b.RandomNormal(zc, new(seed, stream, (ulong)start * (ulong)Config.Latent));
            var input = zc;
            if (gInput is not null)
            {
                gInput.SetFeatures(zc, n);
                gInput.SetClasses(Enumerable.Range(start, n).Select(i => ConditionalInput.ClassOf(i, Config.Classes, fixedClass)).ToArray());
                input = gInput.Rows(n);
            }
            G.Forward(input, n, training: false).CopyTo(result.AsSpan(start * dim, n * dim));
        }
        return result;
    }

    public Mixture2D? Mixture => mixture;

    public void Dispose()
    {
        foreach (var o in owned) o.Dispose();
        owned.Clear();
    }
}
