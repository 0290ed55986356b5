using IlgpuGan.Host.Images;
using IlgpuGan.Kernels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Images;

public sealed class AnimatedGifTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "ilgpugan-tests-" + Guid.NewGuid().ToString("N"));

    public AnimatedGifTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Gray_frames_round_trip_exactly_with_their_delays_and_loop_forever()
    {
        // Frame k: a horizontal ramp over all 256 levels, shifted by k, so every gray level is used.
        var frames = Enumerable.Range(0, 3).Select(k =>
        {
            var img = new Image<L8>(256, 2);
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 256; x++) img[x, y] = new L8((byte)((x + 40 * k + y) % 256));
            return img;
        }).ToList();
        var path = Path.Combine(dir, "a.gif");
        AnimatedGif.Save(path, frames, [5, 6, 200]);
        foreach (var f in frames) f.Dispose();

        using var gif = Image.Load<L8>(path);
        Assert.Equal(3, gif.Frames.Count);
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal([5, 6, 200], Enumerable.Range(0, gif.Frames.Count).Select(k => gif.Frames[k].Metadata.GetGifMetadata().FrameDelay));
        for (int k = 0; k < 3; k++)
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 256; x++)
                    Assert.Equal((byte)((x + 40 * k + y) % 256), gif.Frames[k][x, y].PackedValue);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));   // written through a temporary file
    }

    [Fact]
    public void Frame_scales_up_with_nearest_neighbour()
    {
        using var frame = AnimatedGif.Frame([-1f, 1f, 0f, 1f], 2, 2, 3);
        Assert.Equal((6, 6), (frame.Width, frame.Height));
        Assert.Equal(0, frame[2, 2].PackedValue);
        Assert.Equal(255, frame[3, 0].PackedValue);
        Assert.Equal(255, frame[5, 2].PackedValue);
        Assert.Equal(128, frame[0, 3].PackedValue);
        Assert.Equal(255, frame[5, 5].PackedValue);
    }

    [Theory]
    [InlineData(12, 8)]
    [InlineData(1, 100)]
    [InlineData(50, 2)]
    [InlineData(100, 2)]   // not 1: browsers would slow that down to 10
    public void Delay_is_the_nearest_hundredths_for_the_fps(int fps, int delay) => Assert.Equal(delay, AnimatedGif.DelayForFps(fps));

    [Fact]
    public void Evenly_spaced_subset_keeps_first_and_last_without_repeats()
    {
        var items = Enumerable.Range(0, 250).ToList();
        var chosen = Timeline.EvenlySpaced(items, 100);
        Assert.Equal(100, chosen.Count);
        Assert.Equal(0, chosen[0]);
        Assert.Equal(249, chosen[^1]);
        Assert.True(chosen.Zip(chosen.Skip(1)).All(p => p.First < p.Second), "strictly increasing");
        Assert.Same(items, Timeline.EvenlySpaced(items, 250));   // nothing to drop
    }

    /// <summary>101 grids, named out of numeric order: 100 frames, in step order, ending on the last grid.</summary>
    [Fact]
    public void Timeline_of_more_than_100_grids_has_100_frames_in_step_order_and_holds_the_last()
    {
        var samples = Path.Combine(dir, "samples");
        for (int i = 1; i <= 101; i++)
        {
            float v = -1f + 2f * i / 255f;   // a 1×1 "grid" of gray level i at step 10·i
            ImageGrid.SavePng(Path.Combine(samples, $"step_{i * 10:D6}.png"), [v], 1, 1, 1, 1);
        }
        File.WriteAllText(Path.Combine(samples, "step_000020.svg"), "<svg/>");   // ignored: only PNG grids animate

        var path = Timeline.Write(samples);
        Assert.Equal(Path.Combine(samples, Timeline.FileName), path);
        using var gif = Image.Load<L8>(path!);
        Assert.Equal(Timeline.MaxFrames, gif.Frames.Count);
        var levels = Enumerable.Range(0, gif.Frames.Count).Select(k => (int)gif.Frames[k][2, 2].PackedValue).ToList();   // the cell, inside the 2-pixel padding
        Assert.Equal(Pixels.ToGray(-1f + 2f / 255f), levels[0]);
        Assert.Equal(Pixels.ToGray(-1f + 2f * 101 / 255f), levels[^1]);
        Assert.True(levels.Zip(levels.Skip(1)).All(p => p.First < p.Second), string.Join(",", levels));
        Assert.Equal(Timeline.LastFrameDelay, gif.Frames[^1].Metadata.GetGifMetadata().FrameDelay);
        Assert.Equal(Timeline.FrameDelay, gif.Frames[0].Metadata.GetGifMetadata().FrameDelay);
    }

    [Fact]
    public void Timeline_is_skipped_without_png_grids()
    {
        File.WriteAllText(Path.Combine(dir, "step_000050.svg"), "<svg/>");
        Assert.Null(Timeline.Write(dir));
        Assert.False(File.Exists(Path.Combine(dir, Timeline.FileName)));
    }
}
