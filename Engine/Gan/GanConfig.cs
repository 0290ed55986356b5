using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// What defines a GAN run. Defaults follow PyTorch's DCGAN example: BCE, Adam(lr 2e-4, betas
/// (0.5, 0.999)), batch 64; latent 64 as in the lecture notebook. Applications fill the
/// loss-dependent defaults (<see cref="GanLosses.Defaults"/>) before a run starts, so config.json
/// states them all. <see cref="Validate"/> is the one place its rules are checked.
/// </summary>
public sealed record GanConfig
{
    /// <summary>An image dataset's name, or a 2D mixture's (<see cref="Mixture2D.Names"/>).</summary>
    public string Dataset { get; init; } = "mnist";
    public GeneratorKind Generator { get; init; } = GeneratorKind.Mlp;
    /// <summary>The model family: the seed's MLPs, or the convolutional DCGAN (config.json without the key: mlp).</summary>
    public ModelKind Model { get; init; } = ModelKind.Mlp;
    /// <summary>Side of the square images a DCGAN makes and judges (28, 32 or 64).</summary>
    public int ImageSize { get; init; } = 28;
    /// <summary>Image channels: 1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; init; } = 1;
    public int Batch { get; init; } = 64;
    public int Latent { get; init; } = 64;
    /// <summary>Learning rate of both networks unless <see cref="GLr"/>/<see cref="DLr"/> override it.</summary>
    public double Lr { get; init; } = 2e-4;
    public double? GLr { get; init; }
    public double? DLr { get; init; }
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.999;
    public ulong Seed { get; init; } = 0;
    /// <summary>Target for real images in the D loss (label smoothing sets e.g. 0.9).</summary>
    public float RealLabel { get; init; } = 1f;
    /// <summary>Target for fake images in the D loss.</summary>
    public float FakeLabel { get; init; } = 0f;
    public GanLoss Loss { get; init; } = GanLoss.Bce;
    /// <summary>D (critic) updates per G update, each on a fresh real batch and fresh z.</summary>
    public int DSteps { get; init; } = 1;
    /// <summary>The optimizer of both networks.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>RMSprop's smoothing constant (torch's alpha).</summary>
    public double Alpha { get; init; } = 0.99;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>WGAN weight clipping: D's parameters stay in [−Clip, Clip].</summary>
    public float Clip { get; init; } = DefaultClip;
    /// <summary>WGAN-GP's λ.</summary>
    public float GpLambda { get; init; } = DefaultGpLambda;
    /// <summary>
    /// Conditional GAN: a one-hot class block is appended to G's and D's inputs (a conv D gets it as
    /// one-hot maps, one extra input channel per class).
    /// </summary>
    public bool Conditional { get; init; }
    public int Classes { get; init; } = 10;
    /// <summary>
    /// PacGAN packing: D sees this many samples side by side, real packs against fake packs (a conv D
    /// stacks them along channels). Combines with <see cref="Conditional"/>: each sample keeps its class block.
    /// </summary>
    public int Pack { get; init; } = 1;
    /// <summary>The recipe the run was made from (config.json records it beside the values it resolved to).</summary>
    public GanPreset Preset { get; init; } = GanPreset.None;
    /// <summary>null: PyTorch's default init; otherwise Linear/LinearMaxout weights N(0, InitStd²) and zero biases (<see cref="WeightInit"/>).</summary>
    public double? InitStd { get; init; }
    /// <summary>torch's BatchNorm momentum of the MLP generators' BatchNorm1d layers: running ← (1 − m)·running + m·batch.</summary>
    public double BnMomentum { get; init; } = DefaultBnMomentum;
    /// <summary>2D mixtures: 0 draws fresh samples for every batch; N &gt; 0 draws a fixed set of N samples from the seed, shuffled per epoch.</summary>
    public int TrainingSet { get; init; }
    /// <summary>With <see cref="GanUpdates.Alternating"/>: G's update draws its own z instead of reusing the last D update's fakes (as PyTorch's DCGAN example).</summary>
    public bool FreshGeneratorZ { get; init; }
    /// <summary>Whether G's gradient is taken through the D just updated (alternating) or through the same D, on the same fakes, as D's own (simultaneous).</summary>
    public GanUpdates Updates { get; init; } = GanUpdates.Alternating;
    /// <summary>How G's BatchNorm layers see a packed batch (config.json without the key: joint, as every run before it).</summary>
    public PackBatchNorm GBatchNorm { get; init; } = PackBatchNorm.Joint;
    /// <summary>G's BatchNorm groups: the packing with <see cref="PackBatchNorm.PerSlot"/>, 1 otherwise.</summary>
    [JsonIgnore] public int GBatchNormGroups => GBatchNorm == PackBatchNorm.PerSlot ? Pack : 1;

    public const double DefaultBnMomentum = 0.1;

    /// <summary>The weight init both models get.</summary>
    [JsonIgnore] public WeightInit WeightInit => InitStd is { } s ? WeightInit.Normal(s) : WeightInit.TorchDefault;

    public const float DefaultClip = 0.01f, DefaultGpLambda = 10f;

    /// <summary>config.json's form: snake_case keys, the enums by their names ("wgan-gp", "rmsprop").</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>
    /// Throws <see cref="GanConfigException"/> for the first rule the config breaks, naming the
    /// field, so a command line can name its flag and a config file its key.
    /// </summary>
    public void Validate()
    {
        Range(nameof(Batch), Batch, 2, 1 << 20, "(BatchNorm needs two samples)");
        Range(nameof(Latent), Latent, 1, 1 << 16);
        Range(nameof(Pack), Pack, 1, 64);
        if (Batch % Pack != 0) throw new GanConfigException(nameof(Pack), "must divide {0} (" + Batch + ")", Pack.ToString(CultureInfo.InvariantCulture), nameof(Batch));
        Range(nameof(DSteps), DSteps, 1, 1000);
        Range(nameof(Classes), Classes, 2, 1 << 16);
        if (!Enum.IsDefined(Loss)) throw new GanConfigException(nameof(Loss), $"must be {Kinds.List<GanLoss>()}", Loss.ToString());
        if (!Enum.IsDefined(Optimizer)) throw new GanConfigException(nameof(Optimizer), $"must be {Kinds.List<OptimizerKind>()}", Optimizer.ToString());
        if (!Enum.IsDefined(Generator)) throw new GanConfigException(nameof(Generator), $"must be {Kinds.List<GeneratorKind>()}", Generator.ToString());
        Positive(nameof(Lr), Lr);
        if (GLr is { } g) Positive(nameof(GLr), g);
        if (DLr is { } d) Positive(nameof(DLr), d);
        Unit(nameof(Beta1), Beta1);
        Unit(nameof(Beta2), Beta2);
        Unit(nameof(Momentum), Momentum);
        Unit(nameof(Alpha), Alpha);
        Unit(nameof(RealLabel), RealLabel);
        Unit(nameof(FakeLabel), FakeLabel);
        Positive(nameof(Clip), Clip);
        if (!(GpLambda >= 0) || !float.IsFinite(GpLambda)) throw new GanConfigException(nameof(GpLambda), "must be at least 0", Text(GpLambda));

        // Settings that only one loss reads: a value elsewhere would be silently ignored.
        if (!GanLosses.TakesLabels(Loss) && (RealLabel != 1f || FakeLabel != 0f))
            throw new GanConfigException(RealLabel != 1f ? nameof(RealLabel) : nameof(FakeLabel), $"applies to bce and lsgan only; {Kinds.Name(Loss)} has no label targets");
        if (Loss != GanLoss.Wgan && Clip != DefaultClip)
            throw new GanConfigException(nameof(Clip), "applies to {0} wgan only", null, nameof(Loss));
        if (Loss != GanLoss.WganGp && GpLambda != DefaultGpLambda)
            throw new GanConfigException(nameof(GpLambda), "applies to {0} wgan-gp only", null, nameof(Loss));

        bool mixture = Mixture2D.IsMixture(Dataset);
        bool twoD = Generator is GeneratorKind.Mlp2d or GeneratorKind.PacGan;
        if (mixture && !twoD)
            throw new GanConfigException(nameof(Generator), $"must be mlp2d or pacgan for the 2D dataset {Dataset}", Kinds.Name(Generator));
        if (!mixture && twoD)
            throw new GanConfigException(nameof(Generator), $"{Kinds.Name(Generator)} is for the 2D datasets ({string.Join(", ", Mixture2D.Names)})");
        if (!Enum.IsDefined(Preset)) throw new GanConfigException(nameof(Preset), $"must be {Kinds.List<GanPreset>()}", Preset.ToString());
        if (Preset == GanPreset.PacGan && !mixture)
            throw new GanConfigException(nameof(Preset), $"pacgan is for the 2D datasets ({string.Join(", ", Mixture2D.Names)})", "pacgan");
        if (InitStd is { } std) Positive(nameof(InitStd), std);
        if (!(BnMomentum > 0 && BnMomentum <= 1)) throw new GanConfigException(nameof(BnMomentum), "must be above 0 and at most 1", Text(BnMomentum));
        if (TrainingSet != 0)
        {
            if (!mixture) throw new GanConfigException(nameof(TrainingSet), "applies to the 2D datasets only (image datasets are their own training set)", Text(TrainingSet));
            Range(nameof(TrainingSet), TrainingSet, Batch, 100_000_000, "(one batch)");
        }
        if (!Enum.IsDefined(Updates)) throw new GanConfigException(nameof(Updates), $"must be {Kinds.List<GanUpdates>()}", Updates.ToString());
        if (Updates == GanUpdates.Simultaneous && DSteps != 1)
            throw new GanConfigException(nameof(DSteps), "must be 1 with simultaneous updates (one D and one G gradient at the same point)", Text(DSteps));
        if (Updates == GanUpdates.Simultaneous && FreshGeneratorZ)
            throw new GanConfigException(nameof(FreshGeneratorZ), "cannot be combined with simultaneous updates (both gradients use one batch of fakes)");
        if (FreshGeneratorZ && Conditional)
            throw new GanConfigException(nameof(FreshGeneratorZ), "cannot be combined with {0}", null, nameof(Conditional));
        if (Conditional && mixture)
            throw new GanConfigException(nameof(Conditional), "needs a labelled image dataset (mnist, fashion-mnist), not a 2D mixture");
        if (!Enum.IsDefined(Model)) throw new GanConfigException(nameof(Model), $"must be {Kinds.List<ModelKind>()}", Model.ToString());
        if (Channels is not (1 or 3)) throw new GanConfigException(nameof(Channels), "must be 1 or 3", Text(Channels));
        if (Model == ModelKind.Dcgan)
        {
            if (!DcganPresets.Supports(ImageSize))
                throw new GanConfigException(nameof(ImageSize), $"must be {string.Join(", ", DcganPresets.ImageSizes)} for the dcgan model", Text(ImageSize));
            if (mixture) throw new GanConfigException(nameof(Model), $"dcgan needs an image dataset, not the 2D mixture {Dataset}", "dcgan");
            if (InitStd is not null) throw new GanConfigException(nameof(InitStd), "is not supported with {0} dcgan (its layers have DCGAN's own init)", null, nameof(Model));
            if (BnMomentum != DefaultBnMomentum) throw new GanConfigException(nameof(BnMomentum), "is not supported with {0} dcgan yet", Text(BnMomentum), nameof(Model));
        }
        if (!Enum.IsDefined(GBatchNorm)) throw new GanConfigException(nameof(GBatchNorm), $"must be {Kinds.List<PackBatchNorm>()}", GBatchNorm.ToString());
        if (GBatchNorm == PackBatchNorm.PerSlot)
        {
            if (Model == ModelKind.Dcgan) throw new GanConfigException(nameof(GBatchNorm), "per-slot is not supported with {0} dcgan yet", "per-slot", nameof(Model));
            if (Pack == 1) throw new GanConfigException(nameof(GBatchNorm), "per-slot needs {0} above 1 (one slot is the whole batch)", "per-slot", nameof(Pack));
            if (Batch / Pack < 2) throw new GanConfigException(nameof(Batch), "must be at least twice the pack with per-slot BatchNorm (each slot's BatchNorm needs two samples)", Text(Batch));
        }
    }

    static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);

    static void Range(string field, int v, int min, int max, string why = "")
    {
        if (v < min) throw new GanConfigException(field, $"must be at least {min}{(why == "" ? "" : " " + why)}", Text(v));
        if (v > max) throw new GanConfigException(field, $"must be at most {max}", Text(v));
    }

    static void Positive(string field, double v)
    {
        if (!(v > 0) || !double.IsFinite(v)) throw new GanConfigException(field, "must be above 0", Text(v));
    }

    static void Unit(string field, double v)
    {
        if (!(v >= 0 && v <= 1)) throw new GanConfigException(field, "must be at least 0 and at most 1", Text(v));
    }
}

/// <summary>
/// Means over the last D update and the G update, as PyTorch's DCGAN example prints them. DReal,
/// DFake and DFakeAfter are σ(D) for BCE and the raw critic value otherwise; Penalty is WGAN-GP's
/// λ·(‖∇D‖ − 1)² term, included in DLoss (0 for the other losses).
/// </summary>
public readonly record struct StepStats(float DLoss, float GLoss, float DReal, float DFake, float DFakeAfter, float Penalty = 0f);
