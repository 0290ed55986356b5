using IlgpuGan.Host.Cli;

namespace IlgpuGan.Host.Commands;

/// <summary>A subcommand of `ilgpugan`.</summary>
public interface ICommand
{
    string Name { get; }
    string Summary { get; }
    string Usage { get; }
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    int Run(Options options, Microsoft.Extensions.Logging.ILoggerFactory logs);
}
