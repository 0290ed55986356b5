using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Engine.Checkpoints;

/// <summary>A named tensor as stored in a file: float32 data, or int64 for counters.</summary>
public sealed record NamedArray(string Name, int[] Shape, float[]? Floats = null, long[]? Longs = null)
{
    public int Count => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// The safetensors format (what PyTorch's safetensors.torch.load_file reads): an 8-byte
/// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
/// {string: string}}, then the raw little-endian data. Written atomically.
/// </summary>
public static class SafeTensors
{
    public static void Save(string path, IEnumerable<NamedArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in list)
        {
            long bytes = t.Floats is not null ? 4L * t.Floats.Length : 8L * t.Longs!.Length;
            if ((t.Floats?.Length ?? t.Longs!.Length) != t.Count)
                throw new ArgumentException($"{t.Name}: {t.Count} elements in shape, data has {t.Floats?.Length ?? t.Longs!.Length}");
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.Floats is not null ? "F32" : "I64",
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;   // the data section starts 8-byte aligned
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(json);
            for (int i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            foreach (var t in list)
            {
                if (t.Floats is not null) foreach (var f in t.Floats) w.Write(f);   // BinaryWriter is little-endian
                else foreach (var l in t.Longs!) w.Write(l);
            }
        });
    }

    /// <summary>Reads F32, F16 (widened) and I64 tensors, with the metadata.</summary>
    /// <remarks>
    /// Every defect a damaged or forged file can have becomes a one-line <see cref="GanException"/>
    /// naming the file and the defect, and nothing is allocated that the file's size does not pay
    /// for: a tensor is accepted only when its bytes lie inside the file.
    /// </remarks>
    public static (Dictionary<string, NamedArray> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot read {path}: {e.Message}"); }
        return Parse(bytes, path);
    }

    /// <summary><see cref="Load"/> on bytes already in memory; <paramref name="source"/> names them in errors.</summary>
    public static (Dictionary<string, NamedArray> Tensors, Dictionary<string, string> Metadata) Parse(byte[] bytes, string source)
    {
        if (bytes.Length < 8) throw Bad(source, $"not a safetensors file (too short: {bytes.Length} bytes)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8))
            throw Bad(source, $"not a safetensors file (header length {n} past the end of the {bytes.Length}-byte file)");
        int dataStart = 8 + (int)n;
        long dataLength = bytes.Length - dataStart;
        JsonDocument doc;
        // JsonDocument reads strings' bytes lazily and would fail late, outside this check, on bad UTF-8.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(8, (int)n))) throw Bad(source, "corrupt safetensors header: not valid UTF-8");
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n)); }
        catch (JsonException e) { throw Bad(source, $"corrupt safetensors header: {JsonError(e)}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(source, $"corrupt safetensors header: a JSON {Kind(root)}, expected an object");
            var tensors = new Dictionary<string, NamedArray>();
            var meta = new Dictionary<string, string>();
            var seen = new HashSet<string>();
            foreach (var entry in root.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw Bad(source, $"corrupt safetensors header: {Show(entry.Name)} appears twice");
                if (entry.Name == "__metadata__") ReadMetadata(entry.Value, meta, source);
                else
                {
                    var t = ReadTensor(entry.Name, entry.Value, bytes, dataStart, dataLength, source);
                    tensors[t.Name] = t;
                }
            }
            return (tensors, meta);
        }
    }

    static void ReadMetadata(JsonElement node, Dictionary<string, string> meta, string source)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"__metadata__ is a JSON {Kind(node)}, expected an object of strings");
        foreach (var p in node.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Bad(source, $"__metadata__ value {Show(p.Name)} is a JSON {Kind(p.Value)}, expected a string");
            meta[p.Name] = p.Value.GetString()!;
        }
    }

    /// <summary>Checks an entry's dtype, shape and offsets against each other and the file before reading a byte.</summary>
    static NamedArray ReadTensor(string name, JsonElement o, byte[] bytes, int dataStart, long dataLength, string source)
    {
        if (o.ValueKind != JsonValueKind.Object) throw Bad(source, $"tensor {Show(name)}: entry is a JSON {Kind(o)}, expected an object");
        if (!o.TryGetProperty("dtype", out var dt)) throw Bad(source, $"tensor {Show(name)}: missing dtype");
        if (dt.ValueKind != JsonValueKind.String) throw Bad(source, $"tensor {Show(name)}: dtype is a JSON {Kind(dt)}, expected a string");
        string dtype = dt.GetString()!;
        int elem = dtype switch { "F32" => 4, "F16" => 2, "I64" => 8, _ => throw Bad(source, $"tensor {Show(name)} has unsupported dtype {Quote(dtype)} (F32, F16 or I64)") };

        if (!o.TryGetProperty("shape", out var sh)) throw Bad(source, $"tensor {Show(name)}: missing shape");
        if (sh.ValueKind != JsonValueKind.Array) throw Bad(source, $"tensor {Show(name)}: shape is a JSON {Kind(sh)}, expected an array");
        var shape = new int[sh.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (var x in sh.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out int side) || side < 0)
                throw Bad(source, $"tensor {Show(name)}: shape entry {Clip(x.GetRawText())} is not a size (a whole number from 0 to {int.MaxValue})");
            shape[d++] = side;
            // Capped at the data's length so that the product cannot overflow on its way to the check.
            count = Math.Min(count * side, dataLength + 1);
        }
        if (count * elem > dataLength)
            throw Bad(source, $"tensor {Show(name)}: shape [{string.Join(",", shape)}] needs more bytes than the file holds (file truncated?)");

        if (!o.TryGetProperty("data_offsets", out var offs)) throw Bad(source, $"tensor {Show(name)}: missing data_offsets");
        if (offs.ValueKind != JsonValueKind.Array || offs.GetArrayLength() != 2)
            throw Bad(source, $"tensor {Show(name)}: data_offsets must be an array of two numbers, got {Clip(offs.GetRawText())}");
        if (!Offset(offs[0], out long begin) || !Offset(offs[1], out long end))
            throw Bad(source, $"tensor {Show(name)}: data_offsets {Clip(offs.GetRawText())} are not byte positions in the file");
        if (end < begin || end > dataLength)
            throw Bad(source, $"tensor {Show(name)}: data_offsets [{begin}, {end}] lie outside the {dataLength}-byte data section (file truncated?)");
        if (end - begin != count * elem)
            throw Bad(source, $"tensor {Show(name)}: data_offsets [{begin}, {end}] hold {end - begin} bytes, shape [{string.Join(",", shape)}] of {dtype} needs {count * elem}");

        int at = dataStart + (int)begin;
        return dtype switch
        {
            "F32" => new NamedArray(name, shape, Floats: ReadFloats(bytes, at, (int)count, half: false)),
            "F16" => new NamedArray(name, shape, Floats: ReadFloats(bytes, at, (int)count, half: true)),
            _ => new NamedArray(name, shape, Longs: ReadLongs(bytes, at, (int)count)),
        };
    }

    /// <summary>A non-negative whole number below 2^63 (positions past the file are caught by the caller).</summary>
    static bool Offset(JsonElement x, out long value)
    {
        value = 0;
        return x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out value) && value >= 0;
    }

    static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    static string Quote(string s) => JsonSerializer.Serialize(s.Length > 40 ? s[..40] + "…" : s);
    /// <summary>A name from the file as it can be shown on one line.</summary>
    internal static string Show(string name) => name.Any(char.IsControl) || name.Length > 60 ? Quote(name) : name;
    static string Clip(string raw) => raw.Length > 60 ? raw[..60] + "…" : raw;
    /// <summary>Where a JSON document broke, on one line (the parser's own message may quote the rest of the text).</summary>
    public static string JsonError(JsonException e) =>
        !e.Message.Contains('\n') && e.Message.Length <= 200 ? e.Message
        : e.LineNumber is { } line ? $"invalid JSON at line {line + 1}, byte {e.BytePositionInLine + 1}" : "invalid JSON";
    static GanException Bad(string source, string problem) => new($"{source}: {problem}");

    static float[] ReadFloats(byte[] bytes, int at, int count, bool half)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++)
            a[i] = half ? (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(at + 2 * i)) : BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at + 4 * i));
        return a;
    }

    static long[] ReadLongs(byte[] bytes, int at, int count)
    {
        var a = new long[count];
        for (int i = 0; i < count; i++) a[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8 * i));
        return a;
    }
}
