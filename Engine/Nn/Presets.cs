using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Nn;

/// <summary>The generator presets (<see cref="Presets.Generator"/>), by their config.json names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GeneratorKind>))]
public enum GeneratorKind
{
    [JsonStringEnumMemberName("mlp")] Mlp,
    [JsonStringEnumMemberName("notebook")] Notebook,
    [JsonStringEnumMemberName("mlp2d")] Mlp2d,
    /// <summary>PacGAN's own 2D generator (<see cref="PacGanPreset.Generator"/>).</summary>
    [JsonStringEnumMemberName("pacgan")] PacGan,
}

/// <summary>The seed models of the lecture notebook, as PyTorch nn.Sequential layer lists.</summary>
public static class Presets
{
    public const int ImageSize = 28 * 28;

    /// <summary>
    /// Mlp (default): z → 256 → LeakyReLU(0.2) → BN → 512 → LeakyReLU(0.2) → BN → 784 → Tanh.
    /// Notebook: the lecture's own generator, whose output layer ends in LeakyReLU + BN instead of
    /// Tanh, kept so the original can be reproduced. bnGroups: the BatchNorm layers' groups
    /// (<see cref="BatchNorm1dSpec.Groups"/>; the packing with <see cref="Gan.PackBatchNorm.PerSlot"/>).
    /// </summary>
    public static IReadOnlyList<LayerSpec> Generator(GeneratorKind kind, int latent, int outFeatures = ImageSize, float bnMomentum = 0.1f, int bnGroups = 1)
    {
        if (kind == GeneratorKind.Mlp2d) return Generator2D(latent, outFeatures, bnMomentum, bnGroups);
        if (kind == GeneratorKind.PacGan) return PacGanPreset.Generator(latent, outFeatures, bnMomentum, bnGroups);
        var hidden = new List<LayerSpec>
        {
            new LinearSpec(latent, 256), ActivationSpec.LeakyReLU(0.2f), new BatchNorm1dSpec(256, Momentum: bnMomentum, Groups: bnGroups),
            new LinearSpec(256, 512), ActivationSpec.LeakyReLU(0.2f), new BatchNorm1dSpec(512, Momentum: bnMomentum, Groups: bnGroups),
            new LinearSpec(512, outFeatures),
        };
        switch (kind)
        {
            case GeneratorKind.Mlp: hidden.Add(ActivationSpec.Tanh); break;
            case GeneratorKind.Notebook: hidden.Add(ActivationSpec.LeakyReLU(0.2f)); hidden.Add(new BatchNorm1dSpec(outFeatures, Momentum: bnMomentum, Groups: bnGroups)); break;
            default: throw new InvalidSettingException("generator", $"must be {Kinds.List<GeneratorKind>()}", kind.ToString());
        }
        return hidden;
    }

    /// <summary>784 → 512 → LReLU → 256 → LReLU → 64 → LReLU → 1: a logit; the sigmoid lives in the loss.</summary>
    public static IReadOnlyList<LayerSpec> Discriminator(int inFeatures = ImageSize) =>
    [
        new LinearSpec(inFeatures, 512), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(512, 256), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(256, 64), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(64, 1),
    ];

    /// <summary>
    /// The 2D generator: z → 4 × (Linear 400 → ReLU → BatchNorm) → Linear 2 (PacGAN's widths; its
    /// own order and init are <see cref="GeneratorKind.PacGan"/>).
    /// </summary>
    public static IReadOnlyList<LayerSpec> Generator2D(int latent = 2, int outFeatures = 2, float bnMomentum = 0.1f, int bnGroups = 1)
    {
        var list = new List<LayerSpec>();
        int width = latent;
        for (int i = 0; i < 4; i++)
        {
            list.Add(new LinearSpec(width, 400));
            list.Add(ActivationSpec.ReLU);
            list.Add(new BatchNorm1dSpec(400, Momentum: bnMomentum, Groups: bnGroups));
            width = 400;
        }
        list.Add(new LinearSpec(400, outFeatures));
        return list;
    }

    /// <summary>
    /// The 2D discriminator: 3 × (Linear 200 → LeakyReLU 0.2) → Linear 1. PacGAN's D uses maxout
    /// units; we use LeakyReLU, which the engine has, and keep the widths. With packing m its input
    /// is m samples side by side (2m wide).
    /// </summary>
    public static IReadOnlyList<LayerSpec> Discriminator2D(int inFeatures) =>
    [
        new LinearSpec(inFeatures, 200), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(200, 200), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(200, 200), ActivationSpec.LeakyReLU(0.2f),
        new LinearSpec(200, 1),
    ];
}
