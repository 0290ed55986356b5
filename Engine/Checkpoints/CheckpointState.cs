using System.Text.Json;
using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Engine.Checkpoints;

/// <summary>
/// Reads and checks a checkpoint's state.json: an object with step, noise_counter, epoch,
/// batch_in_epoch (whole numbers ≥ 0) and, since --d-steps, d_updates (≥ step). Each broken rule is
/// a one-line <see cref="GanException"/> naming the file, the key and the rule.
/// </summary>
public static class CheckpointState
{
    public static TrainerState Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot read {path}: {e.Message}"); }
        return Parse(bytes, path);
    }

    public static TrainerState Parse(byte[] bytes, string source)
    {
        JsonDocument doc;
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new GanException($"{source} is corrupt: not valid UTF-8");
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new GanException($"{source} is corrupt: {SafeTensors.JsonError(e)}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new GanException($"{source}: expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
            var seen = new HashSet<string>();
            foreach (var p in root.EnumerateObject())
                if (!seen.Add(p.Name)) throw new GanException($"{source}: key {JsonSerializer.Serialize(p.Name)} appears twice");

            long step = Whole(root, "step", source, 0, long.MaxValue)!.Value;
            if (!root.TryGetProperty("noise_counter", out var n)) throw new GanException($"{source}: missing \"noise_counter\"");
            ulong noise = n.ValueKind == JsonValueKind.Number && n.TryGetUInt64(out ulong u)
                ? u : throw Rule(source, "noise_counter", $"must be a whole number from 0 to {ulong.MaxValue}", n);
            int epoch = (int)Whole(root, "epoch", source, 0, int.MaxValue)!.Value;
            int batch = (int)Whole(root, "batch_in_epoch", source, 0, int.MaxValue)!.Value;
            long? dUpdates = Whole(root, "d_updates", source, step, long.MaxValue, optional: true);
            return new TrainerState(step, noise, epoch, batch, dUpdates);
        }
    }

    /// <summary>A safetensors file of the same checkpoint records the step it was saved at; they must agree.</summary>
    public static void MatchesFile(TrainerState state, string statePath, IReadOnlyDictionary<string, string> metadata, string file)
    {
        if (!metadata.TryGetValue("step", out var s)) return;   // not written by this tool: nothing to compare
        if (!long.TryParse(s, out long saved) || saved != state.Step)
            throw new GanException($"{statePath}: step {state.Step} does not match {file}, which was saved at step {Show(s)}; the files come from different saves");
    }

    /// <summary>
    /// The optimizer's own step counters (torch's state["step"]) count G updates, one per step, and
    /// D updates, --d-steps per step: they must agree with state.json's step and d_updates.
    /// </summary>
    public static void MatchesOptimizer(TrainerState state, string statePath, IReadOnlyDictionary<string, NamedArray> optimizer, string file)
    {
        foreach (var (key, expected, what) in new[] { ("G.step", state.Step, "step"), ("D.step", state.DUpdates ?? state.Step, "d_updates") })
            if (optimizer.TryGetValue(key, out var t) && t.Longs is [long saved] && saved != expected)
                throw new GanException($"{statePath}: {what} {expected} does not match {key} {saved} in {file}; the files come from different saves");
    }

    /// <summary>The data position must lie inside an epoch of the trainer's dataset.</summary>
    public static void FitsTrainer(TrainerState state, string statePath, int batchesPerEpoch)
    {
        if (state.BatchInEpoch > batchesPerEpoch)
            throw new GanException($"{statePath}: batch_in_epoch {state.BatchInEpoch} is past the end of an epoch ({batchesPerEpoch} batches); the checkpoint belongs to another dataset or batch size");
    }

    static long? Whole(JsonElement root, string key, string source, long min, long max, bool optional = false)
    {
        if (!root.TryGetProperty(key, out var v) || (optional && v.ValueKind == JsonValueKind.Null))
        {
            if (optional) return null;
            throw new GanException($"{source}: missing \"{key}\"");
        }
        string rule = min == 0 ? $"must be a whole number from 0 to {max}" : $"must be a whole number ≥ step ({min})";
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < min || x > max) throw Rule(source, key, rule, v);
        return x;
    }

    static GanException Rule(string source, string key, string rule, JsonElement found) =>
        new($"{source}: \"{key}\" {rule}, got {Show(found.GetRawText())}");

    static string Show(string raw)
    {
        var s = raw.Length > 40 ? raw[..40] + "…" : raw;
        return s.Any(char.IsControl) ? JsonSerializer.Serialize(s) : s;
    }
}
