using System.Diagnostics;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Gan;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// A checkpoint save on a disk that fills up: the previous checkpoint stays byte for byte, no
/// partial folder is left, and the error is one line. Needs a small tmpfs, so it mounts one where
/// it may (root on Linux) and is skipped with the reason elsewhere.
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public void FullDiskKeepsThePreviousCheckpoint()
    {
        using var disk = SmallDisk.TryMount(8 << 20, out string? why);
        if (disk is null) { Assert.Skip($"no small tmpfs to fill: {why}"); return; }

        using var backend = new CpuBackend(threads: 1);
        const int features = 16, count = 8;
        var pixels = new byte[count * features];
        new Random(5).NextBytes(pixels);
        using var trainer = new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 4 }, pixels, count, features);
        trainer.TrainStep();
        var runDir = Path.Combine(disk.Path, "run");
        Checkpoint.Save(trainer, runDir);
        var folder = Path.Combine(runDir, Checkpoint.FolderName);
        var before = Snapshot(folder);
        long size = before.Values.Sum(b => (long)b.Length);

        // Leave room for a third of a checkpoint.
        long free = new DriveInfo(disk.Path).AvailableFreeSpace;
        using (var filler = File.Create(Path.Combine(disk.Path, "filler")))
            filler.Write(new byte[free - size / 3]);

        trainer.TrainStep();
        var e = Assert.Throws<GanException>(() => Checkpoint.Save(trainer, runDir));
        Assert.Equal($"no space left on device writing {folder}; the previous checkpoint is kept", e.Message);
        Assert.Equal([Checkpoint.FolderName], Directory.GetDirectories(runDir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(runDir, ".*.tmp"));
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.Equal(bytes, after[name]);

        // With room again the next save succeeds: nothing was left half-done.
        File.Delete(Path.Combine(disk.Path, "filler"));
        Checkpoint.Save(trainer, runDir);
        Assert.Equal(2, Checkpoint.Load(trainer, runDir).Step);
    }

    [Fact]
    public void TrainOnAFullDiskExitsWithOneLineAndKeepsTheCheckpoint()
    {
        using var disk = SmallDisk.TryMount(24 << 20, out string? why);
        if (disk is null) { Assert.Skip($"no small tmpfs to fill: {why}"); return; }
        // Room for one ring8 checkpoint (6.6 MB) and the run's small files, not for a second beside it.
        long free = new DriveInfo(disk.Path).AvailableFreeSpace;
        using (var filler = File.Create(Path.Combine(disk.Path, "filler")))
            filler.Write(new byte[free - (9 << 20)]);
        var runDir = Path.Combine(disk.Path, "run");

        var r = Cli.Ilgpugan.Run("train", "--dataset", "ring8", "--device", "cpu", "--steps", "300", "--checkpoint-every", "100",
            "--sample-every", "1000", "--out", runDir);

        Assert.Equal(1, r.ExitCode);
        var folder = Path.Combine(runDir, Checkpoint.FolderName);
        // One line, once, and the last: the logger's queue is flushed before the error is printed.
        var error = $"ilgpugan: error: no space left on device writing {folder}; the previous checkpoint is kept";
        Assert.Single(r.Stderr.Split('\n'), l => l == error);
        Assert.Equal(error, r.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Contains("\"step\": 100,", File.ReadAllText(Path.Combine(folder, "state.json")));
        Assert.Equal([Checkpoint.FolderName], Directory.GetDirectories(runDir, "checkpoint*").Select(Path.GetFileName));
    }

    static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}

/// <summary>A tmpfs of a given size, unmounted on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    public string Path { get; }

    SmallDisk(string path) => Path = path;

    public static SmallDisk? TryMount(long bytes, out string? why)
    {
        why = null;
        if (!OperatingSystem.IsLinux()) { why = "tmpfs needs Linux"; return null; }
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ilgpugan-tmpfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var (code, err) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", dir);
        if (code == 0) return new SmallDisk(dir);
        Directory.Delete(dir);
        why = $"mount -t tmpfs failed (exit {code}: {err.Trim()}); run the suite as root to include this test";
        return null;
    }

    static (int Code, string Err) Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }

    public void Dispose()
    {
        Run("umount", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
