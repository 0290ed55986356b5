namespace IlgpuGan.Engine.Nn;

/// <summary>
/// How a model's Linear and LinearMaxout layers start (a per-model choice, given to
/// <see cref="Sequential"/>): PyTorch's default (U(±1/√in) for weights and biases), or
/// N(0, std²) weights with zero biases, as PacGAN's code (Blocks' IsotropicGaussian(0.02),
/// Constant(0)). BatchNorm keeps γ = 1, β = 0 and convolutions their own init either way.
/// Normal draws use counters 2k, 2k + 1 of the layer's init stream (<see cref="InitDraws"/>).
/// </summary>
public sealed record WeightInit
{
    /// <summary>null: PyTorch's default; otherwise the weights' standard deviation (biases 0).</summary>
    public double? NormalStd { get; private init; }

    public static readonly WeightInit TorchDefault = new();

    public static WeightInit Normal(double std) => new() { NormalStd = std };

    /// <summary>Weight element i of a [out, in] matrix.</summary>
    internal float Weight(Func<int, double> uniform01, int i, int inFeatures) => NormalStd is { } std
        ? InitDraws.Normal(uniform01, i, 0, std)
        : (float)((uniform01(i) * 2 - 1) / Math.Sqrt(inFeatures));

    /// <summary>Bias element i, after a weight of <paramref name="weights"/> elements (torch draws it from the same stream).</summary>
    internal float Bias(Func<int, double> uniform01, int i, int inFeatures, int weights) => NormalStd is null
        ? (float)((uniform01(weights + i) * 2 - 1) / Math.Sqrt(inFeatures))
        : 0f;
}
