using System.Buffers.Binary;
using System.Security.Cryptography;
using IlgpuGan.Engine;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Data;

/// <summary>How many files a folder scan passed over, by reason.</summary>
public readonly record struct FolderSkips(int NotAnImage, int Unreadable, int Corrupt, int TooLarge)
{
    /// <summary>Files that looked like images but gave none (not counting other kinds of file).</summary>
    public int BadImages => Unreadable + Corrupt + TooLarge;

    public int Total => NotAnImage + BadImages;

    /// <summary>"1 corrupt, 2 over 50 MP, 3 not images", or "none".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Corrupt > 0) parts.Add($"{Corrupt} corrupt");
        if (Unreadable > 0) parts.Add($"{Unreadable} unreadable");
        if (TooLarge > 0) parts.Add($"{TooLarge} over {FolderDataset.MaxPixels / 1_000_000} MP");
        if (NotAnImage > 0) parts.Add($"{NotAnImage} not {(NotAnImage == 1 ? "an image" : "images")}");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>
/// The folder dataset's cache: one file of uint8 pixels that loads in seconds where decoding the
/// folder took minutes. Layout (little-endian), a 128-byte header then the pixels:
/// <code>
///   0  8  magic "IGFOLDU8"
///   8  4  version (1)
///  12  4  channels C        16  4  size S        20  4  count N
///  24 16  skipped files: not an image, unreadable, corrupt, over the pixel limit (4 × int32)
///  40 32  SHA-256 fingerprint of the source folder and settings (FolderScan.Fingerprint)
///  72 32  SHA-256 of the pixels
/// 104 24  zero
/// 128     N images of C×S×S bytes, planes first (CHW), in FolderScan order
/// </code>
/// </summary>
public static class FolderCache
{
    public const int HeaderSize = 128;
    public const int Version = 1;
    static ReadOnlySpan<byte> Magic => "IGFOLDU8"u8;

    /// <summary>What a cache file holds, as far as its header says.</summary>
    public sealed record Header(int Channels, int Size, int Count, FolderSkips Skips, byte[] Fingerprint);

    /// <summary>Appends images to a cache being written; the header is filled in at the end.</summary>
    public sealed class Writer
    {
        readonly Stream stream;
        readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        readonly int imageSize;

        internal Writer(Stream stream, int imageSize)
        {
            this.stream = stream;
            this.imageSize = imageSize;
        }

        public int Count { get; private set; }

        public void Append(ReadOnlySpan<byte> image)
        {
            if (image.Length != imageSize) throw new ArgumentException($"expected {imageSize} bytes, got {image.Length}", nameof(image));
            stream.Write(image);
            sha.AppendData(image);
            Count++;
        }

        internal byte[] Hash() => sha.GetHashAndReset();
    }

    /// <summary>
    /// Writes the cache atomically (temporary name, then rename), streaming: <paramref name="fill"/>
    /// appends the images one by one and returns the skip counts; nothing is held in memory.
    /// </summary>
    public static int Write(string path, int channels, int size, byte[] fingerprint, Func<Writer, FolderSkips> fill)
    {
        int count = 0;
        try
        {
            AtomicFile.Write(path, stream =>
            {
                stream.Write(new byte[HeaderSize]);   // a placeholder until the count and hash are known
                var writer = new Writer(stream, channels * size * size);
                var skips = fill(writer);
                count = writer.Count;
                var header = new byte[HeaderSize];
                WriteHeader(header, new Header(channels, size, count, skips, fingerprint), writer.Hash());
                stream.Position = 0;
                stream.Write(header);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot write the dataset cache {path}: {e.Message}");
        }
        return count;
    }

    static void WriteHeader(Span<byte> h, Header header, byte[] pixelHash)
    {
        Magic.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], header.Channels);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], header.Size);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], header.Count);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], header.Skips.NotAnImage);
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], header.Skips.Unreadable);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], header.Skips.Corrupt);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], header.Skips.TooLarge);
        header.Fingerprint.CopyTo(h[40..72]);
        pixelHash.CopyTo(h[72..104]);
    }

    /// <summary>
    /// Reads a cache made from the same source and settings. Returns null and says why when the
    /// file is stale (<paramref name="stale"/> true: the folder or settings changed) or damaged.
    /// </summary>
    public static (Header Header, byte[] Pixels)? TryRead(string path, int channels, int size, byte[] fingerprint, out string why, out bool stale)
    {
        stale = false;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var h = new byte[HeaderSize];
            if (file.ReadAtLeast(h, HeaderSize, throwOnEndOfStream: false) < HeaderSize || !h.AsSpan(0, 8).SequenceEqual(Magic))
            {
                why = "not a dataset cache (bad header)";
                return null;
            }
            int version = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(8));
            var header = new Header(
                BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(12)),
                BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(16)),
                BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(20)),
                new FolderSkips(
                    BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(24)),
                    BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(28)),
                    BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(32)),
                    BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(36))),
                h.AsSpan(40, 32).ToArray());
            stale = true;
            if (version != Version) { why = $"written by cache format version {version}, this is {Version}"; return null; }
            if (header.Channels != channels || header.Size != size) { why = $"holds {header.Channels}×{header.Size}×{header.Size} images, not {channels}×{size}×{size}"; return null; }
            if (!header.Fingerprint.AsSpan().SequenceEqual(fingerprint)) { why = "the folder changed since it was written"; return null; }
            stale = false;

            long pixels = (long)header.Count * channels * size * size;
            if (header.Count <= 0 || pixels > Array.MaxLength || file.Length != HeaderSize + pixels)
            {
                why = $"truncated or damaged ({file.Length} bytes for {header.Count} images of {channels}×{size}×{size})";
                return null;
            }
            var data = GC.AllocateUninitializedArray<byte>((int)pixels);
            file.ReadExactly(data);
            if (!SHA256.HashData(data).AsSpan().SequenceEqual(h.AsSpan(72, 32)))
            {
                why = "damaged (its pixels do not match their checksum)";
                return null;
            }
            why = "";
            return (header, data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"cannot be read: {e.Message}";
            return null;
        }
    }
}
