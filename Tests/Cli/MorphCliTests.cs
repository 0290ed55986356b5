using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Cli;

public sealed class MorphCliTests(ShortRunFixture run) : IClassFixture<ShortRunFixture>
{
    const int Scale = 4, Side = 28;

    /// <summary>Frame k of a morph GIF, back at 28×28 (one pixel of each 4×4 block).</summary>
    static byte[] Digit(Image<L8> gif, int k)
    {
        var frame = gif.Frames[k];
        var d = new byte[Side * Side];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++) d[y * Side + x] = frame[x * Scale + 1, y * Scale + 2].PackedValue;
        return d;
    }

    /// <summary>The single digit of a `sample --count 1` grid (inside its 2-pixel black frame).</summary>
    static byte[] Sampled(string png)
    {
        using var img = Image.Load<L8>(png);
        Assert.Equal((Side + 4, Side + 4), (img.Width, img.Height));
        var d = new byte[Side * Side];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++) d[y * Side + x] = img[x + 2, y + 2].PackedValue;
        return d;
    }

    static int MaxDiff(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void Morph_loop_writes_a_gif_of_exactly_the_frames_asked_and_a_strip()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        var r = Ilgpugan.Run("morph", "--checkpoint", run.Dir, "--frames", "7", "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.ToString());
        var gifPath = Path.Combine(run.Dir, "morph.gif");   // the default --out
        Assert.Equal(Path.GetFullPath(gifPath), r.Stdout.Trim());

        using var gif = Image.Load<L8>(gifPath);
        Assert.Equal(7, gif.Frames.Count);
        Assert.Equal((Side * Scale, Side * Scale), (gif.Width, gif.Height));
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);   // loops forever
        for (int k = 0; k < 7; k++) Assert.Equal(8, gif.Frames[k].Metadata.GetGifMetadata().FrameDelay);   // 12 fps
        // Nearest-neighbour: each 4×4 block is one value.
        var f0 = gif.Frames[0];
        for (int y = 0; y < Side * Scale; y++)
            for (int x = 0; x < Side * Scale; x++)
                Assert.Equal(f0[x / Scale * Scale, y / Scale * Scale].PackedValue, f0[x, y].PackedValue);
        // The loop moves: successive frames differ.
        for (int k = 1; k < 7; k++) Assert.True(MaxDiff(Digit(gif, k - 1), Digit(gif, k)) > 0, $"frame {k} equals frame {k - 1}");

        using var strip = Image.Load(Path.Combine(run.Dir, "morph.png"));
        Assert.Equal((7 * Side + 8 * 2, Side + 2 * 2), (strip.Width, strip.Height));   // one row of 7
    }

    [Fact]
    public void Morph_between_seeds_starts_and_ends_on_those_seeds_images()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        var dir = Ilgpugan.TempDir();
        var gifPath = Path.Combine(dir, "ab.gif");
        var r = Ilgpugan.Run("morph", "--checkpoint", run.Dir, "--from-seed", "5", "--to-seed", "9", "--frames", "20", "--fps", "25",
            "--out", gifPath, "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var seed in new[] { 5, 9 })
        {
            var s = Ilgpugan.Run("sample", "--checkpoint", run.Dir, "--count", "1", "--seed", $"{seed}", "--out", Path.Combine(dir, $"s{seed}.png"), "--device", "cpu");
            Assert.True(s.ExitCode == 0, s.ToString());
        }
        var a = Sampled(Path.Combine(dir, "s5.png"));
        var b = Sampled(Path.Combine(dir, "s9.png"));
        Assert.True(MaxDiff(a, b) > 10, "the two seeds should give different images");

        using var gif = Image.Load<L8>(gifPath);
        Assert.Equal(20, gif.Frames.Count);
        Assert.Equal(4, gif.Frames[0].Metadata.GetGifMetadata().FrameDelay);   // 25 fps
        // Equal up to one gray level: G ran on a batch of 20 here and of 1 in `sample`.
        Assert.InRange(MaxDiff(a, Digit(gif, 0)), 0, 1);
        Assert.InRange(MaxDiff(b, Digit(gif, 19)), 0, 1);
        var middle = Digit(gif, 10);
        Assert.True(MaxDiff(a, middle) > 1 && MaxDiff(b, middle) > 1, "the middle frame is neither endpoint");

        // 20 frames wrap into rows of 16: 16 columns, 2 rows.
        using var strip = Image.Load(Path.Combine(dir, "ab.png"));
        Assert.Equal((16 * Side + 17 * 2, 2 * Side + 3 * 2), (strip.Width, strip.Height));
    }

    [Fact]
    public void Morph_refuses_a_2d_run_in_one_line()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "ring8");
        var t = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "2", "--batch", "4", "--out", dir);
        Assert.True(t.ExitCode == 0, t.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "samples", "timeline.gif")));   // scatters, no timeline

        var r = Ilgpugan.Run("morph", "--checkpoint", dir, "--frames", "3", "--device", "cpu");
        Assert.True(r.ExitCode == 1, r.ToString());
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("ilgpugan: error: "));
        Assert.Contains("image runs", error);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "morph.gif")));
    }
}
