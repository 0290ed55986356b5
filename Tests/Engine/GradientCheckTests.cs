using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Backward against central finite differences of the forward, for each layer and for whole G
/// and D. The scalar is L = Σ y ⊙ r for a fixed random r, so dL/dy = r. Forward runs in float32
/// on the device; h = 1e-3 keeps rounding noise (~1e-7/h) below the tolerance while making a
/// LeakyReLU kink crossing (which makes the difference quotient wrong, not the backward) unlikely.
/// </summary>
public sealed class GradientCheckTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    const double H = 1e-3;
    IBackend B => fixture.Backend;

    void Check(IReadOnlyList<LayerSpec> spec, int inFeatures, int n, int probes, int seed = 5) =>
        FiniteDifferences.CheckSpec(B, spec, inFeatures, n, probes, seed, (ulong)seed, H);

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void Linear_with_fused_activation(Activation act) =>
        Check([new LinearSpec(7, 5), new ActivationSpec(act, 0.2f)], 7, 3, probes: 12);

    [Theory]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.Tanh)]
    public void Standalone_activation_after_batchnorm(Activation act) =>
        Check([new LinearSpec(6, 9), new BatchNorm1dSpec(9), new ActivationSpec(act)], 6, 5, probes: 12);

    [Fact]
    public void BatchNorm1d() => Check([new BatchNorm1dSpec(6)], 6, 4, probes: 10);

    [Fact]
    public void Whole_generator() => Check(Presets.Generator(GeneratorKind.Mlp, latent: 8, outFeatures: 12), 8, 4, probes: 10);

    [Fact]
    public void Whole_notebook_generator() => Check(Presets.Generator(GeneratorKind.Notebook, latent: 8, outFeatures: 12), 8, 4, probes: 8);

    [Fact]
    public void Whole_discriminator() => Check(Presets.Discriminator(inFeatures: 12), 12, 4, probes: 10);
}
