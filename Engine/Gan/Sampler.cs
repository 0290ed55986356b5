using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// How a generator's BatchNorm layers normalise while sampling, as torch's G.eval() / G.train().
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<GeneratorMode>))]
public enum GeneratorMode
{
    /// <summary>Running statistics: an image does not depend on the others drawn with it.</summary>
    [JsonStringEnumMemberName("eval")] Eval,
    /// <summary>
    /// Batch statistics over groups of <see cref="Sampler.TrainModeBatch"/> images, as
    /// pytorch/examples dcgan draws its grids (its G never leaves train mode).
    /// </summary>
    [JsonStringEnumMemberName("train")] Train,
}

/// <summary>
/// Draws images from a saved generator, in eval mode (BatchNorm uses its running statistics)
/// unless asked for train mode (<see cref="GeneratorMode"/>). A conditional generator (its
/// file's metadata names the classes) gets the one-hot class block after z, as in training.
/// </summary>
public sealed class Sampler : IDisposable
{
    readonly IBackend backend;
    readonly DeviceBuffer<float> zBuffer;
    readonly ConditionalInput? conditional;

    /// <summary>Images normalised together in train mode: pytorch/examples' batch of 64.</summary>
    public const int TrainModeBatch = 64;

    public Sampler(IBackend backend, string generatorFile, int chunk = 256, GeneratorMode mode = GeneratorMode.Eval)
    {
        this.backend = backend;
        Mode = mode;
        // Batch statistics depend on the group: train mode always normalises groups of 64.
        if (mode == GeneratorMode.Train) chunk = TrainModeBatch;
        var (tensors, metadata) = SafeTensors.Load(generatorFile);
        FiniteCheck.Require(tensors, generatorFile);   // a diverged G would sample NaN images without a word
        IReadOnlyList<LayerSpec> spec;
        int inputs;
        if (metadata.TryGetValue("model", out var model))
        {
            // A conv G: its metadata names the model and the image shape (Checkpoint writes them).
            if (!Kinds.TryParse<ModelKind>(model, out var kind) || kind != ModelKind.Dcgan)
                throw new GanException($"{generatorFile}: unknown model \"{model}\" (this tool knows {Kinds.List<ModelKind>()})");
            if (!metadata.TryGetValue("image_size", out var sizeText) || !int.TryParse(sizeText, out int size) || !DcganPresets.Supports(size)
                || !metadata.TryGetValue("channels", out var chText) || !int.TryParse(chText, out int channels) || channels is not (1 or 3)
                || !metadata.TryGetValue("latent", out var latentText) || !int.TryParse(latentText, out int latent) || latent < 1)
                throw new GanException($"{generatorFile}: a dcgan generator needs latent, image_size (28, 32 or 64) and channels (1 or 3) in its metadata");
            Model = kind;
            ImageSize = size;
            Channels = channels;
            // A conditional conv G takes z and the one-hot class as latent + classes channels at 1×1.
            inputs = latent + (metadata.TryGetValue("classes", out var cText) && int.TryParse(cText, out int cs) && cs > 0 ? cs : 0);
            OutFeatures = channels * size * size;
            spec = DcganPresets.Generator(inputs, size, channels);
            // A conv layer's column matrix grows with the batch: sample in batches of 64 at most.
            chunk = Math.Min(chunk, 64);
        }
        else
        {
            var (preset, mlpInputs, outFeatures) = Recognise(tensors, generatorFile);
            inputs = mlpInputs;
            OutFeatures = outFeatures;
            spec = Presets.Generator(preset, inputs, outFeatures);
            int side = (int)Math.Round(Math.Sqrt(outFeatures));
            ImageSize = side * side == outFeatures ? side : 0;
        }
        Classes = metadata.TryGetValue("classes", out var c) && int.TryParse(c, out int k) && k > 0 && k < inputs ? k : 0;
        Latent = inputs - Classes;
        Generator = new Sequential(backend, spec, inputs, chunk, 0);
        try
        {
            Generator.LoadStateDict(tensors, generatorFile);
            zBuffer = backend.Allocate<float>((long)chunk * Latent);
            if (Classes > 0) conditional = new ConditionalInput(backend, Latent, Classes, chunk);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public GeneratorMode Mode { get; }

    /// <summary>Number of classes of a conditional generator; 0 when unconditional.</summary>
    public int Classes { get; }
    public bool IsConditional => Classes > 0;

    public Sequential Generator { get; }
    public int Latent { get; }
    public int OutFeatures { get; }

    /// <summary>The generator's model family (a conv G names it in its metadata; MLPs are recognised by their tensors).</summary>
    public ModelKind Model { get; } = ModelKind.Mlp;

    /// <summary>Side of the square images it makes (0 when not square, such as the 2D generators').</summary>
    public int ImageSize { get; }

    /// <summary>Image channels: 3 for an RGB DCGAN, else 1.</summary>
    public int Channels { get; } = 1;

    /// <summary>
    /// Which preset a G state_dict is: the 2D ones have 13 layers (PacGAN's without a bias before its
    /// BatchNorms), the notebook's ends with a BatchNorm at index 8.
    /// </summary>
    static (GeneratorKind Preset, int Latent, int Out) Recognise(Dictionary<string, NamedArray> t, string file)
    {
        if (!t.TryGetValue("0.weight", out var w0) || w0.Shape.Length != 2)
            throw new GanException($"{file}: not a generator checkpoint of this tool (no 0.weight)");
        if (t.TryGetValue("12.weight", out var w12) && w12.Shape.Length == 2) return (t.ContainsKey("0.bias") ? GeneratorKind.Mlp2d : GeneratorKind.PacGan, w0.Shape[1], w12.Shape[0]);
        if (!t.TryGetValue("6.weight", out var w6) || w6.Shape.Length != 2)
            throw new GanException($"{file}: not a generator checkpoint of this tool (no 6.weight)");
        return (t.ContainsKey("8.running_mean") ? GeneratorKind.Notebook : GeneratorKind.Mlp, w0.Shape[1], w6.Shape[0]);
    }

    /// <summary>
    /// count images [count, Out] from z drawn with Philox(seed, Sample stream); a conditional
    /// generator draws class i mod classes for image i, or <paramref name="fixedClass"/>.
    /// </summary>
    public float[] Sample(int count, ulong seed, int fixedClass = -1)
    {
        if (fixedClass >= 0 && !IsConditional) throw new InvalidSettingException(nameof(fixedClass), "needs a conditional generator (trained with class labels)");
        if (fixedClass >= Classes && IsConditional) throw new InvalidSettingException(nameof(fixedClass), $"must be 0..{Classes - 1}", $"{fixedClass}");
        return Generate(Noise(count, seed), count, fixedClass);
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
            backend.RandomNormal(z, new(seed, RngStreams.Sample, (ulong)start * (ulong)Latent));
            z.CopyTo(result.AsSpan(start * Latent, n * Latent));
        }
        return result;
    }

    /// <summary>
    /// G on n given latent rows z [n, Latent]; returns [n, Out]. n may exceed the chunk size. A
    /// conditional generator gets class i mod classes for row i, or <paramref name="fixedClass"/>.
    /// </summary>
    public float[] Generate(ReadOnlySpan<float> z, int n, int fixedClass = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (z.Length != (long)n * Latent)
            throw new ArgumentException($"expected {n}×{Latent} = {(long)n * Latent} latent values, got {z.Length}", nameof(z));
        if (!IsConditional) return GenerateInputs(z, n);
        var inputs = new float[(long)n * InputFeatures];
        for (int r = 0; r < n; r++)
        {
            z.Slice(r * Latent, Latent).CopyTo(inputs.AsSpan(r * InputFeatures, Latent));
            inputs[r * InputFeatures + Latent + ConditionalInput.ClassOf(r, Classes, fixedClass)] = 1f;
        }
        return GenerateInputs(inputs, n);
    }

    /// <summary>G's input width: z, then the class block of a conditional generator.</summary>
    public int InputFeatures => Latent + Classes;

    /// <summary>
    /// G on n complete input rows [n, InputFeatures]. For a conditional generator the class block
    /// may hold any mixture of classes, which is how a morph moves between classes.
    /// </summary>
    public float[] GenerateInputs(ReadOnlySpan<float> inputs, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (inputs.Length != (long)n * InputFeatures)
            throw new ArgumentException($"expected {n}×{InputFeatures} = {(long)n * InputFeatures} input values, got {inputs.Length}", nameof(inputs));
        if (Mode == GeneratorMode.Train && n % TrainModeBatch == 1)
            throw new GanException($"{n} images leave a last group of one, which train mode cannot normalise (it uses groups of {TrainModeBatch}): ask for another count");
        var result = new float[(long)n * OutFeatures];
        for (int start = 0; start < n; start += Generator.MaxBatch)
        {
            int rows = Math.Min(Generator.MaxBatch, n - start);
            var chunk = conditional?.Rows(rows) ?? Tensor.Whole(zBuffer).Slice(0, rows * Latent);
            chunk.CopyFrom(inputs.Slice(start * InputFeatures, rows * InputFeatures));
            // Train mode also moves this copy's running statistics, which nothing reads or saves.
            var images = Generator.Forward(chunk, rows, training: Mode == GeneratorMode.Train);
            images.CopyTo(result.AsSpan(start * OutFeatures, rows * OutFeatures));
        }
        return result;
    }

    public void Dispose()
    {
        Generator.Dispose();
        zBuffer?.Dispose();
        conditional?.Dispose();
    }
}
