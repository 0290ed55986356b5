using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Data;

/// <summary>Image folders generated on the fly: every format, odd sizes, gray, RGBA, broken files.</summary>
static class FolderFixtures
{
    /// <summary>A temporary folder, deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ilgpugan-folder-" + Guid.NewGuid().ToString("N"));

        public TempDir() => Directory.CreateDirectory(Path);

        public string File(string relative)
        {
            var full = System.IO.Path.Combine(Path, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            return full;
        }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    public static Image<Rgb24> Solid(int width, int height, Rgb24 color)
    {
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++) rows.GetRowSpan(y).Fill(color);
        });
        return image;
    }

    /// <summary>Pixels from a deterministic hash of (x, y, seed): every channel varies.</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var image = new Image<Rgb24>(width, height);
        var rng = new Random(seed);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < width; x++) row[x] = new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
            }
        });
        return image;
    }

    // Far-apart colours, so that even lossy JPEG keeps them within a few levels.
    public static readonly Rgb24 Orange = new(200, 100, 50);
    public static readonly Rgb24 Teal = new(20, 160, 150);
    public static readonly Rgb24 Violet = new(120, 40, 220);
    public static readonly Rgb24 Olive = new(110, 120, 10);
    public static readonly Rgb24 Pink = new(240, 150, 190);
    public const byte Gray = 77;
    public static readonly Rgb24 RgbaColor = new(10, 20, 30);

    /// <summary>The images a mixed folder holds, in the loader's order, with their colour (null: a noise image).</summary>
    public static readonly (string Name, Rgb24? Color, bool Lossy)[] MixedImages =
    [
        ("a/b/deep.png", Pink, false),   // 17×64: tall
        ("bitmap.bmp", Orange, false),   // 64×64
        ("gray.png", new Rgb24(Gray, Gray, Gray), false),   // 8-bit grayscale PNG, 40×30
        ("noise.png", null, false),   // 16×16 RGB noise: no resize at size 16
        ("palette.gif", Violet, false),   // 33×20
        ("photo.JPG", Teal, true),   // 40×30, upper-case extension
        ("rgba.png", RgbaColor, false),   // 30×30 with alpha from 0 to 255
        ("web.webp", Olive, false),   // 20×24, lossless
    ];

    /// <summary>
    /// Eight good images (<see cref="MixedImages"/>), one truncated PNG, one PNG whose header
    /// claims 10000×6000, a text file, and a hidden file that must not even be looked at.
    /// </summary>
    public static void WriteMixedFolder(TempDir dir)
    {
        using (var img = Solid(17, 64, Pink)) img.SaveAsPng(dir.File("a/b/deep.png"));
        using (var img = Solid(64, 64, Orange)) img.SaveAsBmp(dir.File("bitmap.bmp"), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        using (var img = new Image<L8>(40, 30, new L8(Gray)))
            img.SaveAsPng(dir.File("gray.png"), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
        using (var img = Noise(16, 16, seed: 1)) img.SaveAsPng(dir.File("noise.png"));
        using (var img = Solid(33, 20, Violet)) img.SaveAsGif(dir.File("palette.gif"), new GifEncoder());
        using (var img = Solid(40, 30, Teal)) img.SaveAsJpeg(dir.File("photo.JPG"), new JpegEncoder { Quality = 95 });
        using (var img = new Image<Rgba32>(30, 30))
        {
            img.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < 30; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < 30; x++) row[x] = new Rgba32(RgbaColor.R, RgbaColor.G, RgbaColor.B, (byte)((x + 30 * y) * 255 / 899));
                }
            });
            img.SaveAsPng(dir.File("rgba.png"), new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        }
        using (var img = Solid(20, 24, Olive)) img.SaveAsWebp(dir.File("web.webp"), new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });

        WriteTruncatedPng(dir.File("z/corrupt.png"));
        File.WriteAllBytes(dir.File("z/huge.png"), PngHeaderOnly(10000, 6000));
        File.WriteAllText(dir.File("notes.txt"), "not an image");
        File.WriteAllText(dir.File(".hidden.png"), "a hidden file is never opened");
    }

    /// <summary>A noise PNG cut in half: a valid header, then the data stream stops.</summary>
    public static void WriteTruncatedPng(string path)
    {
        using var ms = new MemoryStream();
        using (var img = Noise(32, 32, seed: 2)) img.SaveAsPng(ms);
        File.WriteAllBytes(path, ms.ToArray().AsSpan(0, (int)ms.Length / 2).ToArray());
    }

    /// <summary>
    /// A well-formed PNG header (IHDR, a 3-byte IDAT that cannot inflate to the declared size, IEND).
    /// ImageSharp 2.1 decodes it without complaint into a black 10000×6000 image (180 MB of
    /// pixels): only the header check keeps it out, which the tests' counts and the number of
    /// images tell apart.
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 2;   // colour type: RGB
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x03]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        s.Write(crc);
    }

    static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
