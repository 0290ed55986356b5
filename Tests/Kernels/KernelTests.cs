using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Verification;
using IlgpuGan.Kernels;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Every kernel against its float64 reference. Written once, run on each accelerator by the
/// subclasses below (the CUDA one skips without a GPU).
/// </summary>
public abstract class KernelTests(BackendFixture fixture)
{
    KernelChecks Checks => new(fixture.Backend);

    static void Pass(CheckResult r) => Assert.True(r.Passed, $"{r.Kernel} at {r.Shape}: error {r.MaxError:E2} > tolerance {r.Tolerance:E2}");

    public static TheoryData<int, int, int, bool, bool> GemmShapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        var fixedShapes = new[] { (1, 1, 1), (7, 5, 3), (16, 16, 64), (17, 15, 65), (63, 65, 129), (64, 129, 7) };
        // Plus seeded random shapes, most of them not tile multiples.
        var rng = new Random(1234);
        var shapes = fixedShapes.Concat(Enumerable.Range(0, 4).Select(_ => (rng.Next(1, 140), rng.Next(1, 140), rng.Next(1, 200))));
        foreach (var (m, n, k) in shapes)
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
                data.Add(m, n, k, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(GemmShapes))]
    public void Gemm_matches_reference(int m, int n, int k, bool transA, bool transB) =>
        Pass(Checks.Gemm(m, n, k, transA, transB, accumulate: false));

    [Theory]
    [InlineData(33, 47, 29, false, false)]
    [InlineData(33, 47, 29, false, true)]
    [InlineData(33, 47, 29, true, false)]
    public void Gemm_accumulates_into_C(int m, int n, int k, bool transA, bool transB) =>
        Pass(Checks.Gemm(m, n, k, transA, transB, accumulate: true));

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void Activation_forward_and_backward_match_reference(Activation act)
    {
        Pass(Checks.BiasActivation(7, 65, act, withBias: true));
        Pass(Checks.BiasActivation(3, 17, act, withBias: false));
        Pass(Checks.ActivationBackward(9, 33, act));
    }

    public static TheoryData<Activation, bool> ActivationsWithAndWithoutBias()
    {
        var data = new TheoryData<Activation, bool>();
        foreach (var act in Enum.GetValues<Activation>())
        {
            data.Add(act, true);
            data.Add(act, false);
        }
        return data;
    }

    /// <summary>The GEMM with its bias+activation epilogue, at tile-edge shapes and the seed's 784-wide layer (rows×out×in).</summary>
    [Theory]
    [MemberData(nameof(ActivationsWithAndWithoutBias))]
    public void Linear_forward_matches_reference(Activation act, bool withBias)
    {
        foreach (var (rows, outF, inF) in new[] { (1, 1, 1), (7, 5, 3), (63, 65, 129), (64, 784, 512) })
            Pass(Checks.LinearForward(rows, outF, inF, act, withBias));
    }

    /// <summary>The dX GEMM with the lower layer's activation derivative as its epilogue, at tile-edge shapes and the seed's 784-wide layer (rows×in×out).</summary>
    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void Linear_input_grad_matches_reference(Activation act)
    {
        foreach (var (rows, inF, outF) in new[] { (1, 1, 1), (7, 5, 3), (63, 65, 129), (17, 33, 2), (64, 512, 784) })
        {
            Pass(Checks.LinearInputGrad(rows, inF, outF, act));
            Pass(Checks.LinearInputGrad(rows, inF, outF, act, masked: false));
        }
    }

    [Theory]
    [InlineData(1, 7, false)]
    [InlineData(63, 129, false)]
    [InlineData(9, 33, true)]
    public void Bias_grad_matches_reference(int rows, int cols, bool accumulate) =>
        Pass(Checks.BiasGrad(rows, cols, accumulate));

    [Theory]
    [InlineData(2, 7)]
    [InlineData(63, 129)]
    [InlineData(64, 256)]
    public void BatchNorm_train_forward_and_backward_match_reference(int rows, int cols)
    {
        Pass(Checks.BatchNormTrain(rows, cols));
        Pass(Checks.BatchNormBackward(rows, cols, accumulate: false));
    }

    [Fact]
    public void BatchNorm_eval_and_accumulating_backward_match_reference()
    {
        Pass(Checks.BatchNormEval(63, 129));
        Pass(Checks.BatchNormBackward(9, 33, accumulate: true));
    }

    [Theory]
    [InlineData(LossKind.BceWithLogits, 1, 1f)]
    [InlineData(LossKind.BceWithLogits, 7, 0f)]
    [InlineData(LossKind.BceWithLogits, 64, 0.9f)]
    [InlineData(LossKind.BceWithLogits, 1000, 0.1f)]
    [InlineData(LossKind.Linear, 65, 1f)]
    [InlineData(LossKind.Linear, 300, -1f)]
    [InlineData(LossKind.Squared, 65, 1f)]
    [InlineData(LossKind.Squared, 300, 0f)]
    [InlineData(LossKind.Hinge, 65, 1f)]
    [InlineData(LossKind.Hinge, 1000, -1f)]
    public void Loss_value_and_gradient_match_reference(LossKind kind, int n, float target) => Pass(Checks.Loss(kind, n, target));

    [Theory]
    [InlineData(1, Poison.None, 0, 0)]
    [InlineData(1, Poison.NaN, 0, 0)]
    [InlineData(7, Poison.PositiveInfinity, 6, 0)]
    [InlineData(1000, Poison.NegativeInfinity, 999, 0)]
    [InlineData(65537, Poison.NaN, 40000, 0)]
    [InlineData(65537, Poison.LargestFinite, 3, 0)]
    [InlineData(300, Poison.None, 0, 0)]
    [InlineData(300, Poison.NaN, 17, 9)]
    [InlineData(300, Poison.NaN, 17, 0, true)]
    [InlineData(300, Poison.None, 0, 0, true)]
    public void MarkNonFinite_flags_NaN_and_infinity_once(int n, Poison poison, int at, int flagBefore, bool counted = false) =>
        Pass(Checks.MarkNonFinite(n, poison, at, flagBefore, counted));

    [Fact]
    public void Clamp_keeps_values_inside_the_clip_range() => Pass(Checks.Clamp(1001, 0.01f));

    [Theory]
    [InlineData(7, 33)]
    [InlineData(64, 784)]
    public void Interpolate_matches_reference(int rows, int cols) => Pass(Checks.Interpolate(rows, cols));

    [Theory]
    [InlineData(1, 5, false)]
    [InlineData(9, 300, true)]
    [InlineData(130, 784, false)]
    public void Gradient_penalty_matches_reference(int rows, int cols, bool withZeroRow) => Pass(Checks.GradientPenalty(rows, cols, withZeroRow));

    [Theory]
    [InlineData(17, 10, 794, 784, 3)]
    [InlineData(5, 3, 3, 0, 0)]
    [InlineData(1, 10, 10, 0, 0)]
    public void One_hot_blocks_match_reference(int rows, int classes, int stride, int column, int indexOffset) =>
        Pass(Checks.OneHot(rows, classes, stride, column, indexOffset));

    // One-hot maps (a conv D's class planes): plane = H·W values per class after the image's
    // C·H·W, rows padded past the block in one case so a write past the block would show.
    [Theory]
    [InlineData(1, 1, 784, 0, 0, 784)]          // batch 1, one class, 28×28
    [InlineData(1, 10, 10 + 10, 10, 0, 1)]      // plane 1 (1×1 maps) is the vector block
    [InlineData(3, 3, 49 + 3 * 49 + 5, 49, 2, 49)]
    [InlineData(5, 10, 784 + 10 * 784, 784, 1, 784)]
    [InlineData(2, 10, 3 * 1024 + 10 * 1024, 3 * 1024, 0, 1024)]
    public void One_hot_maps_match_reference(int rows, int classes, int stride, int column, int indexOffset, int plane) =>
        Pass(Checks.OneHot(rows, classes, stride, column, indexOffset, plane));

    [Theory]
    [InlineData(4, 7, 3)]
    [InlineData(33, 65, 10)]
    public void Offsets_through_device_counters_match_reference(int rows, int cols, int classes) =>
        Pass(Checks.DeviceCounters(rows, cols, classes));

    [Theory]
    [InlineData(17, 784, 784, 0, 794, 0)]
    [InlineData(9, 5, 13, 8, 7, 1)]
    [InlineData(4, 400, 0, 0, 400, 0)]   // a source stride of 0 tiles one row
    [InlineData(3, 7, 0, 2, 9, 1)]
    public void Copy_columns_matches_reference(int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn) =>
        Pass(Checks.CopyColumns(rows, cols, srcStride, srcColumn, dstStride, dstColumn));

    [Theory]
    [InlineData(1, 10, 0)]
    [InlineData(300, 10, 7)]
    [InlineData(65, 3, 2)]
    public void Softmax_cross_entropy_matches_reference(int rows, int classes, int indexOffset) =>
        Pass(Checks.SoftmaxCrossEntropy(rows, classes, indexOffset));

    [Theory]
    [InlineData(1000, 3)]
    [InlineData(65537, 2)]
    public void Adam_matches_reference(int n, int steps) => Pass(Checks.Adam(n, steps));

    /// <summary>Betas 0.1 and 0.2 settle after 24 steps (a 24-row table): 30 steps run past its last row.</summary>
    [Fact]
    public void Adam_past_its_schedule_table_matches_reference() => Pass(Checks.Adam(257, 30, beta1: 0.1, beta2: 0.2));

    [Theory]
    [InlineData(1000, 3, 0.0)]
    [InlineData(1000, 3, 1e-2)]
    [InlineData(65537, 3, 0.0)]
    [InlineData(65537, 3, 1e-2)]
    public void RmsProp_matches_reference(int n, int steps, double weightDecay) => Pass(Checks.RmsProp(n, steps, weightDecay));

    [Theory]
    [InlineData(1000, 3, 0.9, 0.0)]
    [InlineData(1000, 3, 0.9, 1e-2)]
    [InlineData(1000, 3, 0.0, 0.0)]
    [InlineData(1000, 3, 0.0, 1e-2)]
    [InlineData(65537, 3, 0.9, 0.0)]
    [InlineData(65537, 3, 0.9, 1e-2)]
    [InlineData(65537, 3, 0.0, 0.0)]
    [InlineData(65537, 3, 0.0, 1e-2)]
    public void Sgd_matches_reference(int n, int steps, double momentum, double weightDecay) =>
        Pass(Checks.Sgd(n, steps, momentum, weightDecay));

    [Theory]
    [InlineData(1001, 0UL, true)]
    [InlineData(1001, 1UL << 33, true)]
    [InlineData(777, 5UL, false)]
    public void Rng_matches_reference_whatever_the_launch(int n, ulong offset, bool normal) =>
        Pass(Checks.Random(n, offset, normal));

    [Fact]
    public void Gather_rows_matches_reference() => Pass(Checks.Gather(100, 17, 784, 5));

    public static TheoryData<int> ConvGeometryIndices() => new(Enumerable.Range(0, KernelChecks.ConvGeometries(large: false).Count()));

    /// <summary>The conv ops through the backend API (plans, workspaces, the fused backward) on geometries that break tiling.</summary>
    [Theory]
    [MemberData(nameof(ConvGeometryIndices))]
    public void Conv_ops_match_reference(int index) =>
        Pass(Checks.Conv(KernelChecks.ConvGeometries(large: false).ElementAt(index)));

    [Theory]
    [InlineData(2, 3, 7)]
    [InlineData(1, 5, 33)]
    [InlineData(4, 3, 1)]
    public void BatchNorm2d_ops_match_reference(int n, int channels, int plane) => Pass(Checks.BatchNorm2d(n, channels, plane));

    /// <summary>BN with its following activation fused (the CPU backend's fused passes; the unfused pair elsewhere): identity, ReLU, LeakyReLU 0.2, Tanh.</summary>
    [Theory]
    [InlineData(2, 3, 7, Activation.ReLU, 0f)]
    [InlineData(1, 5, 33, Activation.LeakyReLU, 0.2f)]
    [InlineData(4, 3, 1, Activation.LeakyReLU, 0.2f)]
    [InlineData(3, 2, 17, Activation.Tanh, 0f)]
    public void BatchNorm2d_with_activation_matches_reference(int n, int channels, int plane, Activation act, float alpha) =>
        Pass(Checks.BatchNorm2d(n, channels, plane, new(act, alpha)));
}

public sealed class SimulatorKernelTests(SimulatorFixture f) : KernelTests(f), IClassFixture<SimulatorFixture>;

public sealed class CudaKernelTests(CudaFixture f) : KernelTests(f), IClassFixture<CudaFixture>;

public sealed class CpuKernelTests(CpuFixture f) : KernelTests(f), IClassFixture<CpuFixture>;

/// <summary>The GPU planner's tilings (up to 64×64, 64 threads) on the simulator, GEMM only: it is the one kernel whose shape differs.</summary>
public sealed class SimulatorGpuTileGemmTests(SimulatorGpuTilesFixture f) : IClassFixture<SimulatorGpuTilesFixture>
{
    [Theory]
    [InlineData(65, 70, 40, false, true)]
    [InlineData(65, 70, 40, true, false)]
    [InlineData(3, 129, 17, false, false)]
    public void Gemm_with_gpu_tiles_matches_reference(int m, int n, int k, bool ta, bool tb)
    {
        var r = new KernelChecks(f.Backend).Gemm(m, n, k, ta, tb, accumulate: false);
        Assert.True(r.Passed, $"{r.Kernel} {r.Shape}: {r.MaxError:E2}");
    }
}

public sealed class OpenClKernelTests(OpenClFixture f) : KernelTests(f), IClassFixture<OpenClFixture>;
