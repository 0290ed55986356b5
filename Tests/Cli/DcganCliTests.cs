using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Cli;

/// <summary>`train --model dcgan` from the command line: a folder of RGB images end to end, and the combinations it refuses.</summary>
public sealed class DcganCliTests
{
    [Theory]
    [InlineData("--pack", "3", "--pack must divide --batch (16), got 3")]
    public void Unsupported_combinations_are_one_line_usage_errors(string flag, string? value, string message)
    {
        string[] args = value is null ? ["train", "--model", "dcgan", "--batch", "16", flag] : ["train", "--model", "dcgan", "--batch", "16", flag, value];
        var r = Ilgpugan.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    /// <summary>
    /// --loss wgan-gp with the DCGAN: its critic is D without BatchNorm (a torch nn.Sequential with
    /// indices 0, 2, 4, 6 at 32×32), and metrics.csv's gp column holds the penalty.
    /// </summary>
    [Fact]
    public void A_wgan_gp_dcgan_run_trains_a_critic_without_batchnorm()
    {
        using var images = new FolderFixtures.TempDir();
        var rng = new Random(6);
        for (int i = 0; i < 8; i++)
        {
            using var im = FolderFixtures.Solid(32, 32, new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            im.SaveAsPng(images.File($"{i}.png"));
        }
        string root = Ilgpugan.TempDir(), run = Path.Combine(root, "run");
        var env = new Dictionary<string, string> { ["ILGPUGAN_CACHE"] = Path.Combine(root, "cache") };
        var r = Ilgpugan.RunWithEnvironment(env, "train", "--model", "dcgan", "--loss", "wgan-gp", "--dataset", "folder", "--data", images.Path,
            "--image-size", "32", "--batch", "4", "--steps", "2", "--d-steps", "2", "--device", "cpu", "--out", run);
        Assert.True(r.ExitCode == 0, r.ToString());
        var (d, _) = SafeTensors.Load(Path.Combine(run, "checkpoint", "D.safetensors"));
        Assert.Equal(["0.weight", "2.weight", "4.weight", "6.weight"], d.Keys.Order());
        Assert.Equal([1, 256, 4, 4], d["6.weight"].Shape);
        var rows = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        int gp = Array.IndexOf(rows[0].Split(','), "gp");
        Assert.All(rows.Skip(1), row => Assert.True(double.Parse(row.Split(',')[gp], System.Globalization.CultureInfo.InvariantCulture) > 0, row));
    }

    /// <summary>
    /// A conditional packed DCGAN on MNIST from the command line: its checkpoint has torch's shapes
    /// (G's first layer takes z + classes, D's first (1 + classes)·pack channels), `sample --class`
    /// draws one class, the unconditioned grid one class per row, `morph` moves between classes,
    /// and a resume continues from the checkpoint.
    /// </summary>
    [Theory]
    [InlineData("--conditional")]
    [InlineData("--pack", "2")]
    [InlineData("--conditional", "--pack", "2")]
    public void A_conditional_or_packed_mnist_dcgan_trains_samples_morphs_and_resumes(params string[] flags)
    {
        bool conditional = flags.Contains("--conditional");
        int pack = flags.Contains("--pack") ? 2 : 1, classes = conditional ? 10 : 0;
        string root = Ilgpugan.TempDir(), run = Path.Combine(root, "run");
        var r = Ilgpugan.Run(["train", "--model", "dcgan", "--data", Ilgpugan.Mnist, "--device", "cpu", "--steps", "30", "--batch", "16",
            "--sample-every", "30", "--checkpoint-every", "30", "--out", run, .. flags]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var (g, meta) = SafeTensors.Load(Path.Combine(run, "checkpoint", "G.safetensors"));
        var (d, _) = SafeTensors.Load(Path.Combine(run, "checkpoint", "D.safetensors"));
        Assert.Equal([100 + classes, 128, 7, 7], g["0.weight"].Shape);
        Assert.Equal([64, (1 + classes) * pack, 4, 4], d["0.weight"].Shape);
        Assert.Equal(conditional, meta.ContainsKey("classes"));
        using (var grid = Image.Load(Path.Combine(run, "samples", "step_000030.png")))
            Assert.Equal(conditional ? 10 : 8, (grid.Height - 2) / 30);   // rows of 28-pixel cells with 2-pixel gaps: one per class

        if (conditional)
        {
            string three = Path.Combine(root, "three.png");
            var s = Ilgpugan.Run("sample", "--checkpoint", run, "--class", "3", "--count", "16", "--out", three, "--device", "cpu");
            Assert.True(s.ExitCode == 0, s.ToString());
            using (var grid = Image.Load(three)) Assert.True(grid.Width > 28 && grid.Height > 28);
            var bad = Ilgpugan.Run("sample", "--checkpoint", run, "--class", "10", "--out", three, "--device", "cpu");
            Assert.True(bad.ExitCode == 2, bad.ToString());
            var m = Ilgpugan.Run("morph", "--checkpoint", run, "--from-class", "1", "--to-class", "7", "--frames", "6", "--out", Path.Combine(root, "m.gif"), "--device", "cpu");
            Assert.True(m.ExitCode == 0, m.ToString());
            Assert.True(File.Exists(Path.Combine(root, "m.gif")));
        }
        var resumed = Ilgpugan.Run("train", "--resume", run, "--steps", "32", "--device", "cpu");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("32", SafeTensors.Load(Path.Combine(run, "checkpoint", "G.safetensors")).Metadata["step"]);
    }

    [Theory]
    [InlineData("--image-size", "32", "--image-size 32 needs --dataset folder")]
    [InlineData("--channels", "3", "--channels 3 needs --dataset folder")]
    public void Mnist_images_are_28x28_grayscale(string flag, string value, string message)
    {
        var r = Ilgpugan.Run("train", "--model", "dcgan", flag, value);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void A_folder_dcgan_run_trains_in_colour_and_samples_from_its_checkpoint()
    {
        using var images = new FolderFixtures.TempDir();
        var rng = new Random(5);
        for (int i = 0; i < 12; i++)
        {
            using var im = FolderFixtures.Solid(30 + rng.Next(20), 30 + rng.Next(20), new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            im.SaveAsPng(images.File($"sub/{i}.png"));
        }
        string root = Ilgpugan.TempDir(), run = Path.Combine(root, "run"), cache = Path.Combine(root, "cache");
        var env = new Dictionary<string, string> { ["ILGPUGAN_CACHE"] = cache };
        var r = Ilgpugan.RunWithEnvironment(env, "train", "--model", "dcgan", "--dataset", "folder", "--data", images.Path, "--image-size", "32",
            "--batch", "4", "--steps", "2", "--sample-every", "2", "--device", "cpu", "--out", run);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Single(Directory.GetFiles(Path.Combine(cache, "folders"), "folder-32-3.u8", SearchOption.AllDirectories));
        using (var grid = Image.Load(Path.Combine(run, "samples", "step_000002.png")))
            Assert.Equal(24, grid.PixelType.BitsPerPixel);   // an RGB grid
        var (g, meta) = SafeTensors.Load(Path.Combine(run, "checkpoint", "G.safetensors"));
        Assert.Equal(("dcgan", "32", "3"), (meta["model"], meta["image_size"], meta["channels"]));
        Assert.Equal([100, 256, 4, 4], g["0.weight"].Shape);   // ConvTranspose2d(nz, ngf·4, 4, 1, 0)

        string npy = Path.Combine(root, "s.npy");
        var s = Ilgpugan.Run("sample", "--checkpoint", run, "--count", "3", "--out", npy, "--device", "cpu");
        Assert.True(s.ExitCode == 0, s.ToString());
        var (values, shape) = IlgpuGan.Host.Images.Npy.ReadFloat32(npy);
        Assert.Equal([3, 3, 32, 32], shape);
        Assert.All(values, v => Assert.InRange(v, -1f, 1f));
    }
}
