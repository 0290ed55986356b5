using System.Diagnostics;

namespace IlgpuGan.Tests.Cli;

/// <summary>What one run of the command-line app produced.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the built `ilgpugan` app as a user would: a separate process, real exit code and streams.</summary>
public static class Ilgpugan
{
    public static CliResult Run(params string[] args) => RunWithEnvironment([], args);

    /// <summary>Runs the app with extra environment variables (e.g. ILGPUGAN_CACHE pointed at a test folder).</summary>
    public static CliResult RunWithEnvironment(Dictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ilgpugan.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ilgpugan {string.Join(' ', args)} did not finish in 10 minutes");
        }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Mnist => Path.Combine(Data.IdxFixtures.SharedData(), "mnist");

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "ilgpugan-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
