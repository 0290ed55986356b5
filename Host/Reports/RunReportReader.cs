using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using IlgpuGan.Engine.Gan;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Reports;

/// <summary>
/// Gathers a <see cref="RunReportModel"/> from a run folder. Any part may be missing or partial
/// (a run still in progress): the model then carries a sentence saying so instead of data.
/// </summary>
public static class RunReportReader
{
    /// <summary>Sample files larger than this are linked by name instead of embedded.</summary>
    public const long MaxEmbeddedBytes = 16 << 20;

    public static RunReportModel Read(string runDir, ILogger? log = null)
    {
        var dir = Path.GetFullPath(runDir);
        var run = new RunFolder(dir);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        if (string.IsNullOrEmpty(name)) name = dir;
        return new RunReportModel(name, dir, ReadConfig(run.Config, log), ReadMetrics(run.Metrics, log), ReadSamples(run.Samples, log), DateTimeOffset.Now);
    }

    // ---- config.json ---------------------------------------------------------------------------

    static ReportConfig ReadConfig(string path, ILogger? log)
    {
        if (!File.Exists(path)) return new([], $"No {RunFolder.ConfigFileName} in this run folder.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var entries = new List<KeyValuePair<string, string>>();
            Flatten(doc.RootElement, "", entries);
            return new(entries, null);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            log?.LogWarning("report: cannot read {Path}: {Message}", path, e.Message);
            return new([], $"{RunFolder.ConfigFileName} could not be read: {e.Message}");
        }
    }

    static void Flatten(JsonElement e, string prefix, List<KeyValuePair<string, string>> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                    Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray()) Flatten(item, $"{prefix}[{i++}]", into);
                if (i == 0) into.Add(new(prefix, "[]"));
                break;
            case JsonValueKind.String:
                into.Add(new(prefix, e.GetString() ?? ""));
                break;
            default:
                into.Add(new(prefix.Length == 0 ? "(value)" : prefix, e.GetRawText()));
                break;
        }
    }

    // ---- metrics.csv ---------------------------------------------------------------------------

    static ReportMetrics ReadMetrics(string path, ILogger? log)
    {
        string file = RunFolder.MetricsFileName;
        if (!File.Exists(path)) return new([], [], $"No {file} yet: nothing has been logged.");
        string[] lines;
        try
        {
            // Shared read: the trainer may still be appending.
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs);
            lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.LogWarning("report: cannot read {Path}: {Message}", path, e.Message);
            return new([], [], $"{file} could not be read: {e.Message}");
        }
        if (lines.Length == 0) return new([], [], $"{file} is empty.");

        var header = lines[0].Split(',').Select(c => c.Trim()).ToArray();
        int stepIndex = Array.FindIndex(header, c => c.Equals("step", StringComparison.OrdinalIgnoreCase));
        if (stepIndex < 0) stepIndex = 0;
        // The step column first, then the others in file order; Points of the step column are (step, step).
        var order = new[] { stepIndex }.Concat(Enumerable.Range(0, header.Length).Where(i => i != stepIndex)).ToArray();
        var points = order.Select(_ => new List<(double X, double Y)>()).ToList();
        var rows = new List<string[]>();
        int bad = 0;
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (stepIndex >= cells.Length || !TryNumber(cells[stepIndex], out double step) || !double.IsFinite(step)) { bad++; continue; }
            var ordered = order.Select(i => i < cells.Length ? cells[i] : "").ToArray();
            rows.Add(ordered);
            for (int c = 0; c < ordered.Length; c++)
                if (TryNumber(ordered[c], out double v)) points[c].Add((step, v));
        }
        if (bad > 0) log?.LogWarning("report: skipped {Count} malformed rows in {Path}", bad, path);
        var columns = order.Select((i, c) => new ReportSeries(header[i], points[c])).ToList();
        if (rows.Count == 0) return new(columns, rows, $"{file} has no rows yet: nothing has been logged.");
        return new(columns, rows, null);
    }

    static bool TryNumber(string s, out double value)
    {
        value = double.NaN;
        if (s.Length == 0) return false;
        switch (s.ToLowerInvariant())
        {
            case "nan" or "-nan" or "+nan": return true;
            case "inf" or "+inf" or "infinity" or "+infinity" or "∞": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity" or "-∞": value = double.NegativeInfinity; return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    // ---- samples -------------------------------------------------------------------------------

    static List<ReportSample> ReadSamples(string samplesDir, ILogger? log)
    {
        var found = Directory.Exists(samplesDir)
            ? Directory.EnumerateFiles(samplesDir)
                .Select(f => (Path: f, Ok: RunFolder.TryParseSampleFileName(Path.GetFileName(f), out long step, out string kind), Step: step, Kind: kind))
                .Where(x => x.Ok)
                .ToList()
            : [];
        var samples = new List<ReportSample>();
        // A 2D run's SVG plot first (it is the more telling picture), then the image grid if any.
        foreach (var (kind, mime) in new[] { ("svg", "image/svg+xml"), ("png", "image/png") })
        {
            var latest = found.Where(f => f.Kind == kind).OrderByDescending(f => f.Step).FirstOrDefault();
            if (latest.Path is not null) samples.Add(ReadSample(latest.Path, latest.Step, mime, log));
        }
        return samples;
    }

    static ReportSample ReadSample(string path, long step, string mime, ILogger? log)
    {
        var rel = $"{RunFolder.SamplesFolderName}/{Path.GetFileName(path)}";
        try
        {
            if (new FileInfo(path).Length > MaxEmbeddedBytes)
                return new(rel, step, mime, null, null, $"{rel} is too large to embed; open it next to this report.");
            var bytes = File.ReadAllBytes(path);
            return new(rel, step, mime, bytes, mime == "image/png" ? PngSize(bytes) : null, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.LogWarning("report: cannot read {Path}: {Message}", path, e.Message);
            return new(rel, step, mime, null, null, $"{rel} could not be read: {e.Message}");
        }
    }

    /// <summary>Width and height from a PNG's IHDR chunk, or null if the bytes are not a PNG.</summary>
    internal static (int Width, int Height)? PngSize(byte[] b)
    {
        ReadOnlySpan<byte> sig = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (b.Length < 24 || !b.AsSpan(0, 8).SequenceEqual(sig)) return null;
        int w = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), ht = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20));
        return w > 0 && ht > 0 ? (w, ht) : null;
    }
}
