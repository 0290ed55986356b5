using System.Text.Json.Serialization;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Engine.Optim;

/// <summary>The optimizers; config.json and the command line name them as torch.optim does, lower case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    [JsonStringEnumMemberName("adam")] Adam,
    [JsonStringEnumMemberName("rmsprop")] Rmsprop,
    [JsonStringEnumMemberName("sgd")] Sgd,
}

/// <summary>
/// Every optimizer's hyperparameters in one place; each optimizer reads only
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
    /// <summary>
    /// The optimizer <paramref name="kind"/> over <paramref name="model"/>. Throws
    /// <see cref="InvalidSettingException"/> (naming the <see cref="OptimizerSettings"/> field) for an
    /// invalid hyperparameter, with torch's rules, before anything is allocated.
    /// </summary>
    public static IOptimizer Create(OptimizerKind kind, IBackend backend, Sequential model, OptimizerSettings s)
    {
        Require(s.Lr >= 0, nameof(s.Lr), "must be at least 0", s.Lr);
        Require(s.Eps >= 0, nameof(s.Eps), "must be at least 0", s.Eps);
        Require(s.WeightDecay >= 0, nameof(s.WeightDecay), "must be at least 0", s.WeightDecay);
        switch (kind)
        {
            case OptimizerKind.Adam:
                Require(s.Beta1 is >= 0 and < 1, nameof(s.Beta1), "must be in [0, 1)", s.Beta1);
                Require(s.Beta2 is >= 0 and < 1, nameof(s.Beta2), "must be in [0, 1)", s.Beta2);
                return new Adam(backend, model, s.Lr, s.Beta1, s.Beta2, s.Eps, s.WeightDecay);
            case OptimizerKind.Rmsprop:
                Require(s.Alpha >= 0, nameof(s.Alpha), "must be at least 0", s.Alpha);
                return new RmsProp(backend, model, s.Lr, s.Alpha, s.Eps, s.WeightDecay);
            case OptimizerKind.Sgd:
                Require(s.Momentum >= 0, nameof(s.Momentum), "must be at least 0", s.Momentum);
                return new Sgd(backend, model, s.Lr, s.Momentum, s.WeightDecay);
            default:
                throw new InvalidSettingException("optimizer", $"must be {Kinds.List<OptimizerKind>()}", kind.ToString());
        }
    }

    static void Require(bool ok, string setting, string rule, double value)
    {
        // NaN fails every comparison, so it is refused here too.
        if (!ok) throw new InvalidSettingException(setting, rule, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
