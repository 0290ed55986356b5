using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Cli;

/// <summary>
/// A subcommand of `ilgpugan`: its name ("train", or two words: "classifier train"), a summary for
/// --help, its typed options and what it does with them. Program turns each into a
/// System.CommandLine command; parsing, --help and tab completion come from there.
/// </summary>
public abstract class CliCommand
{
    public abstract string Name { get; }
    public abstract string Summary { get; }

    /// <summary>The options in --help order. Built once per command object.</summary>
    public abstract IReadOnlyList<Option> Options { get; }

    /// <summary>Runs the command on a parse without errors; returns the process exit code.</summary>
    public abstract int Run(ParseResult parse, ILoggerFactory logs);
}
