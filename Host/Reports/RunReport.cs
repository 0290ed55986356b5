using IlgpuGan.Engine;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.IO;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Reports;

/// <summary>
/// report.html for a run folder: <see cref="RunReportReader"/> gathers config.json, metrics.csv and
/// samples/ into a <see cref="RunReportModel"/>, <see cref="RunReportHtml"/> draws it as one
/// self-contained page, and this writes the page atomically.
/// </summary>
public static class RunReport
{
    /// <summary>Kept for callers that name the file; the layout lives in <see cref="RunFolder"/>.</summary>
    public const string FileName = RunFolder.ReportFileName;

    /// <summary>Writes <c>runDir/report.html</c> atomically and returns its path.</summary>
    public static string Write(string runDir, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        var dir = Path.GetFullPath(runDir);
        if (!Directory.Exists(dir)) throw new GanException($"{runDir} does not exist");
        var path = new RunFolder(dir).Report;
        var html = RunReportHtml.Render(RunReportReader.Read(dir, log));
        AtomicFile.WriteAllText(path, html);
        log?.LogInformation("report written to {Path}", path);
        return path;
    }
}
