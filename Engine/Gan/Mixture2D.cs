using IlgpuGan.Engine.Metrics;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// The 2D mode-collapse benchmarks of PacGAN: "ring8" (8 Gaussians on the unit circle, σ = 0.01)
/// and "grid25" (25 Gaussians on {−4, −2, 0, 2, 4}², σ = 0.05). Samples are drawn on the fly:
/// sample i of a run is a pure function of (seed, i), so a resumed run sees the same data.
/// </summary>
public sealed class Mixture2D
{
    public static readonly string[] Names = ["ring8", "grid25"];

    Mixture2D(string name, double[] modes, double sigma, double extent)
    {
        Name = name;
        Modes = modes;
        Sigma = sigma;
        Extent = extent;
    }

    public string Name { get; }

    /// <summary>Mode centres as x, y pairs.</summary>
    public double[] Modes { get; }
    public double Sigma { get; }

    /// <summary>Half-width of a square that shows every mode with a margin (for plots).</summary>
    public double Extent { get; }

    public int ModeCount => Modes.Length / 2;

    public static bool IsMixture(string dataset) => Names.Contains(dataset);

    public static Mixture2D Get(string name) => name switch
    {
        "ring8" => new("ring8", Modes2D.Ring8(), Modes2D.Ring8Sigma, 1.5),
        "grid25" => new("grid25", Modes2D.Grid25(), Modes2D.Grid25Sigma, 6),
        _ => throw new InvalidSettingException("dataset", $"must be a 2D mixture: {string.Join(" or ", Names)}", $"'{name}'"),
    };

    /// <summary>Writes samples first .. first+n−1 as x, y pairs: a uniform mode plus σ·N(0, I).</summary>
    public void Fill(Span<float> dst, int n, ulong seed, long first, uint stream = RngStreams.Mixture)
    {
        for (int i = 0; i < n; i++)
        {
            ulong index = (ulong)(first + i);
            Philox.Element(seed, stream, index, out uint r0, out uint r1, out uint r2, out _);
            int mode = (int)(Philox.ToUniform(r0) * ModeCount) % ModeCount;
            double u1 = ((r1 >> 8) + 1) / 16777216.0, u2 = (r2 >> 8) / 16777216.0;
            // Box–Muller: one uniform pair gives both coordinates' normals (cos and sin).
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            dst[2 * i] = (float)(Modes[2 * mode] + Sigma * radius * Math.Cos(2 * Math.PI * u2));
            dst[2 * i + 1] = (float)(Modes[2 * mode + 1] + Sigma * radius * Math.Sin(2 * Math.PI * u2));
        }
    }
}
