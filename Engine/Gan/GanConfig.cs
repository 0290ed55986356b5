using System.Text.Json;
using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// What defines a GAN run. Defaults follow PyTorch's DCGAN example: BCE, Adam(lr 2e-4, betas
/// (0.5, 0.999)), batch 64; latent 64 as in the lecture notebook. The CLI fills the loss-dependent
/// defaults (<see cref="GanLosses.Defaults"/>) before a run starts, so config.json states them all.
/// </summary>
public sealed record GanConfig
{
    public string Dataset { get; init; } = "mnist";
    public string Generator { get; init; } = "mlp";
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
    /// <summary>bce, wgan, wgan-gp, lsgan or hinge (<see cref="GanLosses"/>).</summary>
    public string Loss { get; init; } = "bce";
    /// <summary>D (critic) updates per G update, each on a fresh real batch and fresh z.</summary>
    public int DSteps { get; init; } = 1;
    /// <summary>adam, rmsprop or sgd, for both networks.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>RMSprop's smoothing constant (torch's alpha).</summary>
    public double Alpha { get; init; } = 0.99;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>WGAN weight clipping: D's parameters stay in [−Clip, Clip].</summary>
    public float Clip { get; init; } = 0.01f;
    /// <summary>WGAN-GP's λ.</summary>
    public float GpLambda { get; init; } = 10f;
    /// <summary>Conditional GAN: a one-hot class block is appended to G's and D's inputs.</summary>
    public bool Conditional { get; init; }
    public int Classes { get; init; } = 10;
    /// <summary>PacGAN packing: D sees this many samples side by side, real packs against fake packs.</summary>
    public int Pack { get; init; } = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}

/// <summary>
/// Means over the last D update and the G update, as PyTorch's DCGAN example prints them. DReal,
/// DFake and DFakeAfter are σ(D) for BCE and the raw critic value otherwise; Penalty is WGAN-GP's
/// λ·(‖∇D‖ − 1)² term, included in DLoss (0 for the other losses).
/// </summary>
public readonly record struct StepStats(float DLoss, float GLoss, float DReal, float DFake, float DFakeAfter, float Penalty = 0f);
