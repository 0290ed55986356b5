namespace IlgpuGan.Host.Reports;

/// <summary>
/// Everything report.html shows, gathered from a run folder by <see cref="RunReportReader"/> and
/// drawn by <see cref="RunReportHtml"/>. Plain data: a test (or another front end) can build one by hand.
/// </summary>
/// <param name="Name">The run folder's name: the page title.</param>
/// <param name="Folder">The run folder's full path, named in the footer.</param>
/// <param name="Samples">The latest 2D scatter (SVG) first, then the latest image grid (PNG); either may be absent.</param>
public sealed record RunReportModel(string Name, string Folder, ReportConfig Config, ReportMetrics Metrics,
    IReadOnlyList<ReportSample> Samples, DateTimeOffset Generated);

/// <summary>config.json flattened to dotted keys (config.batch, tags[1]), or why it could not be read.</summary>
public sealed record ReportConfig(IReadOnlyList<KeyValuePair<string, string>> Entries, string? Error)
{
    public string? Get(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;
}

/// <summary>One metrics.csv column as (step, value) points: rows where the cell is empty or not a number have none.</summary>
public sealed record ReportSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// metrics.csv: the step column first (its points are (step, step)), then the others in file order;
/// Rows hold the raw cells in that column order. Error says why there is nothing to show.
/// </summary>
public sealed record ReportMetrics(IReadOnlyList<ReportSeries> Columns, IReadOnlyList<string[]> Rows, string? Error)
{
    public double? LastStep => Columns.Count > 0 && Columns[0].Points.Count > 0 ? Columns[0].Points[^1].X : null;
}

/// <summary>
/// A sample file to embed: its bytes (null when it is too large or unreadable, with Problem saying
/// so) and, for PNGs, the pixel size from its header.
/// </summary>
public sealed record ReportSample(string RelativePath, long Step, string Mime, byte[]? Bytes, (int Width, int Height)? Size, string? Problem);
