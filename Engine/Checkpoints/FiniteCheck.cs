namespace IlgpuGan.Engine.Checkpoints;

/// <summary>
/// Refuses weights or optimizer state that hold NaN or ±Inf. A diverged run's numbers load without
/// complaint and then sample as all-NaN images or keep training on garbage, so every loader of a
/// checkpoint asks here first and the user learns which file and tensor went bad.
/// </summary>
public static class FiniteCheck
{
    public static void Require(IReadOnlyDictionary<string, NamedArray> tensors, string source)
    {
        foreach (var (name, t) in tensors)
        {
            if (t.Floats is not { } values) continue;
            int bad = FirstNonFinite(values);
            if (bad >= 0)
                throw new GanException($"{source}: tensor {SafeTensors.Show(name)} holds a non-finite value ({values[bad]} at index {bad}); " +
                    "the run diverged before this checkpoint was written");
        }
    }

    /// <summary>Index of the first NaN or ±Inf, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
