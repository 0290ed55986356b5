using System.Text.Json;
using IlgpuGan.Tests.Bench;

namespace IlgpuGan.Tests.Cli;

/// <summary>
/// `bench --profile` and `bench --peak` as a user runs them (not timing assertions): the table lists
/// every kernel of the step with its exact launches per step, the JSON has its fields, and a cached
/// peak turns into percentages. Each test points ILGPUGAN_CACHE at its own folder.
/// </summary>
public sealed class BenchProfileCliTests
{
    static readonly string[] Fields =
        ["device", "batch", "kernel", "launches_per_step", "us_per_launch", "share", "flops", "bytes", "gflops", "gbps", "pct_peak_flops", "pct_peak_bw"];

    static CliResult Profile(string device, string cache, string json) =>
        Ilgpugan.RunWithEnvironment(new() { ["ILGPUGAN_CACHE"] = cache },
            "bench", "--profile", "--device", device, "--batches", "4", "--warmup", "0", "--steps", "2", "--seconds", "0", "--json", json);

    [Theory]
    [InlineData("cpu", "host Stopwatch")]
    [InlineData("ilgpu-cpu", "ILGPU profiling markers")]
    public void Profile_lists_every_kernel_of_the_step_with_its_launches(string device, string clock)
    {
        var dir = Ilgpugan.TempDir();
        var json = Path.Combine(dir, "profile.json");
        var r = Profile(device, dir, json);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"clock: {clock}", r.Stdout);
        Assert.Contains("run bench --peak", r.Stdout);
        foreach (var name in new[] { "gemm+bias+act LeakyReLU 4x512x784 A·Bᵀ", "adam 549,761", "loss BceWithLogits 4" })
            Assert.Contains(name, r.Stdout);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.EnumerateArray().ToList();
        foreach (var row in rows)
        {
            Assert.Equal(Fields.Order(), row.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(device, row.GetProperty("device").GetString());
            Assert.Equal(4, row.GetProperty("batch").GetInt32());
            Assert.Equal(JsonValueKind.Null, row.GetProperty("pct_peak_bw").ValueKind);
        }
        var launches = rows.ToDictionary(x => x.GetProperty("kernel").GetString()!, x => x.GetProperty("launches_per_step").GetDouble());
        var expected = SeedStepLaunches.Expected(4);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), launches.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, kv => Assert.Equal(kv.Value, launches[kv.Key]));
        Assert.InRange(rows.Sum(x => x.GetProperty("share").GetDouble()), 0.99, 1.01);
        Assert.Contains("100.0 %", r.Stdout);   // the table's total row
    }

    [Fact]
    public void Peak_caches_the_device_peaks_and_profile_then_shows_percentages()
    {
        var dir = Ilgpugan.TempDir();
        var peak = Ilgpugan.RunWithEnvironment(new() { ["ILGPUGAN_CACHE"] = dir }, "bench", "--peak", "--device", "cpu", "--copy-mib", "8", "--seconds", "0");
        Assert.True(peak.ExitCode == 0, peak.ToString());
        var cached = Assert.Single(Directory.GetFiles(dir, "peak-cpu-*.json"));
        using (var doc = JsonDocument.Parse(File.ReadAllText(cached)))
        {
            Assert.True(doc.RootElement.GetProperty("copy_gbps").GetDouble() > 0);
            Assert.True(doc.RootElement.GetProperty("gemm_gflops").GetDouble() > 0);
        }
        Assert.Contains(cached, peak.Stdout);

        var json = Path.Combine(dir, "profile.json");
        var r = Profile("cpu", dir, json);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("run bench --peak", r.Stdout);
        Assert.Contains("%peak FLOP", r.Stdout);
        using var profile = JsonDocument.Parse(File.ReadAllText(json));
        foreach (var row in profile.RootElement.EnumerateArray())
        {
            Assert.True(row.GetProperty("pct_peak_bw").GetDouble() > 0);
            // % of peak FLOP/s wherever FLOPs are counted (every GEMM), null where they are not.
            bool counted = row.GetProperty("flops").GetDouble() > 0;
            Assert.Equal(counted ? JsonValueKind.Number : JsonValueKind.Null, row.GetProperty("pct_peak_flops").ValueKind);
            if (row.GetProperty("kernel").GetString()!.StartsWith("gemm")) Assert.True(counted);   // plain and fused (gemm+bias+act)
        }
    }

    [Fact]
    public void Profile_peak_and_kernels_are_separate_runs()
    {
        var r = Ilgpugan.Run("bench", "--profile", "--peak", "--device", "cpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("pick one", r.Stderr);
    }
}
