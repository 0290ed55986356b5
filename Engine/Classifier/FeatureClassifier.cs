using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Classifier;

/// <summary>
/// The feature network behind the quality metrics: an MLP 784 → 512 → ReLU → 256 → ReLU → 10
/// trained by the engine itself with softmax cross-entropy and Adam. Its 256-wide penultimate
/// layer gives the features for FID and precision/recall; its softmax gives the class
/// probabilities for the Inception Score and the class histogram. Inputs are images in [-1, 1],
/// as the GAN sees and produces them.
/// </summary>
public sealed class FeatureClassifier : IDisposable
{
    public const int Classes = 10;
    public const int FeatureDim = 256;
    const int FeatureLayer = 1;   // the second (fused Linear+ReLU) layer

    readonly IBackend b;
    readonly DeviceBuffer<float> work;
    readonly Tensor input, dLogits, probs, stats;

    public static IReadOnlyList<LayerSpec> Spec(int inFeatures) =>
    [
        new LinearSpec(inFeatures, 512), ActivationSpec.ReLU,
        new LinearSpec(512, FeatureDim), ActivationSpec.ReLU,
        new LinearSpec(FeatureDim, Classes),
    ];

    public FeatureClassifier(IBackend backend, int inFeatures = 784, int maxBatch = 256, ulong seed = 0)
    {
        b = backend;
        InFeatures = inFeatures;
        Net = new Sequential(b, Spec(inFeatures), inFeatures, maxBatch, seed * 0x9E3779B97F4A7C15UL + 0x3003);
        try
        {
            work = b.Allocate<float>((long)maxBatch * (inFeatures + 2 * Classes) + 4);
        }
        catch
        {
            Net.Dispose();
            throw;
        }
        var all = Tensor.Whole(work);
        input = all.Slice(0, maxBatch * inFeatures);
        dLogits = all.Slice((long)maxBatch * inFeatures, maxBatch * Classes);
        probs = all.Slice((long)maxBatch * (inFeatures + Classes), maxBatch * Classes);
        stats = all.Slice((long)maxBatch * (inFeatures + 2 * Classes), 4);
    }

    public Sequential Net { get; }
    public int InFeatures { get; }

    /// <summary>
    /// Trains on byte images and labels; reports (epoch, loss, batch accuracy) after each epoch. The
    /// learning rate drops tenfold for the last 40 % of the epochs: without it this MLP plateaus
    /// about half a point of accuracy lower.
    /// </summary>
    public void Train(byte[] pixels, byte[] labels, int count, int epochs, int batch, double lr, ulong seed, Action<int, double, double>? epochDone = null)
    {
        if (batch > Net.MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        using var opt = new Adam(b, Net, lr);
        using var data = b.Allocate<byte>((long)count * InFeatures);
        using var labelBuf = b.Allocate<int>(count);
        using var order = b.Allocate<int>(count);
        data.CopyFromHost(pixels.AsSpan(0, count * InFeatures), 0);
        labelBuf.CopyFromHost(labels.Take(count).Select(l => (int)l).ToArray(), 0);
        var perm = new int[count];
        var statsHost = new float[2];
        int steps = count / batch;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            EpochShuffle.Fill(perm, seed, RngStreams.Classifier.Shuffle, epoch);
            order.CopyFromHost(perm, 0);
            opt.Lr = epoch < (int)Math.Ceiling(0.6 * epochs) ? lr : lr / 10;
            double loss = 0, acc = 0;
            for (int s = 0; s < steps; s++)
            {
                var x = input.Slice(0, batch * InFeatures);
                b.GatherRows(data, new(order, s * batch), new(batch, InFeatures), x);
                var logits = Net.Forward(x, batch, training: true);
                b.SoftmaxCrossEntropy(logits, labelBuf, new(order, s * batch), new(batch, Classes), new(dLogits, 1f / batch, stats, 0));
                Net.Backward(dLogits, paramGrads: true, accumulate: false, inputGrad: false);
                opt.Step();
                if (epochDone is not null && (s % 50 == 0 || s == steps - 1))
                {
                    stats.Slice(0, 2).CopyTo(statsHost);
                    loss = statsHost[0];
                    acc = statsHost[1];
                }
            }
            epochDone?.Invoke(epoch + 1, loss, acc);
        }
    }

    /// <summary>Fraction of byte images whose arg-max class equals the label.</summary>
    public double Accuracy(byte[] pixels, byte[] labels, int count)
    {
        var images = new float[(long)count * InFeatures];
        for (long i = 0; i < images.Length; i++) images[i] = Pixels.ToUnit(pixels[i]);
        var (_, p) = Embed(images, count);
        int hits = 0;
        for (int i = 0; i < count; i++)
            if (ArgMax(p.AsSpan(i * Classes, Classes)) == labels[i]) hits++;
        return (double)hits / count;
    }

    /// <summary>Features [count, 256] and class probabilities [count, 10] of images in [-1, 1].</summary>
    public (float[] Features, float[] Probs) Embed(float[] images, int count)
    {
        var features = new float[(long)count * FeatureDim];
        var p = new float[(long)count * Classes];
        for (int start = 0; start < count; start += Net.MaxBatch)
        {
            int n = Math.Min(Net.MaxBatch, count - start);
            var x = input.Slice(0, n * InFeatures);
            x.CopyFrom(images.AsSpan(start * InFeatures, n * InFeatures));
            var logits = Net.Forward(x, n, training: false);
            b.Softmax(logits, probs.Slice(0, n * Classes), new(n, Classes));
            Net.LayerOutput(FeatureLayer).CopyTo(features.AsSpan(start * FeatureDim, n * FeatureDim));
            probs.Slice(0, n * Classes).CopyTo(p.AsSpan(start * Classes, n * Classes));
        }
        return (features, p);
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int j = 1; j < v.Length; j++) if (v[j] > v[best]) best = j;
        return best;
    }

    public void Save(string path, IReadOnlyDictionary<string, string> metadata) => SafeTensors.Save(path, Net.StateDict(), metadata);

    public static FeatureClassifier Load(IBackend backend, string path, int maxBatch = 256)
    {
        var (tensors, _) = SafeTensors.Load(path);
        if (!tensors.TryGetValue("0.weight", out var w0) || w0.Shape.Length != 2)
            throw new GanException($"{path}: not a feature classifier (no 0.weight)");
        var c = new FeatureClassifier(backend, w0.Shape[1], maxBatch);
        try { c.Net.LoadStateDict(tensors, path); }
        catch { c.Dispose(); throw; }
        return c;
    }

    public void Dispose()
    {
        Net.Dispose();
        work.Dispose();
    }
}
