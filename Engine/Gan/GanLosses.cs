using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>How a GAN loss splits into <see cref="LossKind"/> terms: D's on real and on fake, and G's.</summary>
public sealed record LossTerms(LossKind Kind, float RealTarget, float FakeTarget, LossKind GeneratorKind, float GeneratorTarget);

/// <summary>What a loss brings along when the user does not override it: its paper's training recipe.</summary>
public sealed record LossDefaults(string Optimizer, double Lr, double Beta1, double Beta2, int DSteps);

/// <summary>
/// The losses of `--loss`, each as its paper states it:
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
    public static readonly string[] Names = ["bce", "wgan", "wgan-gp", "lsgan", "hinge"];

    public static void Validate(string loss)
    {
        if (!Names.Contains(loss)) throw new UsageException($"--loss must be {string.Join(", ", Names)}; got '{loss}'");
    }

    /// <summary>Losses whose targets are labels, so that --real-label/--fake-label mean something.</summary>
    public static bool TakesLabels(string loss) => loss is "bce" or "lsgan";

    public static LossTerms Terms(GanConfig c) => c.Loss switch
    {
        "bce" => new(LossKind.BceWithLogits, c.RealLabel, c.FakeLabel, LossKind.BceWithLogits, 1f),
        "lsgan" => new(LossKind.Squared, c.RealLabel, c.FakeLabel, LossKind.Squared, 1f),
        "wgan" or "wgan-gp" => new(LossKind.Linear, 1f, -1f, LossKind.Linear, 1f),
        "hinge" => new(LossKind.Hinge, 1f, -1f, LossKind.Linear, 1f),
        _ => throw new UsageException($"--loss must be {string.Join(", ", Names)}; got '{c.Loss}'"),
    };

    public static LossDefaults Defaults(string loss) => loss switch
    {
        "wgan" => new("rmsprop", 5e-5, 0.5, 0.999, 5),
        "wgan-gp" => new("adam", 1e-4, 0.5, 0.9, 5),
        _ => new("adam", 2e-4, 0.5, 0.999, 1),
    };
}
