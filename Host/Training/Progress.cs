using System.Globalization;
using IlgpuGan.Engine.Gan;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Training;

/// <summary>Where training stands at a read-back step: what the progress line or log line shows.</summary>
public readonly record struct ProgressSnapshot(long Step, long Total, StepStats Stats, double StepsPerSecond, TimeSpan Eta);

/// <summary>Shows training progress; <see cref="ProgressDisplay.Create"/> picks the kind.</summary>
public interface IProgressDisplay : IDisposable
{
    /// <summary>A new snapshot; <paramref name="last"/> for the run's final one.</summary>
    void Update(ProgressSnapshot s, bool last);

    /// <summary>Ends a live line so that a log line can follow on its own line; the next update draws anew.</summary>
    void Break();
}

public static class ProgressDisplay
{
    /// <summary>
    /// A live line redrawn in place when stderr is a terminal (as tqdm does); otherwise (CI, pipes,
    /// `2> log`) a log line every <paramref name="logInterval"/>, which reads well in a file.
    /// </summary>
    public static IProgressDisplay Create(bool stderrIsTerminal, ILogger log, TextWriter? terminal = null, TimeSpan? logInterval = null) =>
        stderrIsTerminal ? new LiveProgressLine(terminal ?? Console.Error, () => SafeWidth()) : new LogProgress(log, logInterval ?? TimeSpan.FromSeconds(2));

    /// <summary>Whether this process's stderr is an interactive terminal that understands carriage returns.</summary>
    public static bool StderrIsTerminal() =>
        !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";

    static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 100; }
        catch (IOException) { return 100; }
    }

    public static string FormatDuration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";

    /// <summary>
    /// The live line: "step 120/5000 ▕██▌      ▏  2% | d_loss 0.693 g_loss 0.701 | D(x) 0.500
    /// D(G(z)) 0.490 | 95.3 steps/s | ETA 51s", cut to <paramref name="width"/> − 1 columns so it never wraps
    /// (a wrapped line cannot be redrawn with a carriage return). The bar goes first when space is short.
    /// </summary>
    public static string FormatLine(ProgressSnapshot s, int width)
    {
        var c = CultureInfo.InvariantCulture;
        double fraction = s.Total <= 0 ? 1 : Math.Clamp((double)s.Step / s.Total, 0, 1);
        string counts = $"step {s.Step}/{s.Total}";
        string percent = string.Format(c, "{0,3:0}%", fraction * 100);
        string rest = string.Format(c, " | d_loss {0:F3} g_loss {1:F3} | D(x) {2:F3} D(G(z)) {3:F3} | {4:F1} steps/s | ETA {5}",
            s.Stats.DLoss, s.Stats.GLoss, s.Stats.DReal, s.Stats.DFake, s.StepsPerSecond, FormatDuration(s.Eta));
        int room = width - 1 - counts.Length - percent.Length - rest.Length - 4;
        string line = room >= 10 ? $"{counts} {Bar(fraction, Math.Min(room, 30))} {percent}{rest}" : $"{counts} {percent}{rest}";
        return line.Length <= width - 1 ? line : line[..Math.Max(0, width - 1)];
    }

    /// <summary>▕███▌   ▏: eighths of a cell, as tqdm draws it.</summary>
    public static string Bar(double fraction, int cells)
    {
        const string Eighths = " ▏▎▍▌▋▊▉";
        int total = (int)Math.Round(Math.Clamp(fraction, 0, 1) * cells * 8);
        int full = total / 8, part = total % 8;
        string body = new string('█', full) + (full < cells ? Eighths[part] + new string(' ', cells - full - 1) : "");
        return $"▕{body}▏";
    }
}

/// <summary>Today's log lines, at most one per interval (and the last): for files and CI logs.</summary>
sealed class LogProgress(ILogger log, TimeSpan interval) : IProgressDisplay
{
    readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    TimeSpan lastPrint = TimeSpan.Zero;

    public void Update(ProgressSnapshot s, bool last)
    {
        var now = clock.Elapsed;
        if (!last && now - lastPrint <= interval) return;
        lastPrint = now;
        log.LogInformation("step {Step}/{Steps} | d_loss {D:F3} g_loss {G:F3} | D(x) {Dx:F3} D(G(z)) {Dgz:F3} | {Rate:F1} steps/s | ETA {Eta}",
            s.Step, s.Total, s.Stats.DLoss, s.Stats.GLoss, s.Stats.DReal, s.Stats.DFake, s.StepsPerSecond, ProgressDisplay.FormatDuration(s.Eta));
    }

    public void Break() { }

    public void Dispose() { }
}

/// <summary>One line on the terminal, redrawn in place (carriage return, erase to end of line).</summary>
sealed class LiveProgressLine(TextWriter terminal, Func<int> width) : IProgressDisplay
{
    readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    TimeSpan lastDraw = TimeSpan.MinValue;
    bool drawn;

    public void Update(ProgressSnapshot s, bool last)
    {
        var now = clock.Elapsed;
        if (!last && lastDraw != TimeSpan.MinValue && now - lastDraw < TimeSpan.FromMilliseconds(100)) return;   // ~10 redraws/s at most
        lastDraw = now;
        terminal.Write("\r" + ProgressDisplay.FormatLine(s, width()) + "\u001b[K");
        drawn = true;
        if (last) Break();
        else terminal.Flush();
    }

    public void Break()
    {
        if (!drawn) return;
        terminal.WriteLine();
        terminal.Flush();
        drawn = false;
    }

    public void Dispose() => Break();
}
