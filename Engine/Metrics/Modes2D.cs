namespace IlgpuGan.Engine.Metrics;

/// <summary>
/// Mode-coverage metrics for the 2D Gaussian-mixture benchmarks (the VEEGAN / PacGAN protocol:
/// modes captured, percentage of high-quality samples, reverse KL), plus the two standard layouts.
/// </summary>
public static class Modes2D
{
    /// <summary>Standard deviation of each Gaussian of the 8-mode ring.</summary>
    public const double Ring8Sigma = 0.01;

    /// <summary>Standard deviation of each Gaussian of the 5×5 grid.</summary>
    public const double Grid25Sigma = 0.05;


    /// <summary>A sample is high quality when it lies within this many σ of its nearest mode.</summary>
    public const double QualityRadiusSigmas = 3.0;

    /// <summary>
    /// 8 modes on a circle at angles 2πk/8, k = 0..7 (no duplicate at 2π), as interleaved (x, y) pairs.
    /// </summary>
    public static double[] Ring8(double radius = 1.0)
    {
        var xy = new double[16];
        for (int k = 0; k < 8; k++)
        {
            double angle = 2.0 * Math.PI * k / 8.0;
            xy[2 * k] = radius * Math.Cos(angle);
            xy[2 * k + 1] = radius * Math.Sin(angle);
        }
        return xy;
    }

    /// <summary>25 modes at {−4, −2, 0, 2, 4}², x-major order, as interleaved (x, y) pairs.</summary>
    public static double[] Grid25()
    {
        var xy = new double[50];
        int m = 0;
        for (int i = -2; i <= 2; i++)
            for (int j = -2; j <= 2; j++)
            {
                xy[2 * m] = 2.0 * i;
                xy[2 * m + 1] = 2.0 * j;
                m++;
            }
        return xy;
    }

    /// <summary>
    /// Scores samples against M mode centres. Each sample is assigned to its nearest mode (Euclidean;
    /// ties go to the lower mode index) and is high quality (HQ) when that distance is ≤ 3σ.
    /// <list type="bullet">
    /// <item>ModesCaptured: number of modes that are the nearest mode of at least one HQ sample.</item>
    /// <item>HighQualityPct: 100 · (#HQ samples) / (#samples); 0 when there are no samples.</item>
    /// <item>ReverseKl = Σ_m q_m·ln(q_m·M), i.e. KL(q ‖ uniform over modes): the reverse KL of
    /// PacGAN (model histogram against the true, uniform one), where q_m = h_m / H, h_m the HQ samples
    /// whose nearest mode is m and H = Σ h_m (low-quality samples are ignored; empty bins contribute
    /// 0). Exact coverage gives 0 and a collapse onto one mode ln M. With no HQ sample at all, q is
    /// undefined and the value reported is ln M, as for a total collapse.</item>
    /// </list>
    /// </summary>
    /// <param name="modes">Mode centres as interleaved (x, y) pairs.</param>
    /// <param name="sigma">Standard deviation of each mode's Gaussian.</param>
    /// <param name="samples">Generated points as interleaved (x, y) pairs.</param>
    public static Modes2DReport Evaluate(double[] modes, double sigma, float[] samples)
    {
        ArgumentNullException.ThrowIfNull(modes);
        ArgumentNullException.ThrowIfNull(samples);
        if (modes.Length == 0 || modes.Length % 2 != 0) throw new ArgumentException("modes must hold a non-empty list of (x, y) pairs.", nameof(modes));
        if (samples.Length % 2 != 0) throw new ArgumentException("samples must hold (x, y) pairs.", nameof(samples));
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), "sigma must be positive.");

        int modeCount = modes.Length / 2;
        int sampleCount = samples.Length / 2;
        double limitSquared = QualityRadiusSigmas * sigma * (QualityRadiusSigmas * sigma);
        var hq = new int[modeCount];
        int hqTotal = 0;
        for (int s = 0; s < sampleCount; s++)
        {
            double x = samples[2 * s], y = samples[2 * s + 1];
            int nearest = 0;
            double nearestSquared = double.PositiveInfinity;
            for (int m = 0; m < modeCount; m++)
            {
                double dx = x - modes[2 * m], dy = y - modes[2 * m + 1];
                double d2 = dx * dx + dy * dy;
                if (d2 < nearestSquared)
                {
                    nearestSquared = d2;
                    nearest = m;
                }
            }
            if (nearestSquared <= limitSquared)
            {
                hq[nearest]++;
                hqTotal++;
            }
        }

        int captured = 0;
        double kl = hqTotal > 0 ? 0.0 : Math.Log(modeCount);
        for (int m = 0; m < modeCount; m++)
        {
            if (hq[m] == 0) continue;
            captured++;
            double q = (double)hq[m] / hqTotal;
            kl += q * Math.Log(q * modeCount);
        }
        double pct = sampleCount > 0 ? 100.0 * hqTotal / sampleCount : 0.0;
        return new Modes2DReport(captured, pct, kl, hq, sampleCount);
    }
}
