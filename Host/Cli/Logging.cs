using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace IlgpuGan.Host.Cli;

/// <summary>
/// Console logging through Microsoft.Extensions.Logging: one line per message, on stderr, so that
/// stdout carries only a command's data (tables, paths) and can be piped.
/// </summary>
public static class Logging
{
    public static ILoggerFactory Create(bool verbose = false) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.IncludeScopes = false;
        });
        b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
