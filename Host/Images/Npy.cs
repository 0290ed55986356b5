using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using IlgpuGan.Engine;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Images;

/// <summary>
/// NumPy .npy files of float32, so samples and activations can be inspected with
/// <c>numpy.load</c>. Only what we write is read back: little-endian '&lt;f4' in C order.
/// </summary>
public static partial class Npy
{
    static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // The format asks for the data to start on a 64-byte boundary so it can be memory-mapped aligned.
    const int Alignment = 64;

    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        long size = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            size *= d;
        }
        if (size != data.Length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {size} values, data has {data.Length}", nameof(data));

        var header = BuildHeader(shape);
        var bytes = new byte[header.Length + (long)data.Length * sizeof(float)];
        header.CopyTo(bytes, 0);
        var body = bytes.AsSpan(header.Length);
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(data).CopyTo(body);
        else
            for (int i = 0; i < data.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(body[(i * 4)..], data[i]);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Magic, version 1.0, little-endian header length, then a Python dict literal padded with spaces.</summary>
    static byte[] BuildHeader(int[] shape)
    {
        // A one-element tuple needs its trailing comma in Python: (5,)
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int preamble = Magic.Length + 2 + 2;
        int unpadded = preamble + dict.Length + 1; // + '\n'
        int total = (unpadded + Alignment - 1) / Alignment * Alignment;
        int headerLength = total - preamble;
        if (headerLength > ushort.MaxValue)
            throw new ArgumentException("shape too long for an .npy version 1.0 header", nameof(shape));

        var header = new byte[total];
        Magic.CopyTo(header);
        header[6] = 1; // major version
        header[7] = 0; // minor version
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)headerLength);
        var text = dict.PadRight(headerLength - 1) + "\n";
        Encoding.ASCII.GetBytes(text, header.AsSpan(preamble));
        return header;
    }

    public static (float[] Data, int[] Shape) ReadFloat32(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"{path}: cannot read: {e.Message}");
        }

        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw Fail(path, "not an .npy file");
        int major = bytes[6];
        int headerStart, headerLength;
        if (major == 1)
        {
            headerStart = 10;
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            // Versions 2 and 3 differ from 1 only in a 4-byte header length (and 3 in UTF-8 text).
            headerStart = 12;
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        }
        else
        {
            throw Fail(path, $"unsupported .npy version {major}.{bytes[7]}");
        }
        if ((long)headerStart + headerLength > bytes.Length)
            throw Fail(path, "truncated header");
        var header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);

        var descr = DescrPattern().Match(header);
        if (!descr.Success)
            throw Fail(path, "header has no 'descr'");
        if (descr.Groups[1].Value != "<f4")
            throw Fail(path, $"dtype '{descr.Groups[1].Value}' is not supported, only '<f4' (little-endian float32)");
        var fortran = FortranPattern().Match(header);
        if (!fortran.Success || fortran.Groups[1].Value != "False")
            throw Fail(path, "only C-order arrays are supported (fortran_order must be False)");
        var shapeMatch = ShapePattern().Match(header);
        if (!shapeMatch.Success)
            throw Fail(path, "header has no valid 'shape'");
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out var d) && d >= 0 ? d : throw Fail(path, $"bad dimension '{s}' in shape"))
            .ToArray();

        long count = 1;
        foreach (var d in shape) count *= d;
        long dataStart = headerStart + headerLength;
        long expected = dataStart + count * sizeof(float);
        if (bytes.Length != expected)
            throw Fail(path, $"expected {expected} bytes for shape ({string.Join(", ", shape)}), got {bytes.Length}");

        var data = new float[count];
        var body = bytes.AsSpan((int)dataStart);
        if (BitConverter.IsLittleEndian)
            body.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        else
            for (int i = 0; i < data.Length; i++)
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(i * 4)..]);
        return (data, shape);
    }

    static GanException Fail(string path, string problem) => new($"{path}: {problem}");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
