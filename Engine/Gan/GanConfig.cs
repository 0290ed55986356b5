using System.Text.Json;
using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// What defines a GAN run. Defaults follow PyTorch's DCGAN example: Adam(lr 2e-4, betas (0.5,
/// 0.999)), batch 64; latent 64 as in the lecture notebook.
/// </summary>
public sealed record GanConfig
{
    public string Dataset { get; init; } = "mnist";
    public string Generator { get; init; } = "mlp";
    public int Batch { get; init; } = 64;
    public int Latent { get; init; } = 64;
    public double Lr { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.999;
    public ulong Seed { get; init; } = 0;
    /// <summary>Target for real images in the D loss (label smoothing sets e.g. 0.9).</summary>
    public float RealLabel { get; init; } = 1f;
    /// <summary>Target for fake images in the D loss.</summary>
    public float FakeLabel { get; init; } = 0f;
    /// <summary>PacGAN packing: D sees this many samples side by side, real packs against fake packs.</summary>
    public int Pack { get; init; } = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}

/// <summary>Means over one step, as PyTorch's DCGAN example prints them.</summary>
public readonly record struct StepStats(float DLoss, float GLoss, float DReal, float DFake, float DFakeAfter);
