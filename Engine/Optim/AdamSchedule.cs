using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// Adam's per-step scalars in device memory (<see cref="StepSchedule"/>): row t − 1 of the table
/// is <see cref="AdamStepScalars.For"/>(lr, β1, β2, t), computed on the host exactly as the
/// scalars were when they travelled as kernel arguments, and the step counter lives on the device
/// and is advanced by the Adam op. So a step needs no host write, and a captured graph replays the
/// right step.
///
/// The table stops where the scalars stop changing: once 1 − βᵗ is 1.0 in float64 for both betas
/// (βᵗ below about 2⁻⁵³), lr / (1 − β1ᵗ) and √(1 − β2ᵗ) are lr and 1 for every later t, which is
/// the last row. That is 37,412 rows for β2 = 0.999 (292 KiB) and about 367,000 for 0.9999. The
/// rows are capped at <see cref="MaxRows"/> (32 MiB), which the exact table reaches only for β2 above
/// about 0.999991; with such a β2, steps past 2²² reuse step 2²²'s scalars (for β2 = 0.999999,
/// √(1 − β2ᵗ) is then 0.992 where it should approach 1).
/// </summary>
public sealed class AdamSchedule : IDisposable
{
    public const int MaxRows = 1 << 22;

    readonly DeviceBuffer<float> table;
    readonly DeviceBuffer<int> step;
    readonly double beta1, beta2;
    readonly float[] host;

    public AdamSchedule(IBackend backend, double lr, double beta1, double beta2)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        Rows = RowsFor(beta1, beta2);
        host = new float[Rows * AdamStepScalars.Width];
        table = backend.Allocate<float>(host.Length);
        try { step = backend.Allocate<int>(1); }
        catch { table.Dispose(); throw; }
        Write(lr);
    }

    public int Rows { get; }

    /// <summary>The learning rate the table was written for.</summary>
    public double Lr { get; private set; }

    /// <summary>What the Adam op reads.</summary>
    public StepSchedule Schedule => new(Tensor.Whole(table), AdamStepScalars.Width, step);

    /// <summary>Steps after which 1 − βᵗ is 1.0 in float64 for both betas, capped at <see cref="MaxRows"/>.</summary>
    public static int RowsFor(double beta1, double beta2)
    {
        int t = 1;
        while (t < MaxRows && (1 - Math.Pow(beta1, t) != 1 || 1 - Math.Pow(beta2, t) != 1)) t++;
        return t;
    }

    /// <summary>Rewrites the table for a new learning rate (a host copy: do it between steps).</summary>
    public void Write(double lr)
    {
        for (int t = 1; t <= Rows; t++)
        {
            var s = AdamStepScalars.For(lr, beta1, beta2, t);
            host[(t - 1) * AdamStepScalars.Width] = s.StepSize;
            host[(t - 1) * AdamStepScalars.Width + 1] = s.BiasCorrection2Sqrt;
        }
        table.CopyFromHost(host, 0);
        Lr = lr;
    }

    /// <summary>Sets the device's step counter: the next op runs step <paramref name="steps"/> + 1 (a host copy).</summary>
    public void SetStep(long steps)
    {
        if (steps is < 0 or >= int.MaxValue) throw new GanException($"adam step {steps} is out of range");
        step.CopyFromHost([(int)steps], 0);
    }

    public void Dispose()
    {
        table.Dispose();
        step.Dispose();
    }
}
