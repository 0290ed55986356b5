using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Training;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Tests.Cli;

/// <summary>The progress line's text and the choice between a live line (terminal) and log lines (files, CI).</summary>
public sealed class ProgressTests
{
    static readonly ProgressSnapshot Snapshot = new(120, 5000, new StepStats(0.6931f, 0.7012f, 0.5f, 0.49f, 0.48f), 95.34, TimeSpan.FromSeconds(51));

    [Fact]
    public void The_line_shows_step_losses_d_outputs_rate_and_eta()
    {
        string line = ProgressDisplay.FormatLine(Snapshot, 160);
        Assert.StartsWith("step 120/5000 ▕", line);
        Assert.Contains("  2% | d_loss 0.693 g_loss 0.701 | D(x) 0.500 D(G(z)) 0.490 | 95.3 steps/s | ETA 51s", line);
        Assert.True(line.Length <= 159);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(120)]
    public void The_line_never_wraps(int width) => Assert.True(ProgressDisplay.FormatLine(Snapshot, width).Length <= width - 1);

    [Fact]
    public void A_narrow_terminal_drops_the_bar_first()
    {
        string line = ProgressDisplay.FormatLine(Snapshot, 110);
        Assert.DoesNotContain("▕", line);
        Assert.StartsWith("step 120/5000   2% | d_loss", line);
    }

    [Theory]
    [InlineData(0.0, "▕          ▏")]
    [InlineData(1.0, "▕██████████▏")]
    [InlineData(0.5, "▕█████     ▏")]
    [InlineData(0.0625, "▕▋         ▏")]
    public void The_bar_fills_in_eighths(double fraction, string bar) => Assert.Equal(bar, ProgressDisplay.Bar(fraction, 10));

    [Theory]
    [InlineData(51, "51s")]
    [InlineData(125, "2m05s")]
    [InlineData(3 * 3600 + 7 * 60, "3h07m")]
    public void Durations_read_like_tqdm(int seconds, string text) => Assert.Equal(text, ProgressDisplay.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_terminal_gets_one_line_redrawn_in_place_and_ended_once()
    {
        var terminal = new StringWriter();
        using (var p = ProgressDisplay.Create(stderrIsTerminal: true, new ListLogger(), terminal))
        {
            p.Update(Snapshot, last: false);
            p.Update(Snapshot with { Step = 5000 }, last: true);
        }
        string text = terminal.ToString();
        Assert.StartsWith("\rstep 120/5000", text);
        Assert.Contains("\rstep 5000/5000", text);
        Assert.Contains("\u001b[K", text);
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split(Environment.NewLine), l => l.Length > 0);   // one line, never scrolled
    }

    [Fact]
    public void A_break_ends_the_live_line_once_so_a_log_line_starts_on_its_own()
    {
        var terminal = new StringWriter();
        using var p = ProgressDisplay.Create(stderrIsTerminal: true, new ListLogger(), terminal);
        p.Update(Snapshot, last: false);
        p.Break();
        p.Break();
        Assert.EndsWith("\u001b[K" + Environment.NewLine, terminal.ToString());
        Assert.Single(terminal.ToString().Split(Environment.NewLine), l => l.Length > 0);
    }

    [Fact]
    public void Without_a_terminal_progress_goes_to_the_log_and_not_to_the_writer()
    {
        var terminal = new StringWriter();
        var log = new ListLogger();
        using (var p = ProgressDisplay.Create(stderrIsTerminal: false, log, terminal, logInterval: TimeSpan.Zero))
        {
            p.Update(Snapshot, last: false);
            p.Update(Snapshot with { Step = 5000 }, last: true);
        }
        Assert.Equal("", terminal.ToString());
        Assert.Equal(2, log.Lines.Count);
        Assert.Equal("step 120/5000 | d_loss 0.693 g_loss 0.701 | D(x) 0.500 D(G(z)) 0.490 | 95.3 steps/s | ETA 51s", log.Lines[0]);
    }

    [Fact]
    public void Log_lines_are_spaced_by_the_interval_but_the_last_always_shows()
    {
        var log = new ListLogger();
        using var p = ProgressDisplay.Create(stderrIsTerminal: false, log, logInterval: TimeSpan.FromHours(1));
        for (int i = 0; i < 5; i++) p.Update(Snapshot, last: false);
        p.Update(Snapshot, last: true);
        Assert.Single(log.Lines);
    }

    sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel level) => true;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
            Lines.Add(format(state, e));
    }
}
