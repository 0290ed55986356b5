using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Verification;
using IlgpuGan.Tests.Engine;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Maxout on every backend: the ops against their float64 references (ties included), the
/// LinearMaxout layer against a float64 Linear + maxout, and its backward against finite
/// differences, alone and as PacGAN's D.
/// </summary>
public abstract class MaxoutTests(BackendFixture fixture)
{
    IBackend B => fixture.Backend;

    static void Pass(CheckResult r) => Assert.True(r.Passed, $"{r.Kernel} at {r.Shape}: error {r.MaxError:E2} > tolerance {r.Tolerance:E2}");

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 2)]
    [InlineData(1, 200, 5)]
    [InlineData(100, 200, 5)]
    [InlineData(3, 1, 5)]
    [InlineData(100, 7, 1)]
    [InlineData(2, 17, 16)]   // the CPU's AVX-512 blocks at their widest, and a tail unit
    [InlineData(4, 40, 3)]    // an odd piece count: the last permute pair has one vector
    public void Ops_match_reference_with_ties_to_the_first_piece(int rows, int units, int pieces) =>
        Pass(new KernelChecks(B).Maxout(rows, units, pieces));

    [Theory]
    [InlineData(1, 3, 1, 1)]
    [InlineData(3, 2, 7, 5)]
    [InlineData(5, 4, 3, 2)]
    [InlineData(100, 4, 7, 5)]
    public void Layer_matches_float64_reference(int rows, int inFeatures, int units, int pieces) =>
        Pass(new KernelChecks(B).LinearMaxoutLayer(rows, inFeatures, units, pieces));

    [Theory]
    [InlineData(3, 7, 5)]
    [InlineData(2, 2, 2)]
    [InlineData(4, 3, 1)]
    public void Layer_backward_matches_finite_differences(int n, int units, int pieces) =>
        Check([new LinearMaxoutSpec(4, units, pieces)], 4, n, probes: 16);

    [Fact]
    public void Maxout_discriminator_backward_matches_finite_differences() =>
        Check([new LinearMaxoutSpec(4, 6, 5), new LinearMaxoutSpec(6, 5, 3), new LinearSpec(5, 1)], 4, 3, probes: 16);

    void Check(IReadOnlyList<LayerSpec> spec, int inFeatures, int n, int probes) =>
        FiniteDifferences.CheckSpec(B, spec, inFeatures, n, probes, rngSeed: 11, initSeed: 3);
}

public sealed class CpuMaxoutTests(CpuFixture f) : MaxoutTests(f), IClassFixture<CpuFixture>;

public sealed class SimulatorMaxoutTests(SimulatorFixture f) : MaxoutTests(f), IClassFixture<SimulatorFixture>;

public sealed class CudaMaxoutTests(CudaFixture f) : MaxoutTests(f), IClassFixture<CudaFixture>;

public sealed class OpenClMaxoutTests(OpenClFixture f) : MaxoutTests(f), IClassFixture<OpenClFixture>;
