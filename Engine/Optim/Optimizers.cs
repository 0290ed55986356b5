using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// Every optimizer's hyperparameters in one place, for the command line; each optimizer reads only
/// its own. Defaults are torch's, except Lr, whose default differs per optimizer and so is required.
/// </summary>
public sealed record OptimizerSettings
{
    public required double Lr { get; init; }
    /// <summary>Adam's β1.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's β2.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>RMSprop's smoothing constant α.</summary>
    public double Alpha { get; init; } = 0.99;
    /// <summary>SGD's momentum μ.</summary>
    public double Momentum { get; init; }
    /// <summary>Adam's and RMSprop's eps.</summary>
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; }
}

public static class Optimizers
{
    public static readonly string[] Names = ["adam", "rmsprop", "sgd"];

    /// <summary>
    /// The optimizer named <paramref name="name"/> over <paramref name="model"/>. Throws
    /// <see cref="UsageException"/> for an unknown name or, as torch does, an invalid hyperparameter.
    /// </summary>
    public static IOptimizer Create(string name, IBackend backend, Sequential model, OptimizerSettings s)
    {
        if (!Names.Contains(name))
            throw new UsageException($"--optimizer must be {string.Join(", ", Names[..^1])} or {Names[^1]}, got '{name}'");
        // Checked before anything is allocated, with torch's messages.
        Require(s.Lr >= 0, $"Invalid learning rate: {s.Lr}");
        Require(s.Eps >= 0, $"Invalid epsilon value: {s.Eps}");
        Require(s.WeightDecay >= 0, $"Invalid weight_decay value: {s.WeightDecay}");
        switch (name)
        {
            case "adam":
                Require(s.Beta1 is >= 0 and < 1, $"Invalid beta parameter at index 0: {s.Beta1}");
                Require(s.Beta2 is >= 0 and < 1, $"Invalid beta parameter at index 1: {s.Beta2}");
                return new Adam(backend, model, s.Lr, s.Beta1, s.Beta2, s.Eps, s.WeightDecay);
            case "rmsprop":
                Require(s.Alpha >= 0, $"Invalid alpha value: {s.Alpha}");
                return new RmsProp(backend, model, s.Lr, s.Alpha, s.Eps, s.WeightDecay);
            case "sgd":
                Require(s.Momentum >= 0, $"Invalid momentum value: {s.Momentum}");
                return new Sgd(backend, model, s.Lr, s.Momentum, s.WeightDecay);
            default:
                throw new InvalidOperationException($"optimizer '{name}' is listed in Names but not created here");
        }
    }

    static void Require(bool ok, string message)
    {
        if (!ok) throw new UsageException(message);
    }
}
