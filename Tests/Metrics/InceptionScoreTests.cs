using IlgpuGan.Engine.Metrics;

namespace IlgpuGan.Tests.Metrics;

public class InceptionScoreTests
{
    private static float[] OneHot(int count, int classes, Func<int, int> label)
    {
        var p = new float[count * classes];
        for (int s = 0; s < count; s++) p[s * classes + label(s)] = 1f;
        return p;
    }

    [Fact]
    public void UniformPredictions_ScoreOne()
    {
        const int count = 100, classes = 10;
        var p = new float[count * classes];
        Array.Fill(p, 0.1f);
        var (mean, std) = InceptionScore.Compute(p, count, classes);
        Assert.Equal(1.0, mean, 1e-6);
        Assert.Equal(0.0, std, 1e-6);
    }

    [Fact]
    public void BalancedOneHot_ScoresClassCount()
    {
        // Labels cycle 0..9, so each split of 10 consecutive rows holds every class once.
        var (mean, std) = InceptionScore.Compute(OneHot(100, 10, s => s % 10), 100, 10, splits: 10);
        Assert.Equal(10.0, mean, 1e-12);
        Assert.Equal(0.0, std, 1e-12);

        // 105 rows: ⌊105/10⌋ = 10 per split, the last 5 (all class 0..4) are dropped as in the original.
        (mean, _) = InceptionScore.Compute(OneHot(105, 10, s => s % 10), 105, 10, splits: 10);
        Assert.Equal(10.0, mean, 1e-12);
    }

    [Fact]
    public void CollapsedOneHot_ScoresOne()
    {
        var (mean, _) = InceptionScore.Compute(OneHot(50, 10, _ => 3), 50, 10, splits: 5);
        Assert.Equal(1.0, mean, 1e-12);
    }

    [Fact]
    public void SplitsDiffer_PopulationStd()
    {
        // Split 0: one-hot balanced over 2 classes (IS 2); split 1: uniform over 2 classes (IS 1).
        var p = new float[] { 1, 0, 0, 1, 0.5f, 0.5f, 0.5f, 0.5f };
        var (mean, std) = InceptionScore.Compute(p, 4, 2, splits: 2);
        Assert.Equal(1.5, mean, 1e-12);
        Assert.Equal(0.5, std, 1e-12); // ddof = 0, as np.std
    }

    [Fact]
    public void SoftPredictions_MatchDirectFormula()
    {
        // One split, p(y|x) rows (0.7, 0.3) and (0.2, 0.8): p(y) = (0.45, 0.55).
        var p = new float[] { 0.7f, 0.3f, 0.2f, 0.8f };
        double[][] rows = { new double[] { 0.7f, 0.3f }, new double[] { 0.2f, 0.8f } };
        double[] py = { (rows[0][0] + rows[1][0]) / 2, (rows[0][1] + rows[1][1]) / 2 };
        double kl = 0;
        foreach (var r in rows)
            for (int c = 0; c < 2; c++) kl += r[c] * Math.Log(r[c] / py[c]);
        var (mean, _) = InceptionScore.Compute(p, 2, 2, splits: 1);
        Assert.Equal(Math.Exp(kl / 2), mean, 1e-12);
    }
}
