using System.CommandLine;
using System.CommandLine.Invocation;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Host.Cli;
using Microsoft.Extensions.Logging;
using IlgpuGan.Host.Commands;

namespace IlgpuGan.Host;

/// <summary>
/// `ilgpugan COMMAND [options]`, parsed by System.CommandLine. Errors the user can act on print one
/// line and exit 2 (usage) or 1 (runtime) through <see cref="ErrorReport"/>; nothing prints a stack
/// trace unless ILGPUGAN_DEBUG=1.
/// </summary>
public static class Program
{
    public static CliCommand[] Commands() =>
        [new TrainCommand(), new SampleCommand(), new MorphCommand(), new DevicesCommand(), new VerifyCommand(), new BenchCommand(), new ClassifierTrainCommand(), new EvalCommand()];

    /// <summary>-v/--verbose on every command: debug log lines.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "also print debug log lines", Recursive = true };

    public static int Main(string[] args)
    {
        if (args is ["help", ..]) args = [.. args[1..], "--help"];
        var root = Build(out var byCommand);
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke();
            return 2;
        }
        var parse = root.Parse(args);
        byCommand.TryGetValue(parse.CommandResult.Command, out var command);
        if (parse.Action is ParseErrorAction)
        {
            if (command is null && parse.CommandResult.Command is { Subcommands.Count: > 0 } group && group != root)
                return Fail(2, $"'{group.Name}' needs a command: {string.Join(", ", group.Subcommands.Select(c => $"{group.Name} {c.Name}"))}; see 'ilgpugan --help'");
            if (command is null)
                return Fail(2, $"unknown command '{args[0]}' (commands: {string.Join(", ", byCommand.Values.Select(c => c.Name))}); see 'ilgpugan --help'");
            string message = parse.UnmatchedTokens.FirstOrDefault() is { } t
                ? t.StartsWith('-') ? $"unknown option '{t}'" : $"unexpected argument '{t}'"
                : parse.Errors[0].Message;
            return Fail(2, $"{command.Name}: {message}\nsee 'ilgpugan {command.Name} --help'");
        }
        // Help, --version, the [suggest] directive of tab completion, or a command's own action.
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>The command tree: "classifier train" becomes "classifier" with a "train" subcommand.</summary>
    public static RootCommand Build(out Dictionary<Command, CliCommand> byCommand)
    {
        var root = new RootCommand("ilgpugan: train and study GANs on the GPU from .NET (ILGPU: CUDA, OpenCL, CPU).");
        root.Add(Verbose);
        var map = new Dictionary<Command, CliCommand>();
        foreach (var c in Commands())
        {
            var words = c.Name.Split(' ');
            Command parent = root;
            foreach (var w in words[..^1])
            {
                var group = parent.Subcommands.FirstOrDefault(s => s.Name == w);
                if (group is null) parent.Add(group = new Command(w, $"{w} commands"));
                parent = group;
            }
            var command = new Command(words[^1], c.Summary);
            foreach (var o in c.Options) command.Add(o);
            command.SetAction(p => RunCommand(c, p));
            parent.Add(command);
            map[command] = c;
        }
        byCommand = map;
        return root;
    }

    static int RunCommand(CliCommand command, ParseResult parse)
    {
        using var logs = Logging.Create(parse.GetValue(Verbose));
        // Which native GPU library each backend found (or every name it tried): shown with -v.
        var nativeLog = logs.CreateLogger("devices");
        NativeLibraries.Debug = m => nativeLog.LogDebug("{Message}", m);
        try
        {
            return command.Run(parse, logs);
        }
        catch (Exception e)
        {
            var (code, message) = ErrorReport.Describe(e, command.Name);
            logs.Dispose();   // flush queued log lines before the error line
            return Fail(code, message, e);
        }
    }

    static int Fail(int code, string message, Exception? e = null)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"ilgpugan: error: {message}");
        if (e is not null && Environment.GetEnvironmentVariable("ILGPUGAN_DEBUG") == "1") Console.Error.WriteLine(e);
        return code;
    }
}
