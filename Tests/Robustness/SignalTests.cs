using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using IlgpuGan.Tests.Cli;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP each stop a run after its step with a resumable checkpoint and the
/// shell's code for the signal (130, 143, 129); during start-up they end it with that code and no
/// run folder. Signals go to the process id (never by name).
/// </summary>
public sealed class SignalTests
{
    /// <summary>A training run of the app as a child process, its stderr collected line by line.</summary>
    sealed class TrainingProcess : IDisposable
    {
        static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
        readonly Process process;
        readonly System.Collections.Concurrent.BlockingCollection<string> lines = [];
        readonly StringBuilder log = new();
        readonly Task<string> stdout;
        readonly Task stderr;

        public TrainingProcess(params string[] args)
        {
            // A test host started as a background job inherits SIGINT ignored, and so would the app;
            // env --default-signal (coreutils) hands it the default dispositions, as a terminal would.
            bool reset = File.Exists("/usr/bin/env") && OperatingSystem.IsLinux();
            var psi = new ProcessStartInfo(reset ? "/usr/bin/env" : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            if (reset) { psi.ArgumentList.Add("--default-signal=INT,TERM,HUP"); psi.ArgumentList.Add("dotnet"); }
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ilgpugan.dll"));
            psi.ArgumentList.Add("train");
            foreach (var a in args) psi.ArgumentList.Add(a);
            process = Process.Start(psi)!;   // env execs dotnet: the same process id
            stdout = process.StandardOutput.ReadToEndAsync();
            stderr = Task.Run(() =>
            {
                for (string? line; (line = process.StandardError.ReadLine()) is not null;) lines.Add(line);
                lines.CompleteAdding();
            });
        }

        /// <summary>Collects stderr until a line contains <paramref name="text"/>; false if the process ended (or took too long) first.</summary>
        public bool WaitForLine(string text)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < deadline)
            {
                if (!lines.TryTake(out var line, TimeSpan.FromSeconds(1)))
                {
                    if (lines.IsCompleted) return false;
                    continue;
                }
                log.AppendLine(line);
                if (line.Contains(text)) return true;
            }
            return false;
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-s", name, process.Id.ToString()]);
            kill.WaitForExit();
        }

        /// <summary>Waits for the exit; returns the code and everything it printed on stderr.</summary>
        public (int Code, string Log) Finish()
        {
            bool exited = process.WaitForExit(Patience);
            if (!exited) process.Kill();
            stderr.Wait(Patience);
            foreach (var line in lines) log.AppendLine(line);
            Assert.True(exited, $"still running {Patience} after the signal\n{log}");
            stdout.Wait(Patience);
            return (process.ExitCode, log.ToString());
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
        }
    }

    /// <summary>checkpoint.tmp-PID and checkpoint.prev folders (a "checkpoint.*" pattern would also match "checkpoint").</summary>
    internal static IEnumerable<string> Staging(string dir) =>
        Directory.GetDirectories(dir).Select(Path.GetFileName).Where(n => n!.StartsWith("checkpoint.", StringComparison.Ordinal))!;

    static long SavedStep(string dir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "checkpoint", "state.json")))!["step"]!.GetValue<long>();

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public void A_stop_signal_saves_a_resumable_checkpoint_and_exits_with_its_code(string signal, int code)
    {
        if (OperatingSystem.IsWindows()) return;   // no POSIX signals to send
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        int steps;
        using (var p = new TrainingProcess("--dataset", "ring8", "--device", "cpu", "--steps", "100000000", "--log-every", "1",
            "--sample-every", "100000000", "--checkpoint-every", "100000000", "--out", dir))
        {
            // The first progress line comes from inside the training loop: steps have run.
            if (!p.WaitForLine("steps/s")) Assert.Fail(p.Finish().Log);   // (an Assert.True message would be evaluated first)
            p.Signal(signal);
            var (exit, log) = p.Finish();
            Assert.True(exit == code, $"exit {exit}\n{log}");
            Assert.Contains($"interrupted (SIG{signal}) at step", log);
            Assert.True(File.Exists(Path.Combine(dir, "report.html")), log);
            steps = (int)SavedStep(dir);
            Assert.True(steps > 0, log);
        }
        Assert.Empty(Staging(dir));
        var resumed = Ilgpugan.Run("train", "--resume", dir, "--steps", (steps + 3).ToString());
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"resumed {dir} at step {steps}", resumed.Stderr);
        Assert.Equal(steps + 3, SavedStep(dir));
    }

    /// <summary>
    /// A signal while the data loads: the run ends with the signal's code and leaves no folder. The
    /// signal follows the "device:" line, logged just before MNIST is read; should the read beat the
    /// signal, the run must still end with its code, and either no folder or a resumable checkpoint.
    /// </summary>
    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public void A_stop_signal_during_start_up_leaves_no_run_folder(string signal, int code)
    {
        if (OperatingSystem.IsWindows()) return;
        bool sawStartUp = false;
        for (int attempt = 0; attempt < 3 && !sawStartUp; attempt++)
        {
            var dir = Path.Combine(Ilgpugan.TempDir(), "run");
            using var p = new TrainingProcess("--data", Ilgpugan.Mnist, "--device", "cpu", "--steps", "100000000", "--out", dir);
            if (!p.WaitForLine("device:")) Assert.Fail(p.Finish().Log);
            p.Signal(signal);
            var (exit, log) = p.Finish();
            Assert.True(exit == code, $"exit {exit}\n{log}");
            if (log.Contains($"interrupted (SIG{signal}) during start-up") || log.Contains($"interrupted (SIG{signal}) before the first step"))
            {
                sawStartUp = true;
                Assert.False(Directory.Exists(dir), log);
            }
            else Assert.True(SavedStep(dir) > 0, log);
        }
        Assert.True(sawStartUp, "the data loaded before the signal in every attempt");
    }

    /// <summary>A run that fails before its first step (here: it cannot allocate its batch) takes its new folder back.</summary>
    [Fact]
    public void A_run_that_fails_before_its_first_step_leaves_no_run_folder()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--batch", "1048576", "--steps", "5", "--out", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.StartsWith("ilgpugan: error: out of memory", r.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.False(Directory.Exists(dir), r.ToString());

        // A folder the user made beforehand stays, with only what it held.
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--batch", "1048576", "--steps", "5", "--out", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Out_at_a_file_says_so_in_one_line()
    {
        var file = Path.Combine(Ilgpugan.TempDir(), "taken");
        File.WriteAllText(file, "");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "5", "--out", file);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Equal($"ilgpugan: error: cannot use --out {file}: it is a file, not a folder", r.Stderr.TrimEnd());

        r = Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "5", "--out", Path.Combine(file, "run"));
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Equal($"ilgpugan: error: cannot use --out {Path.Combine(file, "run")}: {file} is a file, not a folder", r.Stderr.TrimEnd());
    }
}
