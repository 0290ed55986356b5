using System.Buffers.Binary;
using System.IO.Compression;
using IlgpuGan.Engine;

namespace IlgpuGan.Host.Data;

/// <summary>Images from an IDX file: <see cref="Count"/> images of Rows×Cols bytes, row-major.</summary>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Cols);

/// <summary>
/// Reads the IDX files that MNIST and Fashion-MNIST ship in (unsigned-byte image and label files).
/// Files may be gzipped or raw; gzip is recognised by its magic bytes because users rename and
/// unpack files freely, so the extension proves nothing. Anything wrong with a file becomes a
/// <see cref="GanException"/> whose one-line message names the file and the problem, because a
/// half-downloaded or mislabelled data file is the most common way training goes wrong early.
/// </summary>
public static class Idx
{
    // IDX magic: two zero bytes, the element type (0x08 = unsigned byte), then the number of dimensions.
    const int ImagesMagic = 0x00000803;
    const int LabelsMagic = 0x00000801;

    // Far above MNIST (60000 of 28×28) yet small enough that a corrupt header cannot make us
    // allocate gigabytes before the length check finds out.
    const int MaxSide = 1024;
    const int MaxCount = 10_000_000;

    const string CorruptGzip = "corrupt gzip data; delete the file and download it again";

    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path);
        int count = 0, rows = 0, cols = 0;
        long pixels = 0;
        CheckHeader(stream, path, () =>
        {
            var header = ReadHeader(stream, path, ImagesMagic, dims: 3);
            (count, rows, cols) = (header[0], header[1], header[2]);
            if (count <= 0 || count > MaxCount || rows <= 0 || rows > MaxSide || cols <= 0 || cols > MaxSide)
                throw Fail(path, $"implausible image dimensions {count}×{rows}×{cols}");
            pixels = (long)count * rows * cols;
            if (pixels > Array.MaxLength)
                throw Fail(path, $"too large: {count}×{rows}×{cols} pixels do not fit in memory");
        });
        var data = ReadBody(stream, path, headerBytes: 16, (int)pixels);
        return new IdxImages(data, count, rows, cols);
    }

    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        int count = 0;
        CheckHeader(stream, path, () =>
        {
            count = ReadHeader(stream, path, LabelsMagic, dims: 1)[0];
            if (count <= 0 || count > MaxCount)
                throw Fail(path, $"implausible label count {count}");
        });
        return ReadBody(stream, path, headerBytes: 8, count);
    }

    /// <summary>
    /// Runs the header checks. Damage in a gzip stream shows up as garbage in the decoded header
    /// long before the CRC at the end can catch it, so when a gzipped header looks wrong, decode
    /// the rest: if that fails, "corrupt gzip" is the true diagnosis, not "bad dimensions".
    /// </summary>
    static void CheckHeader(Stream stream, string path, Action check)
    {
        try
        {
            check();
        }
        catch (GanException) when (stream is GZipStream && !GzipDecodesCleanly(stream))
        {
            throw Fail(path, CorruptGzip);
        }
    }

    static bool GzipDecodesCleanly(Stream stream)
    {
        var scratch = new byte[1 << 16];
        try
        {
            // Capped so that a header claiming absurd sizes cannot make us inflate forever.
            for (long total = 0; total < 1L << 30;)
            {
                int n = stream.Read(scratch);
                if (n == 0) return true;
                total += n;
            }
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // not evidence of corruption; keep the original message
        }
    }

    /// <summary>Images and labels come from separate files, so nothing else guarantees they match.</summary>
    public static void CheckPair(IdxImages images, byte[] labels, string what)
    {
        if (images.Count != labels.Length)
            throw new GanException($"{what}: {images.Count} images but {labels.Length} labels; the image and label files do not belong together");
    }

    /// <summary>Opens the file, unwrapping gzip when the first two bytes are 1f 8b.</summary>
    static Stream Open(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException) { throw Fail(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw Fail(path, "file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(path, $"cannot open: {e.Message}");
        }

        try
        {
            var magic = new byte[2];
            int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                return new GZipStream(file, CompressionMode.Decompress);
            return file;
        }
        catch (IOException e)
        {
            file.Dispose();
            throw Fail(path, $"read error: {e.Message}");
        }
    }

    static int[] ReadHeader(Stream stream, string path, int expectedMagic, int dims)
    {
        var bytes = new byte[4 + 4 * dims];
        int got = ReadFully(stream, path, bytes);
        if (got == 0)
            throw Fail(path, "empty file");
        if (got >= 4)
        {
            // Check the magic before the length so that a wrong kind of file is reported as such.
            int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
            if (magic != expectedMagic)
            {
                string hint = magic switch
                {
                    ImagesMagic => " (this is an image file, not a label file)",
                    LabelsMagic => " (this is a label file, not an image file)",
                    _ => "",
                };
                throw Fail(path, $"not an IDX {(expectedMagic == ImagesMagic ? "image" : "label")} file: magic 0x{magic:x8}, expected 0x{expectedMagic:x8}{hint}");
            }
        }
        if (got < bytes.Length)
            throw Fail(path, $"truncated: header needs {bytes.Length} bytes, got {got}");
        var result = new int[dims];
        for (int i = 0; i < dims; i++)
            result[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
        return result;
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes and insists that nothing follows them.</summary>
    static byte[] ReadBody(Stream stream, string path, int headerBytes, int length)
    {
        long expected = headerBytes + (long)length;
        // A raw file's size is known up front: fail before allocating for a file that cannot be right.
        if (stream is FileStream fs && fs.Length != expected)
            throw fs.Length < expected
                ? Fail(path, $"truncated: expected {expected} bytes, got {fs.Length}")
                : Fail(path, $"trailing data: expected {expected} bytes, got {fs.Length}");

        var data = stream is FileStream ? new byte[length] : ReadInflated(stream, path, length);
        int got = stream is FileStream ? ReadFully(stream, path, data) : data.Length;
        if (got < length)
            throw Fail(path, $"truncated: expected {expected} bytes, got {headerBytes + (long)got}");

        // Count what follows instead of just noticing it, so the message can say how much.
        var scratch = new byte[1 << 16];
        long extra = 0;
        while (true)
        {
            int n = ReadSome(stream, path, scratch);
            if (n == 0) break;
            extra += n;
            if (extra > 1L << 30) break; // enough to report; do not inflate a gzip bomb to the end
        }
        if (extra > 0)
            throw Fail(path, $"trailing data: expected {expected} bytes, got {expected + extra}");
        return data;
    }

    /// <summary>
    /// Up to <paramref name="length"/> bytes of a gzip stream, in chunks: a tiny file whose header
    /// claims gigabytes must not get them allocated before the data runs out. Returns fewer bytes
    /// when the stream ends early.
    /// </summary>
    static byte[] ReadInflated(Stream stream, string path, int length)
    {
        const int Chunk = 1 << 20;
        var chunks = new List<byte[]>();
        int total = 0;
        while (total < length)
        {
            var chunk = new byte[Math.Min(Chunk, length - total)];
            int n = ReadFully(stream, path, chunk);
            total += n;
            chunks.Add(chunk);
            if (n < chunk.Length) break;
        }
        if (chunks.Count == 1 && total == length) return chunks[0];
        var data = new byte[total];
        int at = 0;
        foreach (var c in chunks)
        {
            int n = Math.Min(c.Length, total - at);
            c.AsSpan(0, n).CopyTo(data.AsSpan(at));
            at += n;
        }
        return data;
    }

    static int ReadFully(Stream stream, string path, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = ReadSome(stream, path, buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    static int ReadSome(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.Read(buffer);
        }
        catch (InvalidDataException)
        {
            // .NET's own message ("unsupported compression method") misleads; the data is just damaged.
            throw Fail(path, CorruptGzip);
        }
        catch (IOException e)
        {
            throw Fail(path, $"read error: {e.Message}");
        }
    }

    static GanException Fail(string path, string problem) => new($"{path}: {problem}");
}
