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
    public static (Dictionary<string, NamedArray> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot read {path}: {e.Message}"); }
        if (bytes.Length < 8) throw new GanException($"{path}: not a safetensors file (too short)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8)) throw new GanException($"{path}: not a safetensors file (header length {n} past the end)");
        JsonObject header;
        try { header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject(); }
        catch (JsonException e) { throw new GanException($"{path}: corrupt safetensors header: {e.Message}"); }
        int dataStart = 8 + (int)n;
        var tensors = new Dictionary<string, NamedArray>();
        var meta = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) meta[k] = v!.GetValue<string>();
                continue;
            }
            var o = node!.AsObject();
            string dtype = o["dtype"]!.GetValue<string>();
            int[] shape = o["shape"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var offs = o["data_offsets"]!.AsArray();
            long begin = offs[0]!.GetValue<long>(), end = offs[1]!.GetValue<long>();
            int count = shape.Aggregate(1, (a, b) => a * b);
            int elem = dtype switch { "F32" => 4, "F16" => 2, "I64" => 8, _ => throw new GanException($"{path}: tensor {name} has unsupported dtype {dtype}") };
            if (end - begin != (long)count * elem || dataStart + end > bytes.Length || begin < 0)
                throw new GanException($"{path}: tensor {name} has inconsistent offsets (file truncated?)");
            int at = dataStart + (int)begin;
            tensors[name] = dtype switch
            {
                "F32" => new NamedArray(name, shape, Floats: ReadFloats(bytes, at, count, half: false)),
                "F16" => new NamedArray(name, shape, Floats: ReadFloats(bytes, at, count, half: true)),
                _ => new NamedArray(name, shape, Longs: ReadLongs(bytes, at, count)),
            };
        }
        return (tensors, meta);
    }

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
