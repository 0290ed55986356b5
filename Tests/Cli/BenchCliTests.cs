using System.Text.Json;

namespace IlgpuGan.Tests.Cli;

/// <summary>The bench tooling itself (not a timing assertion): it runs, prints its tables and writes the JSON it promises.</summary>
public sealed class BenchCliTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void Bench_prints_the_table_and_writes_json(string device)
    {
        var json = Path.Combine(Ilgpugan.TempDir(), "bench.json");
        var r = Ilgpugan.Run("bench", "--device", device, "--batches", "4,8", "--warmup", "0", "--seconds", "0", "--min-steps", "1", "--json", json);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("steps/s", r.Stdout);
        Assert.Contains("gemm", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal([4, 8], rows.Select(x => x.GetProperty("batch").GetInt32()));
        foreach (var row in rows)
        {
            Assert.Equal(device, row.GetProperty("device").GetString());
            Assert.True(row.GetProperty("steps_per_s").GetDouble() > 0);
            Assert.True(row.GetProperty("ms_per_step").GetDouble() > 0);
            Assert.True(row.GetProperty("gflops").GetDouble() > 0);
            // The step's GEMM FLOPs per sample follow from the seed models alone (10.44 MFLOP).
            Assert.InRange(row.GetProperty("mflop_per_sample").GetDouble(), 10.43, 10.45);
            Assert.True(row.GetProperty("breakdown_ms_per_step").GetProperty("gemm").GetDouble() > 0);
        }
    }
}
