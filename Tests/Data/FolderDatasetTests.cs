using IlgpuGan.Engine;
using IlgpuGan.Host.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static IlgpuGan.Tests.Data.FolderFixtures;

namespace IlgpuGan.Tests.Data;

public sealed class FolderDatasetTests : IDisposable
{
    readonly TempDir dir = new();
    readonly TempDir runs = new();

    public void Dispose()
    {
        dir.Dispose();
        runs.Dispose();
    }

    string Cache(string name = "folder.u8") => Path.Combine(runs.Path, "data", name);

    /// <summary>Image i's channel c as a flat S×S plane.</summary>
    static ReadOnlySpan<byte> Plane(MnistData d, int i, int c) =>
        d.Pixels.AsSpan(i * d.ImageSize + c * d.Rows * d.Cols, d.Rows * d.Cols);

    [Fact]
    public void Mixed_folder_gives_every_good_image_in_path_order_and_counts_the_rest()
    {
        WriteMixedFolder(dir);
        var log = new ListLogger();
        var load = FolderDataset.Load(dir.Path, Cache(), 16, 3, log);
        var d = load.Data;

        Assert.Equal((MixedImages.Length, 3, 16, 16), (d.Count, d.Channels, d.Rows, d.Cols));
        Assert.Equal(d.Count * 3 * 16 * 16, d.Pixels.Length);
        Assert.Equal(3 * 16 * 16, d.ImageSize);
        Assert.False(d.HasLabels);
        Assert.Equal(new FolderSkips(NotAnImage: 1, Unreadable: 0, Corrupt: 1, TooLarge: 1), load.Skips);
        Assert.False(load.FromCache);
        Assert.Equal(MixedImages.Length, load.Decoded);

        for (int i = 0; i < MixedImages.Length; i++)
        {
            var (name, color, lossy) = MixedImages[i];
            if (color is not { } rgb) continue;
            byte[] want = [rgb.R, rgb.G, rgb.B];
            for (int c = 0; c < 3; c++)
                foreach (var p in Plane(d, i, c).ToArray())
                    Assert.True(Math.Abs(p - want[c]) <= (lossy ? 4 : 0), $"{name} channel {c}: {p}, expected {want[c]}");
        }

        // One summary line (a warning: images were lost) naming each reason, and each file at debug level.
        var summary = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains($"{MixedImages.Length} images", summary.Text);
        Assert.Contains("1 corrupt", summary.Text);
        Assert.Contains("1 over 50 MP", summary.Text);
        Assert.Contains("1 not an image", summary.Text);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Debug && l.Text.Contains("z/huge.png") && l.Text.Contains("10000×6000"));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Debug && l.Text.Contains("z/corrupt.png"));
    }

    [Fact]
    public void Rgba_loses_its_alpha_like_PIL_convert_RGB_rather_than_blending_over_black()
    {
        WriteMixedFolder(dir);
        var d = FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance).Data;
        int i = Array.FindIndex(MixedImages, m => m.Name == "rgba.png");
        Assert.All(Plane(d, i, 0).ToArray(), p => Assert.Equal(RgbaColor.R, p));
        Assert.All(Plane(d, i, 2).ToArray(), p => Assert.Equal(RgbaColor.B, p));
    }

    [Fact]
    public void Without_a_resize_rgb_is_the_pixels_and_one_channel_is_PILs_luma()
    {
        WriteMixedFolder(dir);
        int i = Array.FindIndex(MixedImages, m => m.Name == "noise.png");
        var rgb = FolderDataset.Load(dir.Path, Cache("rgb.u8"), 16, 3, NullLogger.Instance).Data;
        var gray = FolderDataset.Load(dir.Path, Cache("gray.u8"), 16, 1, NullLogger.Instance).Data;
        Assert.Equal((1, 16 * 16), (gray.Channels, gray.ImageSize));

        using var source = Noise(16, 16, seed: 1);
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                var p = source[x, y];
                int k = y * 16 + x;
                Assert.Equal((p.R, p.G, p.B), (Plane(rgb, i, 0)[k], Plane(rgb, i, 1)[k], Plane(rgb, i, 2)[k]));
                // PIL's L = R·299/1000 + G·587/1000 + B·114/1000, in 16-bit fixed point with rounding.
                double luma = (p.R * 299 + p.G * 587 + p.B * 114) / 1000.0;
                Assert.InRange(Plane(gray, i, 0)[k] - luma, -0.5, 0.5);
                Assert.Equal((p.R * 19595 + p.G * 38470 + p.B * 7471 + 0x8000) >> 16, Plane(gray, i, 0)[k]);
            }
        }
        // A gray source is its own luma: 0.299 + 0.587 + 0.114 = 1.
        int g = Array.FindIndex(MixedImages, m => m.Name == "gray.png");
        Assert.All(Plane(gray, g, 0).ToArray(), p => Assert.Equal(Gray, p));
    }

    [Theory]
    [InlineData(40, 30, 16, 21, 16, 2, 0)]     // 16·40/30 = 21.3 → 21; (21−16)/2 = 2.5 → 2 (half to even)
    [InlineData(43, 30, 16, 22, 16, 3, 0)]     // 22.9 → 22 (truncated, not rounded)
    [InlineData(17, 64, 16, 16, 60, 0, 22)]    // tall
    [InlineData(30, 47, 16, 16, 25, 0, 4)]     // (25−16)/2 = 4.5 → 4
    [InlineData(30, 49, 16, 16, 26, 0, 5)]     // 5 exactly
    [InlineData(64, 64, 64, 64, 64, 0, 0)]     // no change
    public void Resize_and_crop_geometry_is_torchvisions(int w, int h, int s, int rw, int rh, int left, int top)
    {
        Assert.Equal((rw, rh), FolderImageTransform.ResizedSize(w, h, s));
        Assert.Equal((left, top), FolderImageTransform.CropOffset(rw, rh, s));
    }

    /// <summary>
    /// Gradient and checkerboard-ish images against a float64 PIL-style reference (antialiased
    /// triangle filter, pixel centres at +0.5, weights normalised inside the image), shrinking and
    /// enlarging, wide and tall: the crop must take the centre and the filter must match.
    /// </summary>
    [Theory]
    [InlineData(40, 30, 16)]
    [InlineData(30, 70, 16)]
    [InlineData(13, 9, 20)]    // enlarging
    [InlineData(101, 64, 24)]
    public void Resize_and_crop_match_a_float64_reference(int w, int h, int s)
    {
        using var image = new Image<Rgb24>(w, h);
        var src = new double[3, h, w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // R: a horizontal ramp, G: a vertical one, B: a smooth bump, so a shifted crop shows.
                byte r = (byte)(255 * x / (w - 1)), g = (byte)(255 * y / (h - 1));
                byte b = (byte)(127.5 + 127.5 * Math.Sin(x * 0.7) * Math.Cos(y * 0.45));
                image[x, y] = new Rgb24(r, g, b);
                (src[0, y, x], src[1, y, x], src[2, y, x]) = (r, g, b);
            }
        }
        var chw = new byte[3 * s * s];
        FolderImageTransform.ToChw(image, s, 3, chw);

        var (rw, rh) = FolderImageTransform.ResizedSize(w, h, s);
        var (left, top) = FolderImageTransform.CropOffset(rw, rh, s);
        var wx = Weights(w, rw);
        var wy = Weights(h, rh);
        int worst = 0;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < s; y++)
            {
                for (int x = 0; x < s; x++)
                {
                    double v = 0;
                    foreach (var (sy, ky) in wy[top + y])
                        foreach (var (sx, kx) in wx[left + x])
                            v += ky * kx * src[c, sy, sx];
                    int want = (int)Math.Clamp(Math.Round(v), 0, 255);
                    worst = Math.Max(worst, Math.Abs(want - chw[(c * s + y) * s + x]));
                }
            }
        }
        Assert.True(worst <= 1, $"largest difference from the reference: {worst} levels");
    }

    /// <summary>PIL's bilinear weights for resizing n samples to m: (source index, weight) per output.</summary>
    static List<(int, double)>[] Weights(int n, int m)
    {
        double scale = (double)n / m, filterScale = Math.Max(scale, 1), support = filterScale;
        var result = new List<(int, double)>[m];
        for (int i = 0; i < m; i++)
        {
            double centre = (i + 0.5) * scale;
            int lo = Math.Max((int)(centre - support + 0.5), 0), hi = Math.Min((int)(centre + support + 0.5), n);
            var taps = new List<(int, double)>();
            for (int j = lo; j < hi; j++) taps.Add((j, Math.Max(0, 1 - Math.Abs((j - centre + 0.5) / filterScale))));
            double sum = taps.Sum(t => t.Item2);
            result[i] = taps.Select(t => (t.Item1, t.Item2 / sum)).ToList();
        }
        return result;
    }

    [Fact]
    public void Second_load_reads_the_cache_and_a_changed_file_rebuilds_it()
    {
        WriteMixedFolder(dir);
        var first = FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance);
        var log = new ListLogger();
        var second = FolderDataset.Load(dir.Path, Cache(), 16, 3, log);
        Assert.True(second.FromCache);
        Assert.Equal(0, second.Decoded);
        Assert.Equal(first.Data.Pixels, second.Data.Pixels);
        Assert.Equal(first.Skips, second.Skips);
        Assert.Contains(log.Lines, l => l.Text.Contains("from the cache"));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(Cache())!));   // no temporary files left behind

        // Replace one image (same size on disk, other colour) and move its time on.
        var bmp = dir.File("bitmap.bmp");
        long length = new FileInfo(bmp).Length;
        using (var img = Solid(64, 64, Teal)) img.SaveAsBmp(bmp, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder { BitsPerPixel = SixLabors.ImageSharp.Formats.Bmp.BmpBitsPerPixel.Pixel24 });
        Assert.Equal(length, new FileInfo(bmp).Length);
        File.SetLastWriteTimeUtc(bmp, File.GetLastWriteTimeUtc(bmp).AddMinutes(1));
        log = new ListLogger();
        var third = FolderDataset.Load(dir.Path, Cache(), 16, 3, log);
        Assert.False(third.FromCache);
        Assert.Equal(MixedImages.Length, third.Decoded);
        Assert.Contains(log.Lines, l => l.Text.Contains("the folder changed"));
        int i = Array.FindIndex(MixedImages, m => m.Name == "bitmap.bmp");
        Assert.All(Plane(third.Data, i, 0).ToArray(), p => Assert.Equal(Teal.R, p));

        // A new file changes the listing too.
        using (var img = Solid(8, 8, Pink)) img.SaveAsPng(dir.File("new.png"));
        var fourth = FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance);
        Assert.Equal((false, MixedImages.Length + 1), (fourth.FromCache, fourth.Data.Count));

        // Other settings never read a cache made for different ones.
        var gray = FolderDataset.Load(dir.Path, Cache(), 16, 1, NullLogger.Instance);
        Assert.Equal((false, 1), (gray.FromCache, gray.Data.Channels));
    }

    [Theory]
    [InlineData("payload")]
    [InlineData("truncated")]
    [InlineData("garbage")]
    public void A_damaged_cache_is_rebuilt_with_a_warning(string damage)
    {
        WriteMixedFolder(dir);
        var good = FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance);
        var bytes = File.ReadAllBytes(Cache());
        switch (damage)
        {
            case "payload": bytes[FolderCache.HeaderSize + 100] ^= 0x40; break;
            case "truncated": bytes = bytes[..^7]; break;
            default: bytes = "not a cache"u8.ToArray(); break;
        }
        File.WriteAllBytes(Cache(), bytes);

        var log = new ListLogger();
        var again = FolderDataset.Load(dir.Path, Cache(), 16, 3, log);
        Assert.False(again.FromCache);
        Assert.Equal(good.Data.Pixels, again.Data.Pixels);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("rebuilding"));
        Assert.True(FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance).FromCache);
    }

    [Fact]
    public void Decoding_in_parallel_gives_the_same_bytes_as_one_at_a_time()
    {
        WriteMixedFolder(dir);
        for (int k = 0; k < 12; k++)
            using (var img = Noise(20 + k, 31 - k, seed: 10 + k)) img.SaveAsPng(dir.File($"more/n{k:D2}.png"));
        var serial = FolderDataset.Load(dir.Path, Cache("1.u8"), 12, 3, NullLogger.Instance, parallelism: 1);
        var parallel = FolderDataset.Load(dir.Path, Cache("3.u8"), 12, 3, NullLogger.Instance, parallelism: 3);
        Assert.Equal(MixedImages.Length + 12, serial.Data.Count);
        Assert.Equal(serial.Data.Pixels, parallel.Data.Pixels);
    }

    [Fact]
    public void Folders_without_images_are_one_line_errors_naming_the_folder()
    {
        var empty = GanError(() => FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance));
        Assert.Contains(dir.Path, empty);

        File.WriteAllText(dir.File("readme.md"), "# photos");
        var noImages = GanError(() => FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance));
        Assert.Contains("no images", noImages);

        WriteTruncatedPng(dir.File("broken.png"));
        var noneReadable = GanError(() => FolderDataset.Load(dir.Path, Cache(), 16, 3, NullLogger.Instance));
        Assert.Contains("no readable images", noneReadable);
        Assert.Contains("1 corrupt", noneReadable);
        Assert.False(File.Exists(Cache()), "no cache of zero images is left behind");

        var missing = GanError(() => FolderDataset.Load(Path.Combine(dir.Path, "nope"), Cache(), 16, 3, NullLogger.Instance));
        Assert.Contains("does not exist", missing);
    }

    static string GanError(Action load)
    {
        var e = Assert.ThrowsAny<GanException>(load);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    /// <summary>Keeps every log line with its level.</summary>
    sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add((logLevel, formatter(state, exception)));
        }
    }
}
