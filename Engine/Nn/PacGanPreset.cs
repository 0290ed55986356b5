using System.Text.Json.Serialization;
using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Engine.Nn;

/// <summary>A recipe that sets a run's models and training settings at once, by its config.json name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GanPreset>))]
public enum GanPreset
{
    [JsonStringEnumMemberName("none")] None,
    /// <summary>PacGAN's 2D protocol (<see cref="PacGanPreset"/>).</summary>
    [JsonStringEnumMemberName("pacgan")] PacGan,
}

/// <summary>
/// The protocol of PacGAN's Table 1 (Lin et al. 2018; fjxmlzn/PacGAN,
/// synthetic_data_experiments/2DRing_GAN&amp;PacGAN and 2DGrid_GAN&amp;PacGAN, Theano/Blocks), the one
/// home of its numbers. G: z ~ N(0, I₂) → 4 × (Linear 400 without bias → BatchNorm1d(momentum 0.05,
/// eps 1e-4, Blocks' default) → ReLU) → Linear(400 → 2) with bias. D: 3 × LinearMaxout(200 units,
/// 5 pieces) → Linear(200 → 1), input 2·m for packing m. Weights N(0, 0.02), biases 0; Adam lr 1e-4,
/// β1 0.8, β2 0.999; 100 packed D rows a step (100·m samples: the paper's code draws m z batches of
/// 100 and m real samples per packed row); a fixed training set of 100,000 samples; 400,000 steps
/// (400 epochs of 1,000 batches), one D and one G update each, simultaneous: the code trains with
/// ALI's `ali_algorithm`, one Blocks GradientDescent whose D and G gradients come from one graph
/// (one z batch, D's loss and G's loss on the same fakes, both at the step's starting weights).
/// G runs once per pack slot, so its BatchNorm statistics are per slot (<see cref="GBatchNorm"/>).
/// </summary>
public static class PacGanPreset
{
    public const int Latent = 2, Hidden = 400, Units = 200, Pieces = 5;
    /// <summary>Packed rows D sees per step; the batch is this times the packing.</summary>
    public const int PackedRows = 100;
    public const double Lr = 1e-4, Beta1 = 0.8, Beta2 = 0.999, InitStd = 0.02, BnMomentum = 0.05;
    public const float BnEps = 1e-4f;
    public const int TrainingSet = 100_000;
    public const long Steps = 400_000;

    /// <summary>The whole preset as a run config (what `train --preset pacgan` resolves to without other flags).</summary>
    public static GanConfig Config(string dataset, int pack = 1, ulong seed = 0) => new()
    {
        Dataset = dataset,
        Preset = GanPreset.PacGan,
        Generator = GeneratorKind.PacGan,
        Latent = Latent,
        Pack = pack,
        Batch = Batch(pack),
        Lr = Lr,
        Beta1 = Beta1,
        Beta2 = Beta2,
        InitStd = InitStd,
        BnMomentum = BnMomentum,
        TrainingSet = TrainingSet,
        Updates = GanUpdates.Simultaneous,
        GBatchNorm = GBatchNorm(pack),
        Seed = seed,
    };

    /// <summary>
    /// The code applies G once per pack slot (<c>compute_losses</c> in pacgan/bricks.py: m z batches
    /// of 100, the outputs concatenated along the features), so each BatchNorm sees one slot's samples.
    /// </summary>
    public static PackBatchNorm GBatchNorm(int pack) => pack > 1 ? PackBatchNorm.PerSlot : PackBatchNorm.Joint;

    /// <summary>The batch in samples for packing m.</summary>
    public static int Batch(int pack) => PackedRows * pack;

    public static IReadOnlyList<LayerSpec> Generator(int latent, int outFeatures, float bnMomentum, int bnGroups = 1)
    {
        var list = new List<LayerSpec>();
        int width = latent;
        for (int i = 0; i < 4; i++)
        {
            list.AddRange([new LinearSpec(width, Hidden, Bias: false), new BatchNorm1dSpec(Hidden, BnEps, bnMomentum, bnGroups), ActivationSpec.ReLU]);
            width = Hidden;
        }
        list.Add(new LinearSpec(Hidden, outFeatures));
        return list;
    }

    public static IReadOnlyList<LayerSpec> Discriminator(int inFeatures) =>
    [
        new LinearMaxoutSpec(inFeatures, Units, Pieces),
        new LinearMaxoutSpec(Units, Units, Pieces),
        new LinearMaxoutSpec(Units, Units, Pieces),
        new LinearSpec(Units, 1),
    ];
}
