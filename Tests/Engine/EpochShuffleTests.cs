using IlgpuGan.Engine;

namespace IlgpuGan.Tests.Engine;

public sealed class EpochShuffleTests
{
    static int[] Order(int n, ulong seed, uint stream, int epoch)
    {
        var p = new int[n];
        EpochShuffle.Fill(p, seed, stream, epoch);
        return p;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(61)]
    [InlineData(60000)]
    public void Is_a_permutation(int n)
    {
        var p = Order(n, 5, RngStreams.Shuffle, 3);
        Assert.Equal(Enumerable.Range(0, n), p.Order());
    }

    [Fact]
    public void Is_a_pure_function_of_seed_stream_and_epoch()
    {
        var a = Order(1000, 5, RngStreams.Shuffle, 3);
        Assert.Equal(a, Order(1000, 5, RngStreams.Shuffle, 3));
        Assert.NotEqual(a, Order(1000, 5, RngStreams.Shuffle, 4));
        Assert.NotEqual(a, Order(1000, 6, RngStreams.Shuffle, 3));
        Assert.NotEqual(a, Order(1000, 5, RngStreams.Classifier.Shuffle, 3));
    }

    [Fact]
    public void Overwrites_whatever_the_buffer_held()
    {
        var p = Enumerable.Repeat(-7, 50).ToArray();
        EpochShuffle.Fill(p, 1, RngStreams.Shuffle, 0);
        Assert.Equal(Order(50, 1, RngStreams.Shuffle, 0), p);
    }

    [Fact]
    public void Every_position_is_about_equally_likely()
    {
        // Where element 0 lands over 4000 epochs of a 10-element shuffle: 400 expected per slot.
        const int n = 10, epochs = 4000;
        var counts = new int[n];
        for (int e = 0; e < epochs; e++) counts[Array.IndexOf(Order(n, 9, RngStreams.Shuffle, e), 0)]++;
        double chi2 = counts.Sum(c => (c - 400.0) * (c - 400.0) / 400.0);
        Assert.True(chi2 < 27.9, $"chi² {chi2:F1} (9 dof, p = 0.001 at 27.9): {string.Join(",", counts)}");
    }
}
