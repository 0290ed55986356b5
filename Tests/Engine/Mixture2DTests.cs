using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Tests.Engine;

public sealed class Mixture2DTests
{
    [Theory]
    [InlineData("ring8", 8)]
    [InlineData("grid25", 25)]
    public void Samples_lie_around_distinct_modes_and_depend_only_on_seed_and_index(string name, int modes)
    {
        var m = Mixture2D.Get(name);
        Assert.Equal(modes, m.ModeCount);
        var centres = Enumerable.Range(0, modes).Select(i => (m.Modes[2 * i], m.Modes[2 * i + 1])).ToList();
        Assert.Equal(modes, centres.Select(c => (Math.Round(c.Item1, 9), Math.Round(c.Item2, 9))).Distinct().Count());

        var a = new float[2 * 4000];
        m.Fill(a, 4000, seed: 9, first: 0);
        var hits = new int[modes];
        for (int i = 0; i < 4000; i++)
        {
            var (d, k) = centres.Select((c, j) => (Math.Sqrt((a[2 * i] - c.Item1) * (a[2 * i] - c.Item1) + (a[2 * i + 1] - c.Item2) * (a[2 * i + 1] - c.Item2)), j)).Min();
            Assert.True(d < 6 * m.Sigma, $"sample {i} is {d / m.Sigma:F1}σ from its nearest mode");
            hits[k]++;
        }
        Assert.All(hits, h => Assert.InRange(h, 4000 / modes / 2, 4000 / modes * 2));   // roughly uniform over modes

        var b = new float[2 * 100];
        m.Fill(b, 100, seed: 9, first: 3900);   // the same samples, drawn by index
        Assert.Equal(a.AsSpan(2 * 3900, 200).ToArray(), b);
    }
}
