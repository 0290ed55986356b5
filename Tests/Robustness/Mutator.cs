using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace IlgpuGan.Tests.Robustness;

/// <summary>A length or count field of a binary format: where it is and how it is stored.</summary>
public sealed record LengthField(int Offset, int Size, bool BigEndian);

/// <summary>
/// Makes damaged and forged variants of a valid file, deterministically from a seed: bit flips,
/// truncations, length fields set to 0, −1, 2^31, 2^63 and past the end, byte runs inserted or
/// dropped, trailing junk, and, for JSON (a safetensors header, config.json, state.json),
/// structural edits: keys dropped, duplicated or renamed, values swapped for other types, negative,
/// huge or fractional numbers, a different root.
/// </summary>
public sealed class Mutator(int seed)
{
    readonly Random r = new(seed);

    /// <param name="head">how many leading bytes hold the structure (mutations favour them)</param>
    /// <param name="json">the bytes of a JSON document inside the file, if any</param>
    /// <param name="safetensorsHeader">the JSON is a safetensors header: re-encode its 8-byte length after editing it</param>
    public (byte[] Bytes, string What) Mutate(byte[] valid, int head, LengthField[] fields, (int Start, int Length)? json = null, bool safetensorsHeader = false)
    {
        int pick = r.Next(json is null ? 7 : 10);
        return pick switch
        {
            0 or 1 => FlipBits(valid, head),
            2 => Truncate(valid, head),
            3 => fields.Length > 0 ? SetLength(valid, fields[r.Next(fields.Length)]) : FlipBits(valid, head),
            4 => Overwrite(valid, head),
            5 => Splice(valid, head),
            6 => ([.. valid, .. RandomBytes(r.Next(1, 64))], "trailing junk"),
            _ => MutateJson(valid, json!.Value, safetensorsHeader),
        };
    }

    int Position(int length, int head) =>
        r.NextDouble() < 0.75 ? r.Next(Math.Max(1, Math.Min(head, length))) : r.Next(Math.Max(1, length));

    (byte[], string) FlipBits(byte[] valid, int head)
    {
        var b = (byte[])valid.Clone();
        int n = r.Next(1, 9);
        for (int i = 0; i < n && b.Length > 0; i++) b[Position(b.Length, head)] ^= (byte)(1 << r.Next(8));
        return (b, $"{n} bit flips");
    }

    (byte[], string) Truncate(byte[] valid, int head)
    {
        int len = Position(valid.Length, head + 1);
        return (valid[..len], $"truncated to {len} bytes");
    }

    (byte[], string) SetLength(byte[] valid, LengthField f)
    {
        var b = (byte[])valid.Clone();
        if (f.Offset + f.Size > b.Length) return (b, "unchanged");
        ulong[] values = [0, ulong.MaxValue /* −1 */, 1UL << 31, 1UL << 63, (ulong)b.Length + 1, (ulong)b.Length * 2, uint.MaxValue, (ulong)r.Next()];
        ulong v = values[r.Next(values.Length)];
        var span = b.AsSpan(f.Offset, f.Size);
        if (f.Size == 8)
        {
            if (f.BigEndian) BinaryPrimitives.WriteUInt64BigEndian(span, v); else BinaryPrimitives.WriteUInt64LittleEndian(span, v);
        }
        else
        {
            uint w = v == ulong.MaxValue ? uint.MaxValue : v == 1UL << 63 ? 0x80000000u : (uint)v;
            if (f.BigEndian) BinaryPrimitives.WriteUInt32BigEndian(span, w); else BinaryPrimitives.WriteUInt32LittleEndian(span, w);
        }
        return (b, $"length field at {f.Offset} set to {v}");
    }

    (byte[], string) Overwrite(byte[] valid, int head)
    {
        var b = (byte[])valid.Clone();
        byte[] specials = [0x00, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'-', (byte)'9', (byte)'{', (byte)']'];
        int n = r.Next(1, 5);
        for (int i = 0; i < n && b.Length > 0; i++) b[Position(b.Length, head)] = specials[r.Next(specials.Length)];
        return (b, $"{n} bytes overwritten");
    }

    (byte[], string) Splice(byte[] valid, int head)
    {
        int at = Position(valid.Length, head);
        int n = r.Next(1, 17);
        if (r.Next(2) == 0)
        {
            int end = Math.Min(valid.Length, at + n);
            return ([.. valid[..at], .. valid[end..]], $"{end - at} bytes dropped at {at}");
        }
        return ([.. valid[..at], .. RandomBytes(n), .. valid[at..]], $"{n} bytes inserted at {at}");
    }

    byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    (byte[], string) MutateJson(byte[] valid, (int Start, int Length) region, bool safetensorsHeader)
    {
        var text = Encoding.UTF8.GetString(valid, region.Start, region.Length).TrimEnd(' ');
        var (mutated, what) = MutateJsonText(text);
        var json = Encoding.UTF8.GetBytes(mutated);
        if (!safetensorsHeader) return ([.. valid[..region.Start], .. json, .. valid[(region.Start + region.Length)..]], what);
        // Mostly keep the file self-consistent so that the edit reaches the header's reader.
        bool fixLength = r.NextDouble() < 0.85;
        int padded = fixLength ? (json.Length + 7) / 8 * 8 : region.Length;
        var header = new byte[padded];
        Array.Fill(header, (byte)' ');
        json.AsSpan(0, Math.Min(json.Length, padded)).CopyTo(header);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        return ([.. len, .. header, .. valid[(region.Start + region.Length)..]], what + (fixLength ? "" : " (stale header length)"));
    }

    (string, string) MutateJsonText(string text)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return (text, "unparsable"); }
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        int op = r.Next(8);
        switch (op)
        {
            case 0 when root is not null:
                return ($"[{text}]", "root wrapped in an array");
            case 1:
            {
                // Text-level number forms that JsonNode cannot build.
                string[] forms = ["1e400", "-1e400", "-0", "9223372036854775808", "18446744073709551616", "-9223372036854775809", "0.5", "1e3", "NaN"];
                var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"-?\d+(\.\d+)?([eE][-+]?\d+)?");
                if (numbers.Count == 0) break;
                var m = numbers[r.Next(numbers.Count)];
                var f = forms[r.Next(forms.Length)];
                return (text[..m.Index] + f + text[(m.Index + m.Length)..], $"number {m.Value} → {f}");
            }
            case 2:
            {
                // A duplicated key: an object's first property written twice.
                int brace = text.IndexOf('{', r.Next(Math.Max(1, text.Length / 2)));
                if (brace < 0 || brace + 1 >= text.Length || text[brace + 1] != '"') break;
                int colon = text.IndexOf(':', brace);
                if (colon < 0) break;
                var key = text[(brace + 1)..colon];
                return (text[..(brace + 1)] + key + ":0," + text[(brace + 1)..], $"duplicate key {key}");
            }
            case 3:
            {
                int i = r.Next(text.Length);
                return (text[..i] + (char)r.Next(0, 32) + text[i..], "control character inserted");
            }
        }
        var objects = nodes.OfType<JsonObject>().Where(o => o.Count > 0).ToList();
        var values = nodes.Where(n => n.Parent is not null).ToList();
        if (values.Count == 0) return ("null", "document replaced by null");
        if (r.Next(3) == 0 && objects.Count > 0)
        {
            var o = objects[r.Next(objects.Count)];
            var key = o.ElementAt(r.Next(o.Count)).Key;
            if (r.Next(2) == 0) { o.Remove(key); return (root!.ToJsonString(), $"key {key} removed"); }
            var v = o[key]; o.Remove(key);
            string[] names = ["", "__metadata__", key + "x", key.ToUpperInvariant(), "0.weight", "step"];
            var nn = names[r.Next(names.Length)];
            if (o.ContainsKey(nn)) o.Remove(nn);
            o[nn] = v;
            return (root!.ToJsonString(), $"key {key} renamed to '{nn}'");
        }
        var target = values[r.Next(values.Count)];
        JsonNode? replacement = r.Next(14) switch
        {
            0 => JsonValue.Create(0),
            1 => JsonValue.Create(-1),
            2 => JsonValue.Create(-5),
            3 => JsonValue.Create(2147483648L),
            4 => JsonValue.Create(1UL << 63),
            5 => JsonValue.Create(1.5),
            6 => JsonValue.Create("x"),
            7 => null,
            8 => JsonValue.Create(true),
            9 => new JsonArray(),
            10 => new JsonObject(),
            11 => new JsonArray(1, 2, 3),
            12 => target is JsonValue tv && tv.TryGetValue(out long l) ? JsonValue.Create(l + (r.Next(2) == 0 ? 1 : -1)) : JsonValue.Create(int.MaxValue),
            _ => JsonValue.Create(new string('a', r.Next(1, 300))),
        };
        string path = target.GetPath();
        Replace(target, replacement);
        return (root!.ToJsonString(), $"{path} → {replacement?.ToJsonString() ?? "null"}");
    }

    static void Collect(JsonNode? n, List<JsonNode> into)
    {
        if (n is null) return;
        into.Add(n);
        if (n is JsonObject o) foreach (var (_, v) in o) Collect(v, into);
        else if (n is JsonArray a) foreach (var v in a) Collect(v, into);
    }

    static void Replace(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject o: o[target.GetPropertyName()] = replacement; break;
            case JsonArray a: a[target.GetElementIndex()] = replacement; break;
        }
    }
}
