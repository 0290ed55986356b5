using IlgpuGan.Engine.Metrics;

namespace IlgpuGan.Tests.Metrics;

public class Modes2DTests
{

    /// <summary>perMode copies of every listed mode centre (or offset from it), as float pairs.</summary>
    private static float[] At(double[] modes, IEnumerable<int> which, int perMode, double dx = 0, double dy = 0)
    {
        var xy = new List<float>();
        foreach (int m in which)
            for (int r = 0; r < perMode; r++)
            {
                xy.Add((float)(modes[2 * m] + dx));
                xy.Add((float)(modes[2 * m + 1] + dy));
            }
        return xy.ToArray();
    }

    [Fact]
    public void Ring8_Layout()
    {
        double[] ring = Modes2D.Ring8();
        Assert.Equal(16, ring.Length);
        Assert.Equal(1.0, ring[0], 1e-15);
        Assert.Equal(0.0, ring[1], 1e-15);
        Assert.Equal(0.0, ring[4], 1e-15); // k = 2: (0, 1)
        Assert.Equal(1.0, ring[5], 1e-15);
        for (int k = 0; k < 8; k++)
        {
            Assert.Equal(1.0, Math.Sqrt(ring[2 * k] * ring[2 * k] + ring[2 * k + 1] * ring[2 * k + 1]), 1e-15);
            // Neighbours are 2 sin(π/8) apart; in particular the last mode is not a copy of the first.
            int next = (k + 1) % 8;
            double gap = Math.Sqrt(Math.Pow(ring[2 * k] - ring[2 * next], 2) + Math.Pow(ring[2 * k + 1] - ring[2 * next + 1], 2));
            Assert.Equal(2 * Math.Sin(Math.PI / 8), gap, 1e-14);
        }
        Assert.Equal(2.0, Modes2D.Ring8(2.0)[0], 1e-15);
        Assert.Equal(0.01, Modes2D.Ring8Sigma);
    }

    [Fact]
    public void Grid25_Layout()
    {
        double[] grid = Modes2D.Grid25();
        Assert.Equal(50, grid.Length);
        var points = Enumerable.Range(0, 25).Select(m => (grid[2 * m], grid[2 * m + 1])).ToHashSet();
        Assert.Equal(25, points.Count);
        double[] axis = { -4, -2, 0, 2, 4 };
        foreach (double x in axis)
            foreach (double y in axis)
                Assert.Contains((x, y), points);
        Assert.Equal(0.05, Modes2D.Grid25Sigma);
    }

    [Fact]
    public void SamplesAtEveryMode_FullCoverage()
    {
        foreach (var (modes, sigma) in new[] { (Modes2D.Ring8(), Modes2D.Ring8Sigma), (Modes2D.Grid25(), Modes2D.Grid25Sigma) })
        {
            int m = modes.Length / 2;
            var report = Modes2D.Evaluate(modes, sigma, At(modes, Enumerable.Range(0, m), perMode: 5));
            Assert.Equal(m, report.ModesCaptured);
            Assert.Equal(100.0, report.HighQualityPct);
            Assert.Equal(0.0, report.ReverseKl, 1e-12);
            Assert.All(report.HighQualityPerMode, c => Assert.Equal(5, c));
            Assert.Equal(5 * m, report.SampleCount);
        }
    }

    [Fact]
    public void CollapsedOnOneMode_ClosedForm()
    {
        double[] ring = Modes2D.Ring8();
        var report = Modes2D.Evaluate(ring, Modes2D.Ring8Sigma, At(ring, new[] { 3 }, perMode: 40));
        Assert.Equal(1, report.ModesCaptured);
        Assert.Equal(100.0, report.HighQualityPct);
        // KL(q ‖ U) with q = (1 at mode 3): 1·ln(1·8).
        double expected = Math.Log(8);
        Assert.Equal(expected, report.ReverseKl, 1e-12);
    }

    [Fact]
    public void TwoModesHalfAndHalf_ClosedForm()
    {
        double[] ring = Modes2D.Ring8();
        var report = Modes2D.Evaluate(ring, Modes2D.Ring8Sigma, At(ring, new[] { 0, 5 }, perMode: 10));
        Assert.Equal(2, report.ModesCaptured);
        double expected = 2 * 0.5 * Math.Log(0.5 * 8);   // = ln 4
        Assert.Equal(expected, report.ReverseKl, 1e-12);
    }

    [Fact]
    public void FarAway_NothingCaptured()
    {
        double[] grid = Modes2D.Grid25();
        var samples = Enumerable.Repeat(new[] { 20f, -20f }, 30).SelectMany(p => p).ToArray();
        var report = Modes2D.Evaluate(grid, Modes2D.Grid25Sigma, samples);
        Assert.Equal(0, report.ModesCaptured);
        Assert.Equal(0.0, report.HighQualityPct);
        Assert.Equal(Math.Log(25), report.ReverseKl, 1e-12);   // no HQ sample: reported as a total collapse
    }

    [Fact]
    public void ThreeSigmaBoundary_AndLowQualityIgnored()
    {
        double[] ring = Modes2D.Ring8();
        double s = Modes2D.Ring8Sigma;
        // Mode 0 is (1, 0); offsets along y keep mode 0 the nearest. 2.9σ is HQ, 3.1σ is not.
        float[] samples = At(ring, new[] { 0 }, 1, dy: 2.9 * s).Concat(At(ring, new[] { 0 }, 1, dy: 3.1 * s)).ToArray();
        var report = Modes2D.Evaluate(ring, s, samples);
        Assert.Equal(1, report.ModesCaptured);
        Assert.Equal(50.0, report.HighQualityPct);
        Assert.Equal(new[] { 1, 0, 0, 0, 0, 0, 0, 0 }, report.HighQualityPerMode);

        // Low-quality samples near other modes do not count as capturing them.
        float[] mixed = samples.Concat(At(ring, new[] { 4 }, 3, dx: 5 * s)).ToArray();
        var r2 = Modes2D.Evaluate(ring, s, mixed);
        Assert.Equal(1, r2.ModesCaptured);
        Assert.Equal(20.0, r2.HighQualityPct, 1e-12);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => Modes2D.Evaluate(new double[3], 0.1, new float[2]));
        Assert.Throws<ArgumentException>(() => Modes2D.Evaluate(new double[2], 0.1, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Modes2D.Evaluate(new double[2], 0.0, new float[2]));
    }
}
