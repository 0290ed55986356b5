using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Verification;
using IlgpuGan.Kernels;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Split-K and the planner's small tiles on ILGPU's CPU accelerator, against the float64 reference:
/// the seed GAN's GEMMs as an H100 would plan them, and forced plans at odd shapes in every form.
/// </summary>
public sealed class SimulatorSplitKGemmTests(SimulatorGpuTilesFixture f) : IClassFixture<SimulatorGpuTilesFixture>
{
    IlgpuBackend Backend => (IlgpuBackend)f.Backend;

    static void Pass(CheckResult r) => Assert.True(r.Passed, $"{r.Kernel} at {r.Shape}: error {r.MaxError:E2} > tolerance {r.Tolerance:E2}");

    public static TheoryData<int, int, int, bool, bool, bool> SeedGemms()
    {
        var data = new TheoryData<int, int, int, bool, bool, bool>();
        foreach (var s in KernelChecks.SeedGemms(large: true)) data.Add(s.M, s.N, s.K, s.TransA, s.TransB, s.Accumulate);
        return data;
    }

    [Theory]
    [MemberData(nameof(SeedGemms))]
    public void Seed_gemms_with_the_h100_plan_match_reference(int m, int n, int k, bool ta, bool tb, bool accumulate)
    {
        var plan = Backend.PlanFor(new GemmProblem(m, n, k, ta, tb));
        // Only the 256-thread tile is out of the simulator's reach, and the H100 plans no seed GEMM with it.
        Assert.Equal(GemmPlanner.Choose(m, n, k, ta, tb, GemmDevice.H100), plan);
        Pass(new KernelChecks(Backend).Gemm(m, n, k, ta, tb, accumulate));
    }

    [Fact]
    public void The_seed_gemms_exercise_split_K() =>
        Assert.Contains(KernelChecks.SeedGemms(large: true), s => Backend.PlanFor(new GemmProblem(s.M, s.N, s.K, s.TransA, s.TransB)).SplitK > 1);

    public static TheoryData<string, int, int, int, int, int, bool, bool, bool> ForcedPlans()
    {
        var data = new TheoryData<string, int, int, int, int, int, bool, bool, bool>();
        var forms = new[] { (false, false), (false, true), (true, false) };
        foreach (var tiles in new[] { nameof(GemmTiles.Gpu), nameof(GemmTiles.Wide), nameof(GemmTiles.Tall), nameof(GemmTiles.Small) })
        {
            foreach (var (ta, tb) in forms)
            {
                data.Add(tiles, 33, 47, 129, 4, 0, ta, tb, false);     // ragged last range
                data.Add(tiles, 65, 70, 50, 2, 0, ta, tb, true);       // last range shorter than a slice, accumulating
            }
            data.Add(tiles, 1, 70, 40, 2, 0, false, true, false);      // M = 1
            data.Add(tiles, 70, 1, 100, 3, 0, true, false, true);      // N = 1
            data.Add(tiles, 1, 1, 100, 16, 0, false, false, false);
            data.Add(tiles, 9, 17, 25, 3, 10, false, true, true);      // ranges of 10 < Bk = 16, built directly
            data.Add(tiles, 9, 17, 5, 2, 0, true, false, false);       // K under one slice: runs unsplit
        }
        return data;
    }

    /// <param name="chunk">0: the plan from <see cref="GemmPlan.Split"/>; otherwise a plan of that many K per range.</param>
    [Theory]
    [MemberData(nameof(ForcedPlans))]
    public void Forced_plans_match_reference(string tiles, int m, int n, int k, int splitK, int chunk, bool ta, bool tb, bool accumulate)
    {
        var t = (GemmTiles)typeof(GemmTiles).GetField(tiles)!.GetValue(null)!;
        var plan = chunk == 0 ? GemmPlan.Split(t, k, splitK) : new GemmPlan(t, splitK, chunk);
        Pass(new KernelChecks(Backend).GemmWithPlan(plan, m, n, k, ta, tb, accumulate));
    }

    /// <summary>The seed's forward GEMMs as Linear forwards with the H100 plan: the big ones split K, so the reduction applies the epilogue.</summary>
    [Fact]
    public void Seed_linear_forwards_with_the_h100_plan_match_reference()
    {
        var forwards = KernelChecks.SeedGemms(large: true).Where(s => !s.TransA && s.TransB).ToList();
        Assert.Contains(forwards, s => Backend.PlanFor(new GemmProblem(s.M, s.N, s.K, false, true)).SplitK > 1);
        var checks = new KernelChecks(Backend);
        foreach (var s in forwards)
            Pass(checks.LinearForward(s.M, s.N, s.K, s.N == 784 ? Activation.Tanh : Activation.LeakyReLU, withBias: true));
    }

    public static TheoryData<string, int, int, int, int, Activation, bool> ForcedLinearPlans()
    {
        var data = new TheoryData<string, int, int, int, int, Activation, bool>();
        foreach (var act in Enum.GetValues<Activation>())
        {
            data.Add(nameof(GemmTiles.Gpu), 33, 47, 129, 4, act, true);       // ragged last range
            data.Add(nameof(GemmTiles.Small), 65, 70, 50, 2, act, false);     // last range shorter than a slice, no bias
        }
        foreach (var tiles in new[] { nameof(GemmTiles.Wide), nameof(GemmTiles.Tall) })
        {
            data.Add(tiles, 1, 70, 40, 2, Activation.Sigmoid, true);         // M = 1
            data.Add(tiles, 70, 1, 100, 3, Activation.LeakyReLU, true);      // N = 1
            data.Add(tiles, 9, 17, 5, 2, Activation.Tanh, true);             // K under one slice: runs unsplit, epilogue in the GEMM
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ForcedLinearPlans))]
    public void Linear_forward_with_forced_plans_matches_reference(string tiles, int rows, int outF, int inF, int splitK, Activation act, bool withBias)
    {
        var t = (GemmTiles)typeof(GemmTiles).GetField(tiles)!.GetValue(null)!;
        Pass(new KernelChecks(Backend).LinearForwardWithPlan(GemmPlan.Split(t, inF, splitK), rows, outF, inF, act, withBias));
    }

    public static TheoryData<string, int, int, int, int, Activation, bool> ForcedInputGradPlans()
    {
        var data = new TheoryData<string, int, int, int, int, Activation, bool>();
        foreach (var act in Enum.GetValues<Activation>())
        {
            data.Add(nameof(GemmTiles.Gpu), 33, 47, 129, 4, act, true);       // ragged last range
            data.Add(nameof(GemmTiles.Small), 65, 70, 50, 2, act, true);      // last range shorter than a slice
        }
        data.Add(nameof(GemmTiles.Gpu), 33, 47, 129, 4, Activation.LeakyReLU, false);   // no mask: the plain dX GEMM
        foreach (var tiles in new[] { nameof(GemmTiles.Wide), nameof(GemmTiles.Tall) })
        {
            data.Add(tiles, 1, 70, 40, 2, Activation.Sigmoid, true);         // M = 1
            data.Add(tiles, 70, 1, 100, 3, Activation.LeakyReLU, true);      // N = 1
            data.Add(tiles, 9, 17, 5, 2, Activation.Tanh, true);             // K under one slice: runs unsplit, mask in the GEMM
        }
        return data;
    }

    /// <summary>dx = (dy·W) ⊙ act'(y) (rows×in×out) with forced plans: split, the reduction applies the mask to the sum.</summary>
    [Theory]
    [MemberData(nameof(ForcedInputGradPlans))]
    public void Linear_input_grad_with_forced_plans_matches_reference(string tiles, int rows, int inF, int outF, int splitK, Activation act, bool masked)
    {
        var t = (GemmTiles)typeof(GemmTiles).GetField(tiles)!.GetValue(null)!;
        Pass(new KernelChecks(Backend).LinearInputGradWithPlan(GemmPlan.Split(t, outF, splitK), rows, inF, outF, act, masked));
    }

    /// <summary>The seed's dX GEMMs with the H100 plan and a LeakyReLU mask (those that split K apply it in the reduction).</summary>
    [Fact]
    public void Seed_input_grads_with_the_h100_plan_match_reference()
    {
        var dxs = KernelChecks.SeedGemms(large: true).Where(s => !s.TransA && !s.TransB).ToList();
        Assert.Contains(dxs, s => Backend.PlanFor(new GemmProblem(s.M, s.N, s.K, false, false)).SplitK > 1);
        var checks = new KernelChecks(Backend);
        foreach (var s in dxs)
            Pass(checks.LinearInputGrad(s.M, s.N, s.K, Activation.LeakyReLU));
    }

    [Fact]
    public void An_epilogue_with_accumulate_is_refused()
    {
        var plan = GemmPlan.Split(GemmTiles.Gpu, 129, 4);
        Assert.Throws<ArgumentException>(() => plan.Args(33, 47, 129, false, true, accumulate: true, GemmEpilogue.For(true, Activation.ReLU, 0)));
        Assert.False(plan.Args(33, 47, 129, false, true, accumulate: false, GemmEpilogue.For(true, Activation.ReLU, 0)).Epilogue.IsOn);   // the partials stay plain
        Assert.True(GemmPlan.Single(GemmTiles.Gpu, 129).Args(33, 47, 129, false, true, false, GemmEpilogue.For(false, Activation.Tanh, 0)).Epilogue.IsOn);
        Assert.Throws<ArgumentException>(() => plan.Args(33, 47, 129, false, false, accumulate: true, GemmEpilogue.Grad(Activation.LeakyReLU, 0.2f)));
        Assert.False(plan.Args(33, 47, 129, false, false, accumulate: false, GemmEpilogue.Grad(Activation.LeakyReLU, 0.2f)).Epilogue.IsOn);
        Assert.False(GemmEpilogue.Grad(Activation.Identity, 0).IsOn);   // act' = 1: the plain GEMM
    }

    [Fact]
    public void Split_K_results_are_the_same_bits_every_run()
    {
        const int m = 64, n = 256, k = 512;
        var plan = Backend.PlanFor(new GemmProblem(m, n, k, false, true));
        Assert.True(plan.SplitK > 1, plan.ToString());
        var rng = new Random(5);
        using var a = Backend.Allocate<float>(m * k);
        using var b = Backend.Allocate<float>(k * n);
        using var c = Backend.Allocate<float>(m * n);
        a.CopyFromHost(Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 0);
        b.CopyFromHost(Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 0);
        float[] Run()
        {
            Backend.Gemm(Tensor.Whole(a), Tensor.Whole(b), Tensor.Whole(c), new GemmProblem(m, n, k, false, true));
            return Tensor.Whole(c).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void The_workspace_is_sized_when_plans_are_made_and_never_per_launch()
    {
        var shapes = KernelChecks.SeedGemms(large: true).ToList();
        foreach (var s in shapes) Backend.PlanFor(new GemmProblem(s.M, s.N, s.K, s.TransA, s.TransB));
        long needed = shapes.Max(s => Backend.PlanFor(new GemmProblem(s.M, s.N, s.K, s.TransA, s.TransB)).WorkspaceFloats(s.M, s.N));
        Assert.True(Backend.WorkspaceFloats >= needed);
        int allocations = Backend.WorkspaceAllocations;
        var checks = new KernelChecks(Backend);
        foreach (var s in shapes.Where(s => s.M * s.N * s.K <= 64 * 256 * 512))
            Pass(checks.Gemm(s.M, s.N, s.K, s.TransA, s.TransB, s.Accumulate));
        Assert.Equal(allocations, Backend.WorkspaceAllocations);
    }
}

/// <summary>The 128×128, 256-thread tile, forced, on a simulator whose groups hold 256 threads.</summary>
public sealed class SimulatorLargeTileGemmTests(SimulatorLargeGroupsFixture f) : IClassFixture<SimulatorLargeGroupsFixture>
{
    [Theory]
    [InlineData(130, 129, 40, 1, false, true, false)]
    [InlineData(130, 129, 70, 2, true, false, true)]
    [InlineData(1, 200, 33, 2, false, false, false)]
    public void Large_tile_plans_match_reference(int m, int n, int k, int splitK, bool ta, bool tb, bool accumulate)
    {
        var r = new KernelChecks(f.Backend).GemmWithPlan(GemmPlan.Split(GemmTiles.Large, k, splitK), m, n, k, ta, tb, accumulate);
        Assert.True(r.Passed, $"{r.Kernel} {r.Shape}: {r.MaxError:E2}");
    }
}
