using System.Text.Encodings.Web;
using System.Text.Json;
using IlgpuGan.Engine;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Bench;

/// <summary>How every bench mode writes its JSON: an indented array of flat objects, atomically.</summary>
public static class BenchJson
{
    // Relaxed escaping keeps kernel names such as "gemm 64x512x784 A·Bᵀ" readable (and greppable) in
    // the file; the output is a file, never embedded in HTML, so nothing needs the stricter default.
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteRows(string path, IEnumerable<IReadOnlyDictionary<string, object?>> rows) =>
        Write(path, JsonSerializer.Serialize(rows, Indented));

    public static void Write(string path, string json)
    {
        try { AtomicFile.WriteAllText(path, json); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new GanException($"cannot write {path}: {e.Message}"); }
    }

    /// <summary>
    /// Rounds to 5 significant digits: JSON stays readable, and a slow device (the simulator runs
    /// at a few MFLOP/s) still reports a non-zero rate, which fixed decimals would round away.
    /// </summary>
    public static double Significant(double v)
    {
        if (v == 0 || !double.IsFinite(v)) return v;
        double scale = Math.Pow(10, 4 - Math.Floor(Math.Log10(Math.Abs(v))));
        return Math.Round(v * scale) / scale;
    }

    /// <summary>A rate or size for a table: about 3 significant digits down to 0.001, whatever its magnitude (the JSON keeps more).</summary>
    public static string Short(double v) =>
        v >= 100 ? v.ToString("F0") : v >= 10 ? v.ToString("F1") : v >= 1 ? v.ToString("F2") : v == 0 ? "0" : v < 0.001 ? "<0.001" : v.ToString("G3");

    static readonly string[] SiPrefixes = ["", "k", "M", "G", "T", "P"];

    /// <summary>A count with an SI prefix (1.63M, 784k, 12): work per launch spans nine orders of magnitude.</summary>
    public static string Si(double v)
    {
        int i = 0;
        while (Math.Abs(v) >= 999.5 && i < SiPrefixes.Length - 1) { v /= 1000; i++; }
        return (i == 0 && v == Math.Floor(v) ? v.ToString("F0") : Short(v)) + SiPrefixes[i];
    }
}
