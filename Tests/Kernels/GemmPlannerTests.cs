using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Verification;

namespace IlgpuGan.Tests.Kernels;

/// <summary>The GEMM planner is a pure function of shape and device: checked here without any accelerator.</summary>
public sealed class GemmPlannerTests
{
    static readonly GemmDevice H100 = GemmDevice.H100;

    [Theory]
    [InlineData(64, 512, 784, false, true)]    // D fwd L1: Y = X·Wᵀ
    [InlineData(64, 256, 512, false, true)]    // D fwd L2
    [InlineData(64, 784, 512, false, true)]    // G fwd L3
    [InlineData(512, 784, 64, true, false)]    // D dW L1 = dYᵀ·X
    [InlineData(784, 512, 64, true, false)]    // G dW L3
    [InlineData(64, 512, 256, false, false)]   // D dX L2 = dY·W
    [InlineData(64, 784, 512, false, false)]   // D dX L1
    public void Seed_gemms_at_batch_64_keep_every_SM_busy(int m, int n, int k, bool ta, bool tb)
    {
        var plan = GemmPlanner.Choose(m, n, k, ta, tb, H100);
        Assert.True(plan.Groups(m, n) >= H100.Multiprocessors, $"{m}x{n}x{k}: {plan} runs {plan.Groups(m, n)} groups on {H100.Multiprocessors} SMs");
    }

    [Fact]
    public void The_first_discriminator_layer_is_split_along_K()
    {
        var plan = GemmPlanner.Choose(64, 512, 784, false, true, H100);
        Assert.True(plan.SplitK > 1, plan.ToString());
        Assert.True(plan.Groups(64, 512) >= GemmPlanner.TargetWaves * H100.Multiprocessors, plan.ToString());
    }

    [Fact]
    public void A_large_square_keeps_the_biggest_tile_and_no_split()
    {
        Assert.Equal(GemmPlan.Single(GemmTiles.Large, 4096), GemmPlanner.Choose(4096, 4096, 4096, false, false, H100));
        // A device whose groups cannot hold 256 threads gets the biggest tile that fits.
        Assert.Equal(GemmPlan.Single(GemmTiles.Gpu, 4096), GemmPlanner.Choose(4096, 4096, 4096, false, true, H100 with { MaxThreadsPerGroup = 64 }));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 3)]
    [InlineData(64, 1, 64)]
    [InlineData(16, 16, 64)]
    [InlineData(64, 1, 256)]
    public void Tiny_shapes_are_not_split(int m, int n, int k)
    {
        var plan = GemmPlanner.Choose(m, n, k, false, false, H100);
        Assert.Equal(1, plan.SplitK);
        Assert.Equal(GemmTiles.Small with { Bk = Math.Min(16, k) }, plan.Tiles);
    }

    public static TheoryData<int, int> Devices() => new() { { 132, 1024 }, { 132, 64 }, { 108, 1024 }, { 2, 16 }, { 1, 16 }, { 16, 256 } };

    [Theory]
    [MemberData(nameof(Devices))]
    public void Every_plan_covers_K_once_fits_the_device_and_splits_only_when_tiles_fall_short(int sms, int maxThreads)
    {
        var device = new GemmDevice(sms, maxThreads);
        var rng = new Random(sms * 7919 + maxThreads);
        var shapes = SeedShapes().Concat(Enumerable.Range(0, 400).Select(_ => (rng.Next(1, 3000), rng.Next(1, 3000), rng.Next(0, 5000))));
        foreach (var (m, n, k) in shapes)
        {
            var plan = GemmPlanner.Choose(m, n, k, false, true, device);
            string at = $"{m}x{n}x{k} on {sms}x{maxThreads}: {plan}";
            Assert.True(plan.Covers(k), at);
            Assert.True(plan.Tiles.Threads <= maxThreads, at);
            Assert.True(plan.Tiles.Bk is >= 1 and <= 16, at);
            Assert.Equal(plan, GemmPlanner.Choose(m, n, k, false, true, device));
            if (plan.SplitK == 1) continue;
            Assert.True(plan.SplitK <= GemmPlanner.MaxSplitK, at);
            Assert.True(plan.KChunk >= GemmPlanner.MinSplitDepth && plan.KChunk % plan.Tiles.Bk == 0, at);
            Assert.True((long)m * n * k >= GemmPlanner.MinSplitFmas, at);
            long target = (long)GemmPlanner.TargetWaves * sms;
            Assert.All(GemmPlanner.Candidates.Where(t => t.Threads <= maxThreads), t => Assert.True(t.OutputTiles(m, n) < target, at));
            Assert.True(plan.WorkspaceFloats(m, n) <= (long)GemmPlanner.MaxSplitK * m * n, at);
        }
    }

    static IEnumerable<(int, int, int)> SeedShapes() =>
        KernelChecks.SeedGemms(large: true).Concat(KernelChecks.SeedGemms(large: true, batch: 4096)).Select(s => (s.M, s.N, s.K));

    [Fact]
    public void A_device_without_room_for_the_smallest_tile_is_refused() =>
        Assert.Throws<ArgumentException>(() => GemmPlanner.Choose(64, 64, 64, false, false, new GemmDevice(4, 8)));

    [Theory]
    [InlineData(784, 9, 9, 96)]     // 8 ranges of 96 and one of 16
    [InlineData(100, 5, 4, 32)]     // whole 16-deep slices per range: 5 requested, 4 needed
    [InlineData(129, 4, 3, 48)]
    [InlineData(40, 2, 2, 32)]      // the last range (8) is shorter than a slice
    [InlineData(7, 4, 1, 7)]        // K under one slice: nothing to split
    [InlineData(0, 3, 1, 1)]
    public void Split_cuts_K_into_whole_slices(int k, int requested, int splits, int chunk)
    {
        var plan = GemmPlan.Split(GemmTiles.Gpu, k, requested);
        Assert.Equal(splits, plan.SplitK);
        Assert.Equal(chunk, plan.KChunk);
        Assert.True(plan.Covers(k));
    }
}
