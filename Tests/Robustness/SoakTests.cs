using System.Diagnostics;
using System.Globalization;
using IlgpuGan.Tests.Cli;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// Short versions of tools/kill-soak.sh (5 SIGKILLs) and tools/soak.sh (2 minutes): the scripts
/// themselves, run against the app built beside the tests.
/// </summary>
public class SoakTests
{
    static (int Code, string Output) Script(string name, Dictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(IdxFixtures.RepoRoot(), "tools", name));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ILGPUGAN"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "ilgpugan.dll")}";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} did not finish in 15 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void FiveKillsLoseNothing()
    {
        var work = Ilgpugan.TempDir();
        try
        {
            var (code, output) = Script("kill-soak.sh", new() { ["STEPS"] = "800", ["CHECKPOINT_EVERY"] = "50", ["MAX_DELAY"] = "4", ["SEED"] = "11" }, "5", work);
            Assert.True(code == 0, output);
            Assert.Contains("kill-soak: PASS: 5 kills", output);
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    [Fact]
    public void ManagedHeapStaysFlatForTwoMinutes()
    {
        var work = Ilgpugan.TempDir();
        try
        {
            var (code, output) = Script("soak.sh", new() { ["INTERVAL"] = "10" }, "120", work);
            Assert.True(code == 0, output);
            var rows = File.ReadLines(Path.Combine(work, "heap.csv")).Skip(1)
                .Select(l => l.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToList();
            Assert.True(rows.Count >= 10, $"{rows.Count} samples in two minutes:\n{output}");
            // Warm-up: start-up, the first checkpoint, the first evaluation and sample grid.
            var warm = rows.Where(r => r[0] >= 40).Select(r => r[2]).ToList();
            Assert.True(warm.Count >= 6, output);
            // A leak raises the floor of the live heap. A single sample may catch a checkpoint's or
            // a grid's buffers in flight (the log samples from another thread), so the test
            // compares the floor of the later samples with the floor of the earlier ones.
            int half = warm.Count / 2;
            double early = warm.Take(half).Min(), late = warm.Skip(half).Min();
            Assert.True(late - early <= Math.Max(1 << 20, 0.05 * early),
                $"the managed heap's floor rose by {(late - early) / 1048576:F2} MiB after warm-up ({string.Join(", ", warm.Select(w => (w / 1048576).ToString("F2")))} MiB):\n{output}");
        }
        finally { Directory.Delete(work, recursive: true); }
    }
}
