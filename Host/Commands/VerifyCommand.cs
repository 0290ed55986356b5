using System.CommandLine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Verification;
using IlgpuGan.Host.Cli;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Commands;

/// <summary>
/// The GPU self-test: every kernel on the chosen device against its float64 CPU reference, at
/// tile-edge and model shapes, as a pass/fail table. Exit code 1 when any check fails.
/// </summary>
public sealed class VerifyCommand : CliCommand
{
    readonly Option<DeviceSpec> device = Opt.Device();
    readonly Option<bool> large = Opt.Switch("large", "add the seed model's full-size GEMM shapes (slow on the CPU simulator)");

    public override string Name => "verify";
    public override string Summary => "Check every kernel on a device against its float64 CPU reference.";
    public override IReadOnlyList<Option> Options => [device, large];

    public override int Run(ParseResult p, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("verify");
        using var backend = DeviceCatalog.Open(p.GetValue(device)!, m => log.LogInformation("{Message}", m));
        log.LogInformation("verifying kernels on {Device}", backend.Description);
        var checks = new KernelChecks(backend);
        int failed = 0, total = 0;
        double worst = 0;
        Console.WriteLine($"{"KERNEL",-30} {"SHAPE",-14} {"MAX ERROR",10} {"TOLERANCE",10}  RESULT");
        foreach (var r in checks.All(p.GetValue(large)))
        {
            total++;
            if (!r.Passed) failed++;
            // Exact checks (tolerance 0: copies, one-hot, clamp) pass at 0 error and count as 0 %.
            double share = double.IsNaN(r.MaxError) ? double.PositiveInfinity : r.MaxError == 0 ? 0 : r.MaxError / r.Tolerance;
            worst = Math.Max(worst, share);
            Console.WriteLine($"{r.Kernel,-30} {r.Shape,-14} {r.MaxError,10:E2} {r.Tolerance,10:E2}  {(r.Passed ? "pass" : "FAIL")}");
        }
        Console.WriteLine();
        Console.WriteLine($"{total - failed} passed, {failed} failed on {backend.Kind} ({backend.Description}); worst error at {worst:P0} of its tolerance");
        return failed == 0 ? 0 : 1;
    }
}
