using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// The conv layers' backward (Conv2d, ConvTranspose2d, BatchNorm2d, and the whole DCGAN G and D)
/// against central finite differences of their forward, as <see cref="GradientCheckTests"/> does
/// for the MLP layers: L = Σ y ⊙ r for a fixed random r, probes on random parameters and inputs.
/// On the managed cpu backend (its ops are the ILGPU kernels' semantics, checked against the
/// float64 references per backend in ConvKernelTests), in float32, so h is 1e-3 and the tolerance
/// as there; the whole models use a small batch and fewer probes.
/// </summary>
public sealed class ConvGradientCheckTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    IBackend B => fixture.Backend;

    void Check(IReadOnlyList<LayerSpec> spec, (int C, int H, int W) image, int n, int probes, double h = 1e-3, int seed = 7, double paramScale = 0)
    {
        var rng = new Random(seed);
        int inFeatures = image.C * image.H * image.W;
        using var model = new Sequential(B, spec, inFeatures, n, (ulong)seed, image);
        var x = FiniteDifferences.Rand(rng, n * inFeatures, 1);
        var r = FiniteDifferences.Rand(rng, n * model.OutFeatures);
        // The DCGAN init (N(0, 0.02)) makes single weights' effects tiny next to float32 rounding;
        // layer tests draw larger weights so the finite differences resolve them.
        if (paramScale > 0) model.Parameters.CopyFrom(FiniteDifferences.Rand(rng, (int)model.ParameterCount, paramScale));
        FiniteDifferences.Check(B, model, x, r, n, probes, h, rng);
    }

    [Theory]
    [InlineData(3, 1, 0, 1, true)]
    [InlineData(4, 2, 1, 1, false)]
    [InlineData(3, 2, 2, 2, true)]
    [InlineData(5, 1, 0, 1, false)]
    public void Conv2d(int k, int stride, int pad, int dilation, bool bias) =>
        Check([new Conv2dSpec(3, 4, k, stride, pad, bias, dilation)], (3, 9, 7), 2, probes: 14, paramScale: 0.5);

    [Theory]
    [InlineData(3, 1, 0, 0, true)]
    [InlineData(4, 2, 1, 0, false)]
    [InlineData(3, 2, 1, 1, true)]
    public void ConvTranspose2d(int k, int stride, int pad, int outputPad, bool bias) =>
        Check([new ConvTranspose2dSpec(3, 2, k, stride, pad, bias, outputPad)], (3, 5, 4), 2, probes: 14, paramScale: 0.5);

    [Fact]
    public void BatchNorm2d_after_a_conv_then_relu() =>
        Check([new Conv2dSpec(2, 3, 3, 1, 1, Bias: true), new BatchNorm2dSpec(3), ActivationSpec.ReLU], (2, 5, 6), 3, probes: 14, paramScale: 0.5);

    /// <summary>
    /// BN with its LeakyReLU fused, under a Linear that takes over the activation's derivative
    /// (DyIsPreActivation) and one where the BN applies it itself; the state_dict names keep the indices.
    /// </summary>
    [Fact]
    public void BatchNorm2d_with_fused_leaky_relu_under_a_conv_and_a_linear()
    {
        IReadOnlyList<LayerSpec> spec =
        [
            new Conv2dSpec(2, 3, 3, 1, 1), new BatchNorm2dSpec(3), ActivationSpec.LeakyReLU(0.2f),
            new Conv2dSpec(3, 2, 3, 2, 1), new BatchNorm2dSpec(2), ActivationSpec.LeakyReLU(0.2f), new FlattenSpec(),
            new LinearSpec(2 * 3 * 3, 3),
        ];
        Check(spec, (2, 5, 5), 3, probes: 14, paramScale: 0.5);
        using var model = new Sequential(B, spec, 50, 3, 1, (2, 5, 5));
        Assert.Equal(5, model.Layers.Count);   // conv, BN (+act), conv, BN (+act), linear
        Assert.Equal(new Act(Activation.LeakyReLU, 0.2f), model.Layers[1].OutputActivation);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "3.bias", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked", "7.weight", "7.bias"],
            model.StateDict().Select(t => t.Name));
    }

    [Fact]
    public void BatchNorm2d_alone() => Check([new BatchNorm2dSpec(3)], (3, 4, 5), 2, probes: 14);

    /// <summary>Flatten and Unflatten are views (no layer, no copy) between convolutions and Linear layers.</summary>
    [Fact]
    public void Conv_flatten_linear_unflatten_conv_transpose()
    {
        IReadOnlyList<LayerSpec> spec =
        [
            new Conv2dSpec(2, 3, 3, 2, 1), ActivationSpec.LeakyReLU(0.2f), new FlattenSpec(),
            new LinearSpec(3 * 3 * 3, 12), ActivationSpec.ReLU, new UnflattenSpec(3, 2, 2),
            new ConvTranspose2dSpec(3, 1, 4, 2, 1),
        ];
        Check(spec, (2, 5, 5), 2, probes: 14, paramScale: 0.5);
        using var model = new Sequential(B, spec, 50, 2, 1, (2, 5, 5));
        Assert.Equal(4, model.Layers.Count);   // conv, linear (its activation fused), convT; the conv's LeakyReLU; no layer for the views
        Assert.Equal(16, model.OutFeatures);   // 1×4×4
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"], model.StateDict().Select(t => t.Name));
    }

    [Fact]
    public void Whole_dcgan_generator() =>
        Check(DcganPresets.Generator(latent: 6, imageSize: 28, channels: 1), (6, 1, 1), 2, probes: 10, paramScale: 0.1);

    [Fact]
    public void Whole_dcgan_discriminator() =>
        Check(DcganPresets.Discriminator(imageSize: 28, channels: 1), (1, 28, 28), 2, probes: 10, paramScale: 0.1);
}
