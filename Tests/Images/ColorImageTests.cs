using IlgpuGan.Kernels;
using IlgpuGan.Host.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Images;

/// <summary>RGB generator outputs (CHW planes in [-1, 1]) as PNG grids, GIF frames, timelines and .npy.</summary>
public sealed class ColorImageTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "ilgpugan-tests-" + Guid.NewGuid().ToString("N"));

    public ColorImageTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Image k, channel c, pixel (y, x): a value that differs per channel, so swapped planes show.</summary>
    static float Value(int k, int c, int y, int x) => -1f + 2f * ((37 * k + 71 * c + 13 * y + 5 * x) % 256) / 255f;

    static float[] Images(int count, int h, int w)
    {
        var data = new float[count * 3 * h * w];
        for (int k = 0; k < count; k++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        data[((k * 3 + c) * h + y) * w + x] = Value(k, c, y, x);
        return data;
    }

    [Fact]
    public void Rgb_grid_round_trips_every_pixel_and_keeps_black_padding()
    {
        const int count = 5, h = 6, w = 7, columns = 3;
        var path = Path.Combine(dir, "grid.png");
        ImageGrid.SavePng(path, Images(count, h, w), count, 3, h, w, columns);

        Assert.Equal(PngColorType.Rgb, Image.Identify(path)!.Metadata.GetPngMetadata().ColorType);
        using var png = Image.Load<Rgb24>(path);
        Assert.Equal((3 * w + 4 * 2, 2 * h + 3 * 2), (png.Width, png.Height));
        for (int k = 0; k < count; k++)
        {
            int top = 2 + k / columns * (h + 2), left = 2 + k % columns * (w + 2);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    var p = png[left + x, top + y];
                    Assert.Equal((Pixels.ToGray(Value(k, 0, y, x)), Pixels.ToGray(Value(k, 1, y, x)), Pixels.ToGray(Value(k, 2, y, x))), (p.R, p.G, p.B));
                }
        }
        Assert.Equal(new Rgb24(0, 0, 0), png[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), png[2 + w, 3]);   // between cells
        Assert.Equal(new Rgb24(0, 0, 0), png[png.Width - 1, png.Height - 1]);   // the empty sixth cell
    }

    [Fact]
    public void One_channel_grid_is_byte_identical_to_the_gray_overload()
    {
        var data = Images(4, 5, 5).AsSpan(0, 4 * 25).ToArray();
        var a = Path.Combine(dir, "a.png");
        var b = Path.Combine(dir, "b.png");
        ImageGrid.SavePng(a, data, 4, 5, 5, 2);
        ImageGrid.SavePng(b, data, 4, 1, 5, 5, 2);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.SavePng(b, data, 1, 4, 5, 5, 1));
    }

    [Fact]
    public void Colour_gif_keeps_a_few_distinct_colours_exactly()
    {
        // Three frames of six colours in blocks: well under 256, so a palette per frame holds them all.
        Rgb24[] colours = [new(255, 0, 0), new(0, 200, 0), new(0, 0, 255), new(250, 250, 250), new(128, 64, 32), new(20, 120, 220)];
        var frames = new List<Image<Rgb24>>();
        try
        {
            for (int f = 0; f < 3; f++)
            {
                var frame = new Image<Rgb24>(12, 8);
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 12; x++)
                        frame[x, y] = colours[(x / 4 + y / 4 * 3 + f) % colours.Length];
                frames.Add(frame);
            }
            var path = Path.Combine(dir, "anim.gif");
            AnimatedGif.Save(path, frames, [10, 10, 50]);

            using var gif = Image.Load<Rgb24>(path);
            Assert.Equal(3, gif.Frames.Count);
            for (int f = 0; f < 3; f++)
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 12; x++)
                        Assert.Equal(frames[f][x, y], gif.Frames[f][x, y]);
            Assert.Equal(50, gif.Frames[2].Metadata.GetGifMetadata().FrameDelay);
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    [Fact]
    public void Colour_frame_scales_each_pixel_to_a_block()
    {
        var image = Images(1, 2, 3);
        using var frame = AnimatedGif.ColorFrame(image, 2, 3, scale: 4);
        Assert.Equal((12, 8), (frame.Width, frame.Height));
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 12; x++)
                Assert.Equal(new Rgb24(Pixels.ToGray(Value(0, 0, y / 4, x / 4)), Pixels.ToGray(Value(0, 1, y / 4, x / 4)), Pixels.ToGray(Value(0, 2, y / 4, x / 4))),
                    frame[x, y]);
    }

    [Fact]
    public void Timeline_of_rgb_grids_is_a_colour_gif()
    {
        var samples = Path.Combine(dir, "samples");
        // 1×1 grids of one colour each: red, green, blue at steps 10, 20, 30.
        float[][] pixels = [[1f, -1f, -1f], [-1f, 1f, -1f], [-1f, -1f, 1f]];
        for (int i = 0; i < 3; i++)
            ImageGrid.SavePng(Path.Combine(samples, $"step_{(i + 1) * 10:D6}.png"), pixels[i], 1, 3, 1, 1, 1);

        var path = Timeline.Write(samples);
        using var gif = Image.Load<Rgb24>(path!);
        Assert.Equal(3, gif.Frames.Count);
        Assert.Equal(new Rgb24(255, 0, 0), gif.Frames[0][2, 2]);   // the cell, inside the 2-pixel padding
        Assert.Equal(new Rgb24(0, 255, 0), gif.Frames[1][2, 2]);
        Assert.Equal(new Rgb24(0, 0, 255), gif.Frames[2][2, 2]);
        Assert.Equal(new Rgb24(0, 0, 0), gif.Frames[2][0, 0]);
    }

    [Fact]
    public void Npy_holds_nchw_batches()
    {
        var data = Images(2, 3, 4);
        var path = Path.Combine(dir, "samples.npy");
        Npy.WriteFloat32(path, data, 2, 3, 3, 4);
        var (back, shape) = Npy.ReadFloat32(path);
        Assert.Equal([2, 3, 3, 4], shape);
        Assert.Equal(data, back);
    }
}
