using System.Globalization;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Training;

/// <summary>
/// metrics.csv: one row per logged step, appended and flushed as training goes. On resume, rows
/// past the checkpoint's step are dropped first, so the file reads as one uninterrupted run.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = RunFolder.MetricsFileName;
    /// <summary>d_steps counts D updates (--d-steps per step); gp is WGAN-GP's penalty term, part of d_loss.</summary>
    public const string BaseHeader = "step,d_steps,d_loss,g_loss,d_x,d_g_z,gp,steps_per_s";
    readonly StreamWriter writer;
    readonly int extraColumns;

    /// <param name="metricColumns">Quality-metric columns after the base ones; empty on rows without an evaluation.</param>
    public MetricsLog(string runDir, long resumeStep, IReadOnlyList<string> metricColumns)
    {
        extraColumns = metricColumns.Count;
        string Header = string.Join(",", metricColumns.Prepend(BaseHeader));
        var path = new RunFolder(runDir).Metrics;
        if (resumeStep > 0 && File.Exists(path))
        {
            var keep = File.ReadAllLines(path).Skip(1)
                .Where(l => long.TryParse(l.Split(',')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) && s <= resumeStep);
            AtomicFile.WriteAllText(path, string.Join("\n", keep.Prepend(Header)) + "\n");
        }
        else
        {
            AtomicFile.WriteAllText(path, Header + "\n");
        }
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    public void Append(long step, long dSteps, StepStats s, double stepsPerSecond, double[]? metrics = null)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{step},{dSteps},{s.DLoss:G6},{s.GLoss:G6},{s.DReal:G6},{s.DFake:G6},{s.Penalty:G6},{stepsPerSecond:F2}");
        if (extraColumns > 0)
            line += "," + (metrics is null ? new string(',', extraColumns - 1) : string.Join(",", metrics.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
        writer.WriteLine(line);
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();
}
