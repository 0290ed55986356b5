using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// Saving and loading optimizer state shared by every optimizer: "&lt;prefix&gt;step", then for each
/// parameter slot, in buffer order, one tensor per state buffer named
/// "&lt;prefix&gt;&lt;param&gt;&lt;suffix&gt;" (torch's per-parameter state keys) with the parameter's shape.
/// </summary>
static class OptimizerState
{
    /// <summary>The per-parameter key that only each optimizer writes, to say who saved a state.</summary>
    static readonly (string Suffix, string Optimizer)[] Signatures =
        [(".exp_avg_sq", "adam"), (".square_avg", "rmsprop"), (".momentum_buffer", "sgd")];

    public static IEnumerable<NamedArray> Save(Sequential model, string prefix, long step, params (string Suffix, DeviceBuffer<float> Buffer)[] buffers)
    {
        yield return new NamedArray(prefix + "step", [], Longs: [step]);
        foreach (var s in model.ParameterSlots)
            foreach (var (suffix, buffer) in buffers)
                yield return new NamedArray(prefix + s.Name + suffix, s.Shape, Floats: Tensor.Whole(buffer).Slice(s.Offset, s.Length).ToArray());
    }

    /// <summary>Checks every tensor first, so a failed load leaves the optimizer as it was; returns the step.</summary>
    public static long Load(IReadOnlyDictionary<string, NamedArray> state, Sequential model, string prefix, string source,
        string optimizer, params (string Suffix, DeviceBuffer<float> Buffer)[] buffers)
    {
        if (!state.TryGetValue(prefix + "step", out var step) || step.Longs is not { Length: 1 })
            throw new GanException($"{source}: missing {prefix}step");
        var copies = new List<(Tensor Target, float[] Values)>();
        foreach (var s in model.ParameterSlots)
        {
            foreach (var (suffix, buffer) in buffers)
            {
                string name = prefix + s.Name + suffix;
                if (!state.TryGetValue(name, out var t) || t.Floats is null)
                    throw new GanException($"{source}: missing {name}, which {optimizer} needs{SavedBy(state, prefix, optimizer)}");
                if (t.Floats.Length != s.Length)
                    throw new GanException($"{source}: {name} has {t.Floats.Length} values, the model's {s.Name} has {s.Length}");
                copies.Add((Tensor.Whole(buffer).Slice(s.Offset, s.Length), t.Floats));
            }
        }
        foreach (var (target, values) in copies) target.CopyFrom(values);
        return step.Longs[0];
    }

    /// <summary>", but it holds adam state" when another optimizer's keys are there under the prefix.</summary>
    static string SavedBy(IReadOnlyDictionary<string, NamedArray> state, string prefix, string optimizer)
    {
        var others = Signatures
            .Where(sig => sig.Optimizer != optimizer && state.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.EndsWith(sig.Suffix, StringComparison.Ordinal)))
            .Select(sig => sig.Optimizer).ToList();
        return others.Count == 0 ? "" : $", but it holds {string.Join(" and ", others)} state (saved by the {others[0]} optimizer?)";
    }
}
