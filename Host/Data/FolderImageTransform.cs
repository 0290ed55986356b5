using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace IlgpuGan.Host.Data;

/// <summary>
/// What torchvision's <c>ImageFolder</c> (PIL <c>convert('RGB')</c>) followed by
/// <c>Resize(S)</c>, <c>CenterCrop(S)</c> and, for one channel, <c>convert('L')</c> does to one
/// image, written out in two explicit steps rather than with ImageSharp's ResizeMode.Crop: that
/// mode rounds the longer side up and places the crop by its own rule, while torchvision truncates
/// the longer side and rounds the crop offset half-to-even (Python's round).
/// </summary>
public static class FolderImageTransform
{
    // PIL's BILINEAR is a triangle filter widened by the scale when shrinking (antialiased);
    // ImageSharp's Triangle resampler widens its kernel the same way. Compand=false: like PIL, it
    // filters the stored sRGB values, not linear light.
    static readonly IResampler Resampler = KnownResamplers.Triangle;

    /// <summary>Resize(S): the shorter side becomes S, the longer one int(S·long/short).</summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        return width <= height
            ? (size, (int)((long)size * height / width))
            : ((int)((long)size * width / height), size);
    }

    /// <summary>CenterCrop(S)'s top-left corner: round((W−S)/2), round((H−S)/2), ties to even.</summary>
    public static (int Left, int Top) CropOffset(int width, int height, int size) =>
        ((int)Math.Round((width - size) / 2.0, MidpointRounding.ToEven),
         (int)Math.Round((height - size) / 2.0, MidpointRounding.ToEven));

    /// <summary>PIL's convert('L'): ITU-R 601-2 luma in 16-bit fixed point, rounded.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>
    /// Resizes <paramref name="image"/> in place and writes its centre S×S crop to
    /// <paramref name="chw"/> as channels planes of S×S bytes (RGB, or luma for one channel).
    /// </summary>
    public static void ToChw(Image<Rgb24> image, int size, int channels, Memory<byte> chw)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 (grayscale) or 3 (RGB)");
        if (chw.Length != channels * size * size) throw new ArgumentException($"expected {channels}×{size}×{size} bytes, got {chw.Length}", nameof(chw));

        var (w, h) = ResizedSize(image.Width, image.Height, size);
        if (w != image.Width || h != image.Height)
        {
            image.Mutate(x => x.Resize(new ResizeOptions
            {
                Size = new Size(w, h),
                Mode = ResizeMode.Stretch,
                Sampler = Resampler,
                Compand = false,
            }));
        }
        var (left, top) = CropOffset(w, h, size);
        int plane = size * size;
        image.ProcessPixelRows(rows =>
        {
            var dst = chw.Span;
            for (int y = 0; y < size; y++)
            {
                var row = rows.GetRowSpan(top + y).Slice(left, size);
                int o = y * size;
                if (channels == 3)
                {
                    for (int x = 0; x < size; x++)
                    {
                        var p = row[x];
                        dst[o + x] = p.R;
                        dst[plane + o + x] = p.G;
                        dst[2 * plane + o + x] = p.B;
                    }
                }
                else
                {
                    for (int x = 0; x < size; x++)
                        dst[o + x] = Luma(row[x].R, row[x].G, row[x].B);
                }
            }
        });
    }
}
