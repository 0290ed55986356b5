using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>What a non-finite value looks like in <see cref="KernelChecks.MarkNonFinite"/>'s input.</summary>
public enum Poison { None, NaN, PositiveInfinity, NegativeInfinity, LargestFinite }

/// <summary>The divergence check: the flag slot it writes, against its reference, on every backend.</summary>
public sealed partial class KernelChecks
{
    /// <summary>
    /// n random values with <paramref name="poison"/> at <paramref name="at"/>; the flag is slot 1 of
    /// three, starting at <paramref name="flagBefore"/> (nonzero: an earlier mark that must stay).
    /// The error is 1 when the slot or either of its neighbours is not what the reference says. With
    /// <paramref name="counted"/>, the mark is read through a device counter (Mark + 3·counters[1]),
    /// as the trainer's per-step check reads its D-update count.
    /// </summary>
    public CheckResult MarkNonFinite(int n, Poison poison, int at, int flagBefore, bool counted = false)
    {
        var x = Rand(n, -1e3, 1e3);
        if (poison != Poison.None)
            x[at] = poison switch
            {
                Poison.NaN => float.NaN,
                Poison.PositiveInfinity => float.PositiveInfinity,
                Poison.NegativeInfinity => float.NegativeInfinity,
                _ => float.MaxValue,   // finite: must not be flagged (nor its square's overflow)
            };
        const float Neighbour = 5f;
        const int Mark = 123457;
        var flags = new[] { Neighbour, BitConverter.Int32BitsToSingle(flagBefore), Neighbour };
        ulong[] start = [11, 40];
        using var counters = backend.Allocate<ulong>(start.Length);
        counters.CopyFromHost(start, 0);
        var counter = counted ? new DeviceCounter(counters, 1, 3) : default;
        int mark = counted ? Mark + 3 * (int)start[1] : Mark;
        Tensor tx = Upload(x), tf = Upload(flags);
        backend.MarkNonFinite(tx, new NonFiniteFlag(tf, 1, Mark, counter));
        var got = tf.ToArray();
        int want = FiniteKernels.MarkNonFiniteReference(x, flagBefore, mark);
        bool ok = FiniteKernels.ReadMark(got[1]) == want && got[0] == Neighbour && got[2] == Neighbour;
        Free(tx, tf);
        return new("non-finite check", $"{n} {poison}@{at} flag {flagBefore}{(counted ? " counted" : "")}", ok ? 0 : 1, 0);
    }

    IEnumerable<CheckResult> FiniteChecks()
    {
        yield return MarkNonFinite(1, Poison.None, 0, 0);
        yield return MarkNonFinite(1, Poison.NaN, 0, 0);
        yield return MarkNonFinite(1000, Poison.PositiveInfinity, 999, 0);
        yield return MarkNonFinite(65537, Poison.NegativeInfinity, 40000, 0);
        yield return MarkNonFinite(65537, Poison.LargestFinite, 3, 0);
        yield return MarkNonFinite(777, Poison.NaN, 5, 7);
        yield return MarkNonFinite(777, Poison.NaN, 5, 0, counted: true);
        yield return MarkNonFinite(777, Poison.None, 0, 0, counted: true);
    }
}
