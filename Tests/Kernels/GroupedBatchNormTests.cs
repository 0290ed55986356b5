using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Verification;
using IlgpuGan.Tests.Engine;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// BatchNorm1d over interleaved groups of the batch (G's BatchNorm per pack slot) on every backend:
/// the layer against the float64 per-group references (outputs, moved running statistics, dx, dγ,
/// dβ, then eval on what it moved), and its backward against finite differences, alone and in a
/// PacGAN-shaped G.
/// </summary>
public abstract class GroupedBatchNormTests(BackendFixture fixture)
{
    IBackend B => fixture.Backend;

    [Theory]
    [InlineData(4, 3, 2, false)]
    [InlineData(6, 1, 3, true)]
    [InlineData(12, 5, 3, true)]
    [InlineData(200, 7, 2, false)]
    [InlineData(400, 33, 4, true)]
    [InlineData(100, 400, 1, false)]   // one group: the plain layer through the same check
    public void Layer_matches_float64_reference(int rows, int features, int groups, bool accumulate)
    {
        var r = new KernelChecks(B).GroupedBatchNormLayer(rows, features, groups, accumulate);
        Assert.True(r.Passed, $"{r.Kernel} at {r.Shape}: error {r.MaxError:E2} > tolerance {r.Tolerance:E2}");
    }

    [Fact]
    public void Groups_are_normalised_apart()
    {
        // Group 1's rows are group 0's plus 10: per group they normalise to the same values; together they would not.
        const int rows = 8, features = 2, groups = 2;
        var x = new float[rows * features];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < features; c++) x[r * features + c] = (r / groups) * (c + 1) + (r % groups) * 10;
        using var model = new Sequential(B, [new BatchNorm1dSpec(features, Groups: groups)], features, rows, 1);
        using var buf = B.Allocate<float>(x.Length);
        var tx = Tensor.Whole(buf);
        tx.CopyFrom(x);
        var y = model.Forward(tx, rows, training: true).ToArray();
        for (int r = 0; r < rows; r += groups)
            for (int c = 0; c < features; c++) Assert.Equal(y[r * features + c], y[(r + 1) * features + c], 5);
    }

    [Fact]
    public void Batch_not_a_multiple_of_the_groups_is_refused()
    {
        using var model = new Sequential(B, [new BatchNorm1dSpec(3, Groups: 2)], 3, 5, 1);
        using var buf = B.Allocate<float>(15);
        var e = Assert.Throws<IlgpuGan.Engine.InvalidSettingException>(() => model.Forward(Tensor.Whole(buf), 5, training: true));
        Assert.Equal("batch", e.Setting);
    }

    [Theory]
    [InlineData(6, 2)]
    [InlineData(9, 3)]
    public void Layer_backward_matches_finite_differences(int n, int groups) =>
        Check([new BatchNorm1dSpec(5, Groups: groups)], 5, n, probes: 12);

    [Fact]
    public void Generator_with_per_slot_batchnorm_backward_matches_finite_differences() =>
        Check([new LinearSpec(3, 8, Bias: false), new BatchNorm1dSpec(8, 1e-4f, 0.05f, Groups: 2), ActivationSpec.ReLU,
               new LinearSpec(8, 8, Bias: false), new BatchNorm1dSpec(8, 1e-4f, 0.05f, Groups: 2), ActivationSpec.ReLU,
               new LinearSpec(8, 2)], 3, 8, probes: 16);

    void Check(IReadOnlyList<LayerSpec> spec, int inFeatures, int n, int probes) =>
        FiniteDifferences.CheckSpec(B, spec, inFeatures, n, probes, rngSeed: 13, initSeed: 3);
}

public sealed class CpuGroupedBatchNormTests(CpuFixture f) : GroupedBatchNormTests(f), IClassFixture<CpuFixture>;

public sealed class SimulatorGroupedBatchNormTests(SimulatorFixture f) : GroupedBatchNormTests(f), IClassFixture<SimulatorFixture>;

public sealed class CudaGroupedBatchNormTests(CudaFixture f) : GroupedBatchNormTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClGroupedBatchNormTests(OpenClFixture f) : GroupedBatchNormTests(f), IClassFixture<OpenClFixture>;
