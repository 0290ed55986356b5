using System.Text.Json.Serialization;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>How a GAN loss splits into <see cref="LossKind"/> terms: D's on real and on fake, and G's.</summary>
public sealed record LossTerms(LossKind Kind, float RealTarget, float FakeTarget, LossKind GeneratorKind, float GeneratorTarget);

/// <summary>What a loss brings along when the user does not override it: its paper's training recipe.</summary>
public sealed record LossDefaults(OptimizerKind Optimizer, double Lr, double Beta1, double Beta2, int DSteps);

/// <summary>The GAN losses; config.json and the command line name them by their JSON names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GanLoss>))]
public enum GanLoss
{
    [JsonStringEnumMemberName("bce")] Bce,
    [JsonStringEnumMemberName("wgan")] Wgan,
    [JsonStringEnumMemberName("wgan-gp")] WganGp,
    [JsonStringEnumMemberName("lsgan")] Lsgan,
    [JsonStringEnumMemberName("hinge")] Hinge,
}

/// <summary>
/// The losses of <see cref="GanLoss"/>, each as its paper states it:
/// <list type="bullet">
/// <item>bce: the original GAN with the non-saturating G loss (Goodfellow et al. 2014), as
/// PyTorch's DCGAN example; real and fake targets take label smoothing.</item>
/// <item>wgan: D maximises D(x) − D(G(z)) with weights clipped to [−c, c], G minimises −D(G(z));
/// RMSprop, lr 5e-5, 5 critic steps per G step (Arjovsky et al. 2017).</item>
/// <item>wgan-gp: the same critic loss plus λ·(‖∇D(x̂)‖ − 1)², no clipping; Adam(1e-4, 0.5, 0.9),
/// 5 critic steps (Gulrajani et al. 2017).</item>
/// <item>lsgan: ½E[(D(x) − 1)²] + ½E[D(G(z))²] for D, ½E[(D(G(z)) − 1)²] for G (Mao et al. 2017,
/// a = 0, b = c = 1); label smoothing moves b and a.</item>
/// <item>hinge: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))] for D, −E[D(G(z))] for G (Lim and
/// Ye 2017; Miyato et al. 2018).</item>
/// </list>
/// </summary>
public static class GanLosses
{
    /// <summary>Losses whose targets are labels, so that <see cref="GanConfig.RealLabel"/> and <see cref="GanConfig.FakeLabel"/> mean something.</summary>
    public static bool TakesLabels(GanLoss loss) => loss is GanLoss.Bce or GanLoss.Lsgan;

    public static LossTerms Terms(GanConfig c) => c.Loss switch
    {
        GanLoss.Bce => new(LossKind.BceWithLogits, c.RealLabel, c.FakeLabel, LossKind.BceWithLogits, 1f),
        GanLoss.Lsgan => new(LossKind.Squared, c.RealLabel, c.FakeLabel, LossKind.Squared, 1f),
        GanLoss.Wgan or GanLoss.WganGp => new(LossKind.Linear, 1f, -1f, LossKind.Linear, 1f),
        GanLoss.Hinge => new(LossKind.Hinge, 1f, -1f, LossKind.Linear, 1f),
        _ => throw new GanConfigException(nameof(GanConfig.Loss), $"must be {Kinds.List<GanLoss>()}", c.Loss.ToString()),
    };

    public static LossDefaults Defaults(GanLoss loss) => loss switch
    {
        GanLoss.Wgan => new(OptimizerKind.Rmsprop, 5e-5, 0.5, 0.999, 5),
        GanLoss.WganGp => new(OptimizerKind.Adam, 1e-4, 0.5, 0.9, 5),
        _ => new(OptimizerKind.Adam, 2e-4, 0.5, 0.999, 1),
    };
}
