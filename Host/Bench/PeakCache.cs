using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Host.Data;

namespace IlgpuGan.Host.Bench;

/// <summary>
/// `bench --peak` results, one JSON file per device under the cache root (ILGPUGAN_CACHE, else
/// ~/.cache/ilgpugan): peak-&lt;kind&gt;-&lt;device description, sanitised&gt;.json. The description
/// names the card (and, for the cpu backend, its thread count and SIMD width), so peaks measured
/// on one machine never pose as another's.
/// </summary>
public static class PeakCache
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string PathFor(IBackend backend) =>
        Path.Combine(DatasetDownloadOptions.DefaultCacheRoot(), $"peak-{Sanitise(backend.Kind)}-{Sanitise(backend.Description)}.json");

    public static void Save(string path, PeakResult peak) => BenchJson.Write(path, JsonSerializer.Serialize(peak, Json));

    /// <summary>The cached peaks of the device a profiler observes.</summary>
    public static PeakResult? Load(KernelProfiler profiler) => Load(profiler.Inner);

    /// <summary>The cached peaks of this device, or null when none were measured (or the file is unreadable).</summary>
    public static PeakResult? Load(IBackend backend)
    {
        var path = PathFor(backend);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<PeakResult>(File.ReadAllText(path), Json); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Lower-case letters and digits, every other run of characters one '-': a file name on any OS.</summary>
    public static string Sanitise(string name)
    {
        var sb = new StringBuilder();
        foreach (char c in name.ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9')) sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var s = sb.ToString().Trim('-');
        return s.Length > 80 ? s[..80].TrimEnd('-') : s;
    }
}
