using IlgpuGan.Engine;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Commands;

namespace IlgpuGan.Host;

/// <summary>
/// `ilgpugan COMMAND [options]`. Errors the user can act on print one line and exit 2 (usage) or
/// 1 (runtime); nothing prints a stack trace unless ILGPUGAN_DEBUG=1.
/// </summary>
public static class Program
{
    public static readonly ICommand[] Commands = [new TrainCommand(), new SampleCommand(), new MorphCommand(), new DevicesCommand(), new VerifyCommand(), new BenchCommand(), new ClassifierTrainCommand(), new EvalCommand()];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(GeneralHelp());
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version")
        {
            Console.WriteLine($"ilgpugan {typeof(Program).Assembly.GetName().Version}");
            return 0;
        }
        // Two-word commands ("classifier train") take the first two arguments as their name.
        var command = Commands.FirstOrDefault(c => c.Name == args[0]) ??
            (args.Length > 1 ? Commands.FirstOrDefault(c => c.Name == $"{args[0]} {args[1]}") : null);
        if (command is null)
            return Fail(2, $"unknown command '{args[0]}' (commands: {string.Join(", ", Commands.Select(c => c.Name))}); see 'ilgpugan --help'");
        using var logs = Logging.Create();
        try
        {
            var options = Options.Parse(command.Name, command.Options, args[(command.Name.Count(ch => ch == ' ') + 1)..]);
            if (options.Help)
            {
                Console.WriteLine(Options.HelpText(command.Usage, command.Summary, command.Options));
                return 0;
            }
            return command.Run(options, logs);
        }
        catch (UsageException e)
        {
            return Fail(2, $"{e.Message}\nsee 'ilgpugan {command.Name} --help'", e);
        }
        catch (GanException e)
        {
            return Fail(1, e.Message, e);
        }
        catch (Exception e) when (IsOutOfMemory(e))
        {
            return Fail(1, $"out of memory: {FirstLine(e.Message)}; try a smaller --batch", e);
        }
        catch (Exception e)
        {
            return Fail(1, $"unexpected {e.GetType().Name}: {FirstLine(e.Message)} (set ILGPUGAN_DEBUG=1 for details)", e);
        }
    }

    static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("OUT_OF_MEMORY", StringComparison.OrdinalIgnoreCase) ||
        (e.InnerException is { } inner && IsOutOfMemory(inner));

    static string FirstLine(string s) => s.Split('\n')[0].Trim();

    static int Fail(int code, string message, Exception? e = null)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"ilgpugan: error: {message}");
        if (e is not null && Environment.GetEnvironmentVariable("ILGPUGAN_DEBUG") == "1") Console.Error.WriteLine(e);
        return code;
    }

    static string GeneralHelp()
    {
        var w = new StringWriter();
        w.WriteLine("ilgpugan: train and study GANs on the GPU from .NET (ILGPU: CUDA, OpenCL, CPU).");
        w.WriteLine();
        w.WriteLine("usage: ilgpugan COMMAND [options]     (ilgpugan COMMAND --help for its options)");
        w.WriteLine();
        w.WriteLine("commands:");
        foreach (var c in Commands) w.WriteLine($"  {c.Name,-17} {c.Summary}");
        w.WriteLine();
        w.WriteLine($"  {"--version",-17} print the version");
        return w.ToString();
    }
}
