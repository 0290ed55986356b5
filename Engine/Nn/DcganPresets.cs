using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Nn;

/// <summary>The model families of a GAN run, by their config.json names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelKind>))]
public enum ModelKind
{
    /// <summary>The seed's fully connected G and D (<see cref="Presets"/>).</summary>
    [JsonStringEnumMemberName("mlp")] Mlp,
    /// <summary>The convolutional DCGAN (<see cref="DcganPresets"/>).</summary>
    [JsonStringEnumMemberName("dcgan")] Dcgan,
}

/// <summary>
/// The DCGAN models as PyTorch nn.Sequential layer lists (so state_dict names match torch's).
/// 28×28: G = ConvT(z→128, k7) BN ReLU ConvT(128→64, k4 s2 p1) BN ReLU ConvT(64→C, k4 s2 p1) Tanh;
/// D = Conv(C→64, k4 s2 p1) LReLU(0.2) Conv(64→128, k4 s2 p1) BN LReLU(0.2) Conv(128→1, k7) (a logit).
/// 64×64: pytorch/examples dcgan/main.py exactly (ngf = ndf = 64), with D's final Sigmoid left to
/// the loss; 32×32 drops one up/down block. No conv biases anywhere, as there. A WGAN-GP critic has
/// no BatchNorm (Gulrajani et al.): the BN layers are left out of the list, so the later indices
/// shift as in a torch nn.Sequential written without them.
/// </summary>
public static class DcganPresets
{
    public const int Features = 64;   // ngf = ndf
    public const int DefaultLatent = 100;

    public static readonly int[] ImageSizes = [28, 32, 64];

    public static bool Supports(int imageSize) => ImageSizes.Contains(imageSize);

    /// <param name="latent">G's input channels at 1×1: z's size, plus the classes of a conditional G (one-hot after z).</param>
    public static IReadOnlyList<LayerSpec> Generator(int latent, int imageSize, int channels)
    {
        if (imageSize == 28)
            return
            [
                new ConvTranspose2dSpec(latent, 128, 7, 1, 0, Bias: false), new BatchNorm2dSpec(128), ActivationSpec.ReLU,
                new ConvTranspose2dSpec(128, 64, 4, 2, 1, Bias: false), new BatchNorm2dSpec(64), ActivationSpec.ReLU,
                new ConvTranspose2dSpec(64, channels, 4, 2, 1, Bias: false), ActivationSpec.Tanh,
            ];
        int blocks = Blocks(imageSize);   // stride-2 doublings after the 4×4 start
        int width = Features << (blocks - 1);
        var list = new List<LayerSpec> { new ConvTranspose2dSpec(latent, width, 4, 1, 0, Bias: false), new BatchNorm2dSpec(width), ActivationSpec.ReLU };
        for (int i = 1; i < blocks; i++)
        {
            list.AddRange([new ConvTranspose2dSpec(width, width / 2, 4, 2, 1, Bias: false), new BatchNorm2dSpec(width / 2), ActivationSpec.ReLU]);
            width /= 2;
        }
        list.AddRange([new ConvTranspose2dSpec(width, channels, 4, 2, 1, Bias: false), ActivationSpec.Tanh]);
        return list;
    }

    /// <param name="channels">D's input channels: the image's C, plus one one-hot map per class for
    /// a conditional D, all times the pack (PacGAN stacks the samples of a pack along channels).</param>
    /// <param name="batchNorm">False for a WGAN-GP critic: the same layers without BatchNorm2d.</param>
    public static IReadOnlyList<LayerSpec> Discriminator(int imageSize, int channels, bool batchNorm = true)
    {
        IEnumerable<LayerSpec> Norm(int width) => batchNorm ? [new BatchNorm2dSpec(width)] : [];
        if (imageSize == 28)
            return
            [
                new Conv2dSpec(channels, 64, 4, 2, 1, Bias: false), ActivationSpec.LeakyReLU(0.2f),
                new Conv2dSpec(64, 128, 4, 2, 1, Bias: false), .. Norm(128), ActivationSpec.LeakyReLU(0.2f),
                new Conv2dSpec(128, 1, 7, 1, 0, Bias: false),
            ];
        int blocks = Blocks(imageSize);
        int width = Features;
        var list = new List<LayerSpec> { new Conv2dSpec(channels, width, 4, 2, 1, Bias: false), ActivationSpec.LeakyReLU(0.2f) };
        for (int i = 1; i < blocks; i++)
        {
            list.AddRange([new Conv2dSpec(width, width * 2, 4, 2, 1, Bias: false), .. Norm(width * 2), ActivationSpec.LeakyReLU(0.2f)]);
            width *= 2;
        }
        list.Add(new Conv2dSpec(width, 1, 4, 1, 0, Bias: false));
        return list;
    }

    static int Blocks(int imageSize) => imageSize switch
    {
        32 => 3,
        64 => 4,
        _ => throw new InvalidSettingException("ImageSize", $"must be {string.Join(", ", ImageSizes)} for the dcgan model", $"{imageSize}"),
    };
}
