using System.Buffers.Binary;
using System.IO.Compression;
using IlgpuGan.Engine;
using IlgpuGan.Host.Data;
using Xunit;

namespace IlgpuGan.Tests.Data;

public class IdxTests
{
    [Theory]
    [InlineData("mnist", "train", 60000)]
    [InlineData("mnist", "t10k", 10000)]
    [InlineData("fashion-mnist", "train", 60000)]
    [InlineData("fashion-mnist", "t10k", 10000)]
    public void ReadsTheRealFiles(string dataset, string split, int count)
    {
        var dir = Path.Combine(IdxFixtures.SharedData(), dataset);
        var images = Idx.ReadImages(Path.Combine(dir, $"{split}-images-idx3-ubyte.gz"));
        var labels = Idx.ReadLabels(Path.Combine(dir, $"{split}-labels-idx1-ubyte.gz"));

        Assert.Equal((count, 28, 28), (images.Count, images.Rows, images.Cols));
        Assert.Equal(count * 28 * 28, images.Pixels.Length);
        Assert.Equal(count, labels.Length);
        Assert.All(labels, l => Assert.InRange(l, (byte)0, (byte)9));
        Assert.Equal(10, labels.Distinct().Count());
        Assert.Contains(images.Pixels, p => p == 255); // real strokes, not an all-zero buffer
        Idx.CheckPair(images, labels, dataset);
    }

    [Fact]
    public void RawAndGzipGiveTheSameData()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var imageBytes = IdxFixtures.ImageFile(count: 7, rows: 5, cols: 4);
        var labelBytes = IdxFixtures.LabelFile(count: 7);
        // The names deliberately lie about compression: detection goes by magic bytes.
        var raw = tmp.Write("images.gz", imageBytes);
        var gz = tmp.Write("images.raw", IdxFixtures.Gzip(imageBytes));

        var a = Idx.ReadImages(raw);
        var b = Idx.ReadImages(gz);
        Assert.Equal((7, 5, 4), (a.Count, a.Rows, a.Cols));
        Assert.Equal(imageBytes.AsSpan(16).ToArray(), a.Pixels);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.Equal(labelBytes.AsSpan(8).ToArray(), Idx.ReadLabels(tmp.Write("l", labelBytes)));
        Assert.Equal(labelBytes.AsSpan(8).ToArray(), Idx.ReadLabels(tmp.Write("l.gz", IdxFixtures.Gzip(labelBytes))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedFileIsReported(bool gzip)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var bytes = IdxFixtures.ImageFile(count: 10, rows: 28, cols: 28);
        var cut = bytes.AsSpan(0, 1000).ToArray();
        var path = tmp.Write("train-images-idx3-ubyte", gzip ? IdxFixtures.Gzip(cut) : cut);

        var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
        Assert.Equal($"{path}: truncated: expected 7856 bytes, got 1000", e.Message);
    }

    [Fact]
    public void TruncatedGzipStreamIsReported()
    {
        // Cut inside the compressed data itself, as an interrupted download would.
        using var tmp = new IdxFixtures.TempFolder();
        var gz = IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 10, rows: 28, cols: 28));
        var path = tmp.Write("x.gz", gz.AsSpan(0, gz.Length / 2).ToArray());

        var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.True(e.Message.Contains("truncated") || e.Message.Contains("corrupt gzip"), e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingGarbageIsReported(bool gzip)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var bytes = IdxFixtures.ImageFile(count: 2, rows: 3, cols: 3).Concat(new byte[5]).ToArray();
        var path = tmp.Write("f", gzip ? IdxFixtures.Gzip(bytes) : bytes);

        var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
        Assert.Equal($"{path}: trailing data: expected 34 bytes, got 39", e.Message);
    }

    [Fact]
    public void WrongMagicIsReported()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var labels = tmp.Write("train-labels-idx1-ubyte", IdxFixtures.LabelFile(count: 4));
        var junk = tmp.Write("notes.txt", "hello, this is not IDX"u8.ToArray());

        var e = Assert.Throws<GanException>(() => Idx.ReadImages(labels));
        Assert.Contains("train-labels-idx1-ubyte: not an IDX image file", e.Message);
        Assert.Contains("label file, not an image file", e.Message);
        e = Assert.Throws<GanException>(() => Idx.ReadLabels(junk));
        Assert.Contains("notes.txt: not an IDX label file: magic 0x68656c6c", e.Message);
    }

    [Theory]
    [InlineData(0, 28, 28)]
    [InlineData(5, 0, 28)]
    [InlineData(5, 28, -1)]
    [InlineData(5, 100000, 28)]
    public void ImplausibleDimensionsAreReported(int count, int rows, int cols)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), cols);
        var path = tmp.Write("dims", header);

        var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
        Assert.Contains($"implausible image dimensions {count}×{rows}×{cols}", e.Message);
    }

    [Fact]
    public void EmptyAndMissingFilesAreReported()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var empty = tmp.Write("empty", []);
        var missing = Path.Combine(tmp.Path, "nope.gz");

        Assert.Equal($"{empty}: empty file", Assert.Throws<GanException>(() => Idx.ReadLabels(empty)).Message);
        Assert.Equal($"{missing}: file not found", Assert.Throws<GanException>(() => Idx.ReadImages(missing)).Message);
    }

    [Fact]
    public void CorruptGzipIsReported()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var gz = IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 10, rows: 28, cols: 28));
        var badCrc = (byte[])gz.Clone();
        badCrc[^6] ^= 0xff; // inside the CRC-32 trailer: every data byte decodes, the check fails
        var badBody = (byte[])gz.Clone();
        for (int i = 20; i < 60; i++) badBody[i] ^= 0x5a;

        foreach (var (name, bytes) in new[] { ("bad-crc.gz", badCrc), ("bad-body.gz", badBody) })
        {
            var path = tmp.Write(name, bytes);
            var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
            Assert.True(e.Message.StartsWith($"{path}: corrupt gzip data"), $"{name}: {e.Message}");
        }
    }

    [Fact]
    public void LabelCountMustMatchImageCount()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var images = Idx.ReadImages(tmp.Write("i", IdxFixtures.ImageFile(count: 6, rows: 2, cols: 2)));
        var labels = Idx.ReadLabels(tmp.Write("l", IdxFixtures.LabelFile(count: 5)));

        var e = Assert.Throws<GanException>(() => Idx.CheckPair(images, labels, "MNIST train"));
        Assert.StartsWith("MNIST train: 6 images but 5 labels", e.Message);
    }
}

/// <summary>Small IDX files built in code, the shared data folder, and scratch folders.</summary>
internal static class IdxFixtures
{
    /// <summary>Walks up from the test binaries to the folder holding IlgpuGan.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IlgpuGan.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no IlgpuGan.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The original MNIST / Fashion-MNIST files, kept outside the repository.</summary>
    public static string SharedData() => Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data"));

    /// <summary>A valid image file with a deterministic pattern, so content checks are exact.</summary>
    public static byte[] ImageFile(int count, int rows, int cols, int seed = 0)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 16; i < bytes.Length; i++)
            bytes[i] = (byte)(i * 37 + seed * 11);
        return bytes;
    }

    public static byte[] LabelFile(int count, int seed = 0)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++)
            bytes[8 + i] = (byte)((i + seed) % 10);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
            gz.Write(data);
        return ms.ToArray();
    }

    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ilgpugan-tests-" + Guid.NewGuid().ToString("N"));

        public TempFolder() => Directory.CreateDirectory(Path);

        public string Write(string name, byte[] bytes)
        {
            var path = System.IO.Path.Combine(Path, name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
