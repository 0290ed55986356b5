using System.Buffers.Binary;
using System.Text;
using IlgpuGan.Engine;
using IlgpuGan.Host.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace IlgpuGan.Tests.Images;

public sealed class ImageGridTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "ilgpugan-tests-" + Guid.NewGuid().ToString("N"));

    public ImageGridTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Image k, pixel (y, x) is -1, 0 or 1 depending on (k + y + x) mod 3.</summary>
    static float Pattern(int k, int y, int x) => ((k + y + x) % 3) - 1;

    static float[] Images(int count, int h, int w)
    {
        var data = new float[count * h * w];
        for (int k = 0; k < count; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    data[(k * h + y) * w + x] = Pattern(k, y, x);
        return data;
    }

    [Fact]
    public void GridOf64HasTheExpectedSizeAndPixels()
    {
        var path = Path.Combine(dir, "grid.png");
        ImageGrid.SavePng(path, Images(64, 28, 28), 64, 28, 28, ImageGrid.DefaultColumns(64));

        using var png = Image.Load<L8>(path);
        Assert.Equal((242, 242), (png.Width, png.Height)); // 8*28 + 9*2

        // Cell 19 is row 2, column 3; its top-left pixel sits after 3 paddings and 2 (3) cells.
        const int k = 19, top = 2 + 2 * 30, left = 2 + 3 * 30;
        byte[] expected = [0, 128, 255]; // -1, 0, 1
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                Assert.Equal(expected[(int)Pattern(k, y, x) + 1], png[left + x, top + y].PackedValue);

        // The padding around and between cells stays black.
        for (int i = 0; i < 242; i++)
        {
            Assert.Equal(0, png[i, 0].PackedValue);
            Assert.Equal(0, png[i, 241].PackedValue);
            Assert.Equal(0, png[30, i].PackedValue);
            Assert.Equal(0, png[31, i].PackedValue);
        }
    }

    [Fact]
    public void PartialLastRowAndClamping()
    {
        var path = Path.Combine(dir, "partial.png");
        var data = new float[10 * 2 * 2];
        data[0] = -5f;
        data[1] = 5f;
        data[2] = float.NaN;
        data[3] = 0.5f;

        ImageGrid.SavePng(path, data, 10, 2, 2, columns: 4);

        using var png = Image.Load<L8>(path);
        Assert.Equal((4 * 2 + 5 * 2, 3 * 2 + 4 * 2), (png.Width, png.Height));
        Assert.Equal(0, png[2, 2].PackedValue);
        Assert.Equal(255, png[3, 2].PackedValue);
        Assert.Equal(0, png[2, 3].PackedValue);
        Assert.Equal(191, png[3, 3].PackedValue); // 1.5 * 127.5 = 191.25
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(16, 4)]
    [InlineData(17, 5)]
    [InlineData(64, 8)]
    [InlineData(65, 9)]
    public void DefaultColumnsIsCeilOfSqrt(int count, int columns) => Assert.Equal(columns, ImageGrid.DefaultColumns(count));

    [Fact]
    public void WrongLengthIsRejected() =>
        Assert.Throws<ArgumentException>(() => ImageGrid.SavePng(Path.Combine(dir, "x.png"), new float[10], 2, 2, 2, 2));

    [Fact]
    public void NpyRoundTripsWithAValidHeader()
    {
        var path = Path.Combine(dir, "samples.npy");
        var data = Images(3, 28, 28);
        data[5] = float.NaN;
        data[6] = -0f;

        Npy.WriteFloat32(path, data, 3, 28, 28);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLength + 3 * 28 * 28 * 4, bytes.Length);

        var (read, shape) = Npy.ReadFloat32(path);
        Assert.Equal([3, 28, 28], shape);
        Assert.Equal(data.Length, read.Length);
        for (int i = 0; i < data.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(data[i]), BitConverter.SingleToInt32Bits(read[i]));
    }

    [Fact]
    public void NpyOneDimensionalShapeUsesPythonTupleSyntax()
    {
        var path = Path.Combine(dir, "v.npy");
        Npy.WriteFloat32(path, [1f, 2f, 3f], 3);

        Assert.Contains("'shape': (3,)", Encoding.ASCII.GetString(File.ReadAllBytes(path)));
        Assert.Equal([3], Npy.ReadFloat32(path).Shape);
    }

    [Theory]
    [InlineData("'<f4'", "'<f8'", "dtype '<f8' is not supported")]
    [InlineData("False,", "True, ", "only C-order")]
    public void NpyReaderRejectsWhatItCannotRead(string from, string to, string message)
    {
        var path = Path.Combine(dir, "bad.npy");
        Npy.WriteFloat32(path, new float[4], 2, 2);
        var bytes = File.ReadAllBytes(path);
        // Edit the header text only (after magic, version and length); the lengths stay the same.
        var text = Encoding.ASCII.GetString(bytes, 10, 54).Replace(from, to);
        Encoding.ASCII.GetBytes(text).CopyTo(bytes, 10);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<GanException>(() => Npy.ReadFloat32(path));
        Assert.True(e.Message.Contains(message), e.Message);
    }

    [Fact]
    public void NpyReaderRejectsTruncatedData()
    {
        var path = Path.Combine(dir, "short.npy");
        Npy.WriteFloat32(path, new float[4], 4);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^2]);

        var e = Assert.Throws<GanException>(() => Npy.ReadFloat32(path));
        Assert.True(e.Message.EndsWith($"expected {bytes.Length} bytes for shape (4), got {bytes.Length - 2}"), e.Message);
    }
}
