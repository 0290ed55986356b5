using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// The seed GAN's training step, in the order of PyTorch's DCGAN example:
/// D: fake = G(z) (G in training mode); BCE(D(real), real label) + BCE(D(fake.detach()), fake
/// label); Adam on D. G: the non-saturating loss BCE(D(fake), 1) through the updated D, D's
/// weights untouched; Adam on G.
/// Everything is allocated in the constructor; a step only launches kernels and never reads back:
/// the losses stay on the device until <see cref="ReadStats"/>.
/// </summary>
public sealed class GanTrainer : IDisposable
{
    public const int GridSamples = 64;

    readonly IBackend b;
    readonly DeviceBuffer<byte> data;
    readonly DeviceBuffer<int> order;
    readonly DeviceBuffer<float> work;
    readonly Tensor real, z, fixedZ, dLogits, stats;
    readonly int[] permutation;
    readonly int count, dim, batchesPerEpoch;
    readonly float[] statsHost = new float[6];
    readonly Mixture2D? mixture;
    readonly float[] mixtureHost = [];

    /// <param name="pixels">Image bytes [imageCount, imageSize]; null for the 2D mixtures, whose
    /// samples are drawn on the fly (then imageCount is ignored and imageSize is 2).</param>
    public GanTrainer(IBackend backend, GanConfig config, byte[]? pixels, int imageCount, int imageSize)
    {
        if (config.Batch < 2) throw new UsageException("--batch must be at least 2 (BatchNorm needs two samples)");
        if (config.Pack < 1 || config.Batch % config.Pack != 0 || config.Batch / config.Pack < 1)
            throw new UsageException($"--pack must divide --batch ({config.Batch}), got {config.Pack}");
        if (pixels is null)
        {
            mixture = Mixture2D.Get(config.Dataset);
            imageCount = config.Batch;
            mixtureHost = new float[config.Batch * imageSize];
        }
        if (imageCount < config.Batch) throw new GanException($"the dataset has {imageCount} images, fewer than one batch of {config.Batch}");
        b = backend;
        Config = config;
        count = imageCount;
        dim = imageSize;
        batchesPerEpoch = count / config.Batch;   // drop_last, as a DataLoader with drop_last=True
        var owned = new List<IDisposable>();
        try
        {
            G = Own(new Sequential(b, Presets.Generator(config.Generator, config.Latent, dim), config.Latent,
                Math.Max(config.Batch, GridSamples), RngStreams.GeneratorInit(config.Seed)));
            int packed = dim * config.Pack;
            D = Own(new Sequential(b, mixture is null ? Presets.Discriminator(packed) : Presets.Discriminator2D(packed), packed,
                config.Batch / config.Pack, RngStreams.DiscriminatorInit(config.Seed)));
            OptG = Own(new Adam(b, G, config.Lr, config.Beta1, config.Beta2));
            OptD = Own(new Adam(b, D, config.Lr, config.Beta1, config.Beta2));
            data = Own(b.Allocate<byte>((long)count * dim));
            order = Own(b.Allocate<int>(count));
            int zLen = config.Batch * config.Latent, gridLen = GridSamples * config.Latent;
            work = Own(b.Allocate<float>((long)config.Batch * dim + zLen + gridLen + config.Batch + 8));
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }

        long at = 0;
        Tensor Take(int n) { var t = Tensor.Whole(work).Slice(at, n); at += n; return t; }
        real = Take(config.Batch * dim);
        z = Take(config.Batch * config.Latent);
        fixedZ = Take(GridSamples * config.Latent);
        dLogits = Take(config.Batch);
        stats = Take(8);

        if (pixels is not null) data.CopyFromHost(pixels.AsSpan(0, count * dim), 0);
        permutation = new int[count];
        b.RandomNormal(fixedZ, config.Seed, RngStreams.FixedGrid, 0);
        Shuffle();
    }

    public GanConfig Config { get; }
    public Sequential G { get; }
    public Sequential D { get; }
    public Adam OptG { get; }
    public Adam OptD { get; }

    /// <summary>Completed training steps.</summary>
    public long Step { get; private set; }

    /// <summary>Philox counter of the next z draw.</summary>
    public ulong NoiseCounter { get; private set; }

    public int Epoch { get; private set; }

    /// <summary>Index of the next batch within the epoch.</summary>
    public int BatchInEpoch { get; private set; }

    public int BatchesPerEpoch => batchesPerEpoch;

    /// <summary>Sets the data and noise position (on resume) and rebuilds that epoch's order.</summary>
    public void Restore(long step, ulong noiseCounter, int epoch, int batchInEpoch)
    {
        Step = step;
        NoiseCounter = noiseCounter;
        Epoch = epoch;
        BatchInEpoch = batchInEpoch;
        Shuffle();
    }

    /// <summary>Fisher–Yates driven by Philox(seed, Shuffle, epoch): the order of an epoch is a pure function of both.</summary>
    void Shuffle()
    {
        for (int i = 0; i < count; i++) permutation[i] = i;
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(Philox.UniformDouble(Config.Seed, RngStreams.Shuffle, ((ulong)(uint)Epoch << 32) | (uint)i) * (i + 1));
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
        order.CopyFromHost(permutation, 0);
    }

    /// <summary>Optional real batch and noise, for tests that feed fixed inputs (the PyTorch golden test).</summary>
    public void TrainStep(ReadOnlySpan<float> realBatch = default, ReadOnlySpan<float> noise = default)
    {
        int n = Config.Batch;
        // With packing, D sees n/pack rows of pack samples side by side: the same memory, reshaped.
        int nd = n / Config.Pack;
        float scale = 1f / nd;
        if (!realBatch.IsEmpty) real.CopyFrom(realBatch);
        else if (mixture is not null)
        {
            mixture.Fill(mixtureHost, n, Config.Seed, Step * n);
            real.CopyFrom(mixtureHost);
        }
        else
        {
            if (BatchInEpoch == batchesPerEpoch)
            {
                Epoch++;
                BatchInEpoch = 0;
                Shuffle();
            }
            b.GatherRows(data, order, BatchInEpoch * n, n, dim, real);
        }
        if (!noise.IsEmpty) z.CopyFrom(noise);
        else b.RandomNormal(z, Config.Seed, RngStreams.Noise, NoiseCounter);
        NoiseCounter += (ulong)(n * Config.Latent);

        // ---- D step ----
        var fake = G.Forward(z, n, training: true);
        var outReal = D.Forward(real, nd, training: true);
        b.BceWithLogits(outReal, Config.RealLabel, dLogits, scale, stats, 0);
        D.Backward(dLogits, paramGrads: true, accumulate: false, inputGrad: false);
        var outFake = D.Forward(fake, nd, training: true);
        b.BceWithLogits(outFake, Config.FakeLabel, dLogits, scale, stats, 2);
        D.Backward(dLogits, paramGrads: true, accumulate: true, inputGrad: false);
        OptD.Step();

        // ---- G step: through the updated D, without touching D's weights or gradients ----
        var outFake2 = D.Forward(fake, nd, training: true);
        b.BceWithLogits(outFake2, 1f, dLogits, scale, stats, 4);
        var dFake = D.Backward(dLogits, paramGrads: false, accumulate: false, inputGrad: true)!.Value;
        G.Backward(dFake, paramGrads: true, accumulate: false, inputGrad: false);
        OptG.Step();

        BatchInEpoch++;
        Step++;
    }

    /// <summary>Waits for the device and reads the last step's losses and D outputs.</summary>
    public StepStats ReadStats()
    {
        stats.Slice(0, 6).CopyTo(statsHost);
        return new StepStats(statsHost[0] + statsHost[2], statsHost[4], statsHost[1], statsHost[3], statsHost[5]);
    }

    /// <summary>G (in eval mode) on the run's fixed z: 64 images, comparable across steps.</summary>
    public float[] SampleFixedGrid()
    {
        var images = G.Forward(fixedZ, GridSamples, training: false);
        return images.ToArray();
    }

    /// <summary>count samples of G in eval mode from z = Philox(seed, stream), in chunks of the z buffer.</summary>
    public float[] Sample(int count, ulong seed, uint stream = RngStreams.Sample)
    {
        var result = new float[(long)count * dim];
        int chunk = Config.Batch;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var zc = z.Slice(0, n * Config.Latent);
            b.RandomNormal(zc, seed, stream, (ulong)start * (ulong)Config.Latent);
            G.Forward(zc, n, training: false).CopyTo(result.AsSpan(start * dim, n * dim));
        }
        return result;
    }

    public Mixture2D? Mixture => mixture;

    public void Dispose()
    {
        G.Dispose();
        D.Dispose();
        OptG.Dispose();
        OptD.Dispose();
        data.Dispose();
        order.Dispose();
        work.Dispose();
    }
}
