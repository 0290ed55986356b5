using IlgpuGan.Engine.IO;
using IlgpuGan.Kernels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace IlgpuGan.Host.Images;

/// <summary>
/// The one place that encodes GIFs: grayscale or colour frames into a looping animation (`morph`,
/// the training timeline). For gray frames the palette is the 256 gray levels and each pixel's level is its index, so
/// a gray frame survives the 256-colour format exactly: decoded pixels equal the ones that went in.
/// </summary>
public static class AnimatedGif
{
    /// <summary>The GIF frame delay, in hundredths of a second, closest to fps frames per second.</summary>
    /// <remarks>At least 2: browsers show delays of 0 or 1 as 10, i.e. slower than asked.</remarks>
    public static int DelayForFps(int fps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        return Math.Max(2, (int)Math.Round(100.0 / fps));
    }

    /// <summary>
    /// Writes frames (all of one size) as a GIF that loops forever, atomically.
    /// <paramref name="delays"/> holds one delay per frame in 1/100 s.
    /// </summary>
    public static void Save(string path, IReadOnlyList<Image<L8>> frames, IReadOnlyList<int> delays) =>
        SaveFrames(path, frames, delays, new GrayQuantizer());

    /// <summary>
    /// Colour frames: each frame gets its own 256-colour palette (Wu's quantizer, no dithering, so
    /// that successive frames of the same samples do not shimmer); gray frames should use the L8
    /// overload, which is exact.
    /// </summary>
    public static void Save(string path, IReadOnlyList<Image<Rgb24>> frames, IReadOnlyList<int> delays) =>
        SaveFrames(path, frames, delays, new WuQuantizer(new QuantizerOptions { Dither = null, MaxColors = 256 }));

    static void SaveFrames<TPixel>(string path, IReadOnlyList<Image<TPixel>> frames, IReadOnlyList<int> delays, IQuantizer quantizer)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (frames.Count == 0) throw new ArgumentException("an animation needs at least one frame", nameof(frames));
        if (delays.Count != frames.Count) throw new ArgumentException($"{frames.Count} frames but {delays.Count} delays", nameof(delays));
        var (width, height) = (frames[0].Width, frames[0].Height);
        if (frames.Any(f => f.Width != width || f.Height != height))
            throw new ArgumentException($"frames differ in size (the first is {width}×{height})", nameof(frames));

        using var gif = frames[0].Clone();
        for (int i = 1; i < frames.Count; i++) gif.Frames.AddFrame(frames[i].Frames.RootFrame);
        for (int i = 0; i < frames.Count; i++)
        {
            var meta = gif.Frames[i].Metadata.GetGifMetadata();
            meta.FrameDelay = delays[i];
            meta.DisposalMethod = GifDisposalMethod.NotDispose;   // every frame covers the whole canvas
        }
        gif.Metadata.GetGifMetadata().RepeatCount = 0;   // 0: repeat forever
        // Local tables: ImageSharp 2.1 quantizes only the first frame with our quantizer in Global
        // mode and maps the rest through its own palette lookup, whose cache keeps 5 bits per
        // channel (32 grays). A local table costs 768 bytes per frame.
        var encoder = new GifEncoder { ColorTableMode = GifColorTableMode.Local, Quantizer = quantizer };
        AtomicFile.Write(path, stream => gif.SaveAsGif(stream, encoder));
    }

    /// <summary>
    /// One generator output (height×width values in [-1, 1]) as a gray frame, each pixel blown up
    /// to a scale×scale block (nearest neighbour: the 28×28 digits stay crisp, not blurred).
    /// </summary>
    public static Image<L8> Frame(ReadOnlySpan<float> image, int height, int width, int scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        if (image.Length != height * width) throw new ArgumentException($"expected {height}×{width} values, got {image.Length}", nameof(image));
        int w = width * scale;
        var pixels = new byte[height * scale * w];
        for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < w; x++)
                pixels[y * w + x] = Pixels.ToGray(image[y / scale * width + x / scale]);
        return Image.LoadPixelData<L8>(pixels, w, height * scale);
    }

    /// <summary>
    /// One RGB generator output (3×height×width values in [-1, 1], planes first) as a colour frame,
    /// each pixel blown up to a scale×scale block.
    /// </summary>
    public static Image<Rgb24> ColorFrame(ReadOnlySpan<float> image, int height, int width, int scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        int plane = height * width;
        if (image.Length != 3 * plane) throw new ArgumentException($"expected 3×{height}×{width} values, got {image.Length}", nameof(image));
        int w = width * scale;
        var pixels = new byte[3 * height * scale * w];
        for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    pixels[3 * (y * w + x) + c] = Pixels.ToGray(image[c * plane + y / scale * width + x / scale]);
        return Image.LoadPixelData<Rgb24>(pixels, w, height * scale);
    }

    /// <summary>Maps a pixel to its gray level, which is also its palette index: exact, no search, no dithering.</summary>
    sealed class GrayQuantizer : IQuantizer
    {
        public QuantizerOptions Options { get; } = new() { Dither = null };

        public IQuantizer<TPixel> CreatePixelSpecificQuantizer<TPixel>(Configuration configuration)
            where TPixel : unmanaged, IPixel<TPixel> => CreatePixelSpecificQuantizer<TPixel>(configuration, Options);

        public IQuantizer<TPixel> CreatePixelSpecificQuantizer<TPixel>(Configuration configuration, QuantizerOptions options)
            where TPixel : unmanaged, IPixel<TPixel> => new GrayFrameQuantizer<TPixel>(configuration, options);
    }

    // A struct because QuantizerUtilities.QuantizeFrame, which does the per-pixel pass, takes one by ref.
    struct GrayFrameQuantizer<TPixel> : IQuantizer<TPixel> where TPixel : unmanaged, IPixel<TPixel>
    {
        readonly TPixel[] palette;

        public GrayFrameQuantizer(Configuration configuration, QuantizerOptions options)
        {
            Configuration = configuration;
            Options = options;
            palette = new TPixel[256];
            for (int i = 0; i < palette.Length; i++) palette[i].FromL8(new L8((byte)i));
        }

        public Configuration Configuration { get; }
        public QuantizerOptions Options { get; }
        public readonly ReadOnlyMemory<TPixel> Palette => palette;

        public readonly void AddPaletteColors(Buffer2DRegion<TPixel> pixelRegion) { }   // the palette is fixed

        public IndexedImageFrame<TPixel> QuantizeFrame(ImageFrame<TPixel> source, Rectangle bounds) =>
            QuantizerUtilities.QuantizeFrame(ref this, source, bounds);

        public readonly byte GetQuantizedColor(TPixel color, out TPixel match)
        {
            Rgba32 rgba = default;
            color.ToRgba32(ref rgba);
            L8 gray = default;
            gray.FromRgba32(rgba);
            match = palette[gray.PackedValue];
            return gray.PackedValue;
        }

        public readonly void Dispose() { }
    }
}
