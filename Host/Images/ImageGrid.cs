using IlgpuGan.Engine.IO;
using IlgpuGan.Kernels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Host.Images;

/// <summary>
/// Saves a batch of generator outputs as one PNG (grayscale, or RGB for three channels): images in a grid of cells separated
/// (and framed) by black padding, so that neighbouring samples stay distinguishable at a glance.
/// </summary>
public static class ImageGrid
{
    const int Padding = 2;

    /// <summary>A near-square grid: ceil(sqrt(count)) columns.</summary>
    public static int DefaultColumns(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int c = (int)Math.Sqrt(count);
        while (c * c < count) c++; // exact even where floating-point sqrt rounds down
        return c;
    }

    /// <param name="images">count×height×width values, row-major, nominally in [-1, 1] (tanh output).</param>
    /// <param name="columns">Cells per row; more columns than images are not drawn.</param>
    public static void SavePng(string path, ReadOnlySpan<float> images, int count, int height, int width, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (images.Length != (long)count * height * width)
            throw new ArgumentException($"expected {count}×{height}×{width} = {(long)count * height * width} values, got {images.Length}", nameof(images));

        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        int gridWidth = columns * width + (columns + 1) * Padding;
        int gridHeight = rows * height + (rows + 1) * Padding;

        // Zero-initialised, i.e. black: the padding needs no drawing.
        var pixels = new byte[checked(gridWidth * gridHeight)];
        for (int i = 0; i < count; i++)
        {
            int top = Padding + (i / columns) * (height + Padding);
            int left = Padding + (i % columns) * (width + Padding);
            var image = images.Slice(i * height * width, height * width);
            for (int y = 0; y < height; y++)
            {
                var src = image.Slice(y * width, width);
                var dst = pixels.AsSpan((top + y) * gridWidth + left, width);
                for (int x = 0; x < width; x++)
                    dst[x] = Pixels.ToGray(src[x]);
            }
        }

        using var png = Image.LoadPixelData<L8>(pixels, gridWidth, gridHeight);
        var encoder = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };
        AtomicFile.Write(path, stream => png.SaveAsPng(stream, encoder));
    }

    /// <summary>
    /// Saves count images of channels×height×width values (planes first, CHW, as the generator
    /// writes NCHW rows) as one PNG: grayscale for one channel, exactly as the overload without
    /// channels does, and RGB for three (each channel mapped like a gray level).
    /// </summary>
    public static void SavePng(string path, ReadOnlySpan<float> images, int count, int channels, int height, int width, int columns)
    {
        if (channels == 1)
        {
            SavePng(path, images, count, height, width, columns);
            return;
        }
        if (channels != 3) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 (grayscale) or 3 (RGB)");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        int plane = height * width;
        if (images.Length != (long)count * channels * plane)
            throw new ArgumentException($"expected {count}×{channels}×{height}×{width} = {(long)count * channels * plane} values, got {images.Length}", nameof(images));

        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        int gridWidth = columns * width + (columns + 1) * Padding;
        int gridHeight = rows * height + (rows + 1) * Padding;

        var pixels = new byte[checked(3 * gridWidth * gridHeight)];   // black padding, as in gray grids
        for (int i = 0; i < count; i++)
        {
            int top = Padding + (i / columns) * (height + Padding);
            int left = Padding + (i % columns) * (width + Padding);
            var image = images.Slice(i * channels * plane, channels * plane);
            for (int y = 0; y < height; y++)
            {
                var dst = pixels.AsSpan(3 * ((top + y) * gridWidth + left), 3 * width);
                for (int x = 0; x < width; x++)
                    for (int c = 0; c < 3; c++)
                        dst[3 * x + c] = Pixels.ToGray(image[c * plane + y * width + x]);
            }
        }

        using var png = Image.LoadPixelData<Rgb24>(pixels, gridWidth, gridHeight);
        var encoder = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
        AtomicFile.Write(path, stream => png.SaveAsPng(stream, encoder));
    }
}
