using System.CommandLine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Host.Cli;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

public sealed class DevicesCommand : CliCommand
{
    public override string Name => "devices";
    public override string Summary => "List the accelerators ILGPU sees and the one --device auto picks.";
    public override IReadOnlyList<Option> Options => [];

    public override int Run(ParseResult parse, Microsoft.Extensions.Logging.ILoggerFactory logs)
    {
        var devices = DeviceCatalog.List();
        Console.WriteLine($"{"ID",-12} {"TYPE",-10} {"MEMORY",10}  NAME");
        foreach (var d in devices)
        {
            // The simulator reports an unbounded size: it uses host memory.
            string memory = d.MemoryBytes is > 0 and < (1L << 50) ? $"{d.MemoryBytes / (1024 * 1024),7} MiB" : $"{"host",11}";
            Console.WriteLine($"{d.Id,-12} {(d.IsGpu ? "gpu" : "cpu"),-10} {memory}  {d.Name}");
        }
        var (auto, reason) = DeviceCatalog.ChooseAuto(devices);
        Console.WriteLine();
        foreach (var line in DeviceDiagnostics.Explain(devices)) Console.WriteLine(line);
        Console.WriteLine();
        Console.WriteLine($"--device auto picks {auto.Id}: {reason}.");
        Console.WriteLine("--device cpu is the managed SIMD backend; --device ilgpu-cpu is ILGPU's CPU simulator, for debugging kernels (slow).");
        return 0;
    }
}
