using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Engine.Gan;

/// <summary>Draws images from a saved generator (eval mode: BatchNorm uses its running statistics).</summary>
public sealed class Sampler : IDisposable
{
    readonly IBackend backend;
    readonly DeviceBuffer<float> zBuffer;

    public Sampler(IBackend backend, string generatorFile, int chunk = 256)
    {
        this.backend = backend;
        var tensors = SafeTensors.Load(generatorFile).Tensors;
        var (preset, latent, outFeatures) = Recognise(tensors, generatorFile);
        Latent = latent;
        OutFeatures = outFeatures;
        Generator = new Sequential(backend, Presets.Generator(preset, latent, outFeatures), latent, chunk, 0);
        try
        {
            Generator.LoadStateDict(tensors, generatorFile);
            zBuffer = backend.Allocate<float>((long)chunk * latent);
        }
        catch
        {
            Generator.Dispose();
            throw;
        }
    }

    public Sequential Generator { get; }
    public int Latent { get; }
    public int OutFeatures { get; }

    /// <summary>Which preset a G state_dict is: the 2D one has 13 layers, the notebook's ends with a BatchNorm at index 8.</summary>
    static (string Preset, int Latent, int Out) Recognise(Dictionary<string, NamedArray> t, string file)
    {
        if (!t.TryGetValue("0.weight", out var w0) || w0.Shape.Length != 2)
            throw new GanException($"{file}: not a generator checkpoint of this tool (no 0.weight)");
        if (t.TryGetValue("12.weight", out var w12) && w12.Shape.Length == 2) return ("mlp2d", w0.Shape[1], w12.Shape[0]);
        if (!t.TryGetValue("6.weight", out var w6) || w6.Shape.Length != 2)
            throw new GanException($"{file}: not a generator checkpoint of this tool (no 6.weight)");
        return (t.ContainsKey("8.running_mean") ? "notebook" : "mlp", w0.Shape[1], w6.Shape[0]);
    }

    /// <summary>count images [count, Out] from z drawn with Philox(seed, Sample stream).</summary>
    public float[] Sample(int count, ulong seed)
    {
        var result = new float[(long)count * OutFeatures];
        for (int start = 0; start < count; start += Generator.MaxBatch)
        {
            int n = Math.Min(Generator.MaxBatch, count - start);
            var z = Tensor.Whole(zBuffer).Slice(0, n * Latent);
            backend.RandomNormal(z, seed, RngStreams.Sample, (ulong)start * (ulong)Latent);
            var images = Generator.Forward(z, n, training: false);
            images.CopyTo(result.AsSpan(start * OutFeatures, n * OutFeatures));
        }
        return result;
    }

    /// <summary>
    /// The z behind <see cref="Sample"/>: count rows [count, Latent] from Philox(seed, Sample
    /// stream), so that Generate(Noise(n, s), n) draws the same images as Sample(n, s).
    /// </summary>
    public float[] Noise(int count, ulong seed)
    {
        var result = new float[(long)count * Latent];
        for (int start = 0; start < count; start += Generator.MaxBatch)
        {
            int n = Math.Min(Generator.MaxBatch, count - start);
            var z = Tensor.Whole(zBuffer).Slice(0, n * Latent);
            backend.RandomNormal(z, seed, RngStreams.Sample, (ulong)start * (ulong)Latent);
            z.CopyTo(result.AsSpan(start * Latent, n * Latent));
        }
        return result;
    }

    /// <summary>G on n given latent rows z [n, Latent]; returns [n, Out]. n may exceed the chunk size.</summary>
    public float[] Generate(ReadOnlySpan<float> z, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (z.Length != (long)n * Latent)
            throw new ArgumentException($"expected {n}×{Latent} = {(long)n * Latent} latent values, got {z.Length}", nameof(z));
        var result = new float[(long)n * OutFeatures];
        for (int start = 0; start < n; start += Generator.MaxBatch)
        {
            int rows = Math.Min(Generator.MaxBatch, n - start);
            var zChunk = Tensor.Whole(zBuffer).Slice(0, rows * Latent);
            zChunk.CopyFrom(z.Slice(start * Latent, rows * Latent));
            var images = Generator.Forward(zChunk, rows, training: false);
            images.CopyTo(result.AsSpan(start * OutFeatures, rows * OutFeatures));
        }
        return result;
    }

    public void Dispose()
    {
        Generator.Dispose();
        zBuffer.Dispose();
    }
}
