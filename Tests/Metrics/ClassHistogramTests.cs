using IlgpuGan.Engine.Metrics;

namespace IlgpuGan.Tests.Metrics;

public class ClassHistogramTests
{
    [Fact]
    public void SmallHistogram_KnownAnswers()
    {
        var h = ClassHistogram.Compute(new[] { 0, 0, 1, 2 }, 4);
        Assert.Equal(new[] { 2, 1, 1, 0 }, h.Counts);
        Assert.Equal(4, h.Total);
        Assert.Equal(3, h.ModesCovered);
        // p = (½, ¼, ¼, 0): ½ ln 2 + 2·¼ ln 1 + 0.
        Assert.Equal(0.5 * Math.Log(2), h.KlToUniform, 1e-15);
    }

    [Fact]
    public void OnePercentThreshold_IsInclusive()
    {
        // 200 samples: 2 is exactly 1% (covered), 1 is 0.5% (not).
        var predictions = new int[200];
        predictions[0] = 1;
        predictions[1] = 1;
        predictions[2] = 2;
        var h = ClassHistogram.Compute(predictions, 3);
        Assert.Equal(new[] { 197, 2, 1 }, h.Counts);
        Assert.Equal(2, h.ModesCovered);
    }

    [Fact]
    public void UniformAndCollapsed_Extremes()
    {
        int[] uniform = Enumerable.Range(0, 1000).Select(i => i % 10).ToArray();
        var u = ClassHistogram.Compute(uniform, 10);
        Assert.Equal(10, u.ModesCovered);
        Assert.Equal(0.0, u.KlToUniform, 1e-15);

        var c = ClassHistogram.Compute(new int[1000], 10);
        Assert.Equal(1, c.ModesCovered);
        Assert.Equal(Math.Log(10), c.KlToUniform, 1e-15);

        var empty = ClassHistogram.Compute(Array.Empty<int>(), 10);
        Assert.Equal(0, empty.ModesCovered);
        Assert.Equal(0.0, empty.KlToUniform);
    }

    [Fact]
    public void OutOfRangeClass_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassHistogram.Compute(new[] { 0, 10 }, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassHistogram.Compute(new[] { -1 }, 10));
    }
}
