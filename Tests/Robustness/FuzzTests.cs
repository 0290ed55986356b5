using System.Diagnostics;
using IlgpuGan.Engine;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// Feeds each file format's loader mutated copies of a valid file. Every input must load or give
/// the app's own one-line error naming the file: never another exception type, never a hang, never
/// an allocation the file's size cannot pay for. The suite runs a seeded subset;
/// tools/fuzz.sh sets ILGPUGAN_FUZZ_N for the long run and ILGPUGAN_FUZZ_REPORT for the counts.
/// </summary>
public sealed class FuzzTests(FuzzFormats formats) : IClassFixture<FuzzFormats>
{
    static int Count => int.TryParse(Environment.GetEnvironmentVariable("ILGPUGAN_FUZZ_N"), out int n) ? n : 250;
    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("ILGPUGAN_FUZZ_SEED"), out int s) ? s : 20261130;

    // Deflate expands at most ~1032:1; a loader may hold the inflated data twice while it checks it.
    const long GzipRatio = 2 * 1032;
    const long Slack = 4 << 20;   // buffers, JSON documents, messages: independent of what the header claims

    public static TheoryData<string> Names => new(["idx-images", "idx-images-gz", "idx-labels", "idx-labels-gz",
        "safetensors-G", "safetensors-D", "safetensors-optimizer", "state.json", "config.json"]);

    [Theory(Timeout = 600_000)]
    [MemberData(nameof(Names))]
    public async Task MutatedInputsLoadOrGiveOneLineErrors(string name)
    {
        var format = formats[name];
        var result = await Task.Run(() => Fuzz(format, Count, Seed));
        Report(format, result);
        Assert.True(result.Failures.Count == 0,
            $"{result.Failures.Count} of {result.Tried} inputs failed; first ones:\n{string.Join("\n", result.Failures.Take(8))}");
        // A fuzzer whose every input is refused the same way tests little: both outcomes must occur.
        Assert.True(result.Refused > 0, "no mutated input was refused");
    }

    [Fact]
    public void TheValidFilesLoad()
    {
        using var tmp = new IdxFixtures.TempFolder();
        foreach (var f in formats.All)
            f.Load(tmp.Write(f.FileName, f.Gzip ? IdxFixtures.Gzip(f.Valid) : f.Valid));
    }

    public sealed record FuzzResult(int Tried, int Loaded, int Refused, List<string> Failures, TimeSpan Slowest);

    public static FuzzResult Fuzz(FuzzFormat format, int count, int seed)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var path = Path.Combine(tmp.Path, format.FileName);
        var failures = new List<string>();
        int loaded = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        for (int i = 0; i < count; i++)
        {
            var mutator = new Mutator(seed * 7919 + i);
            var (bytes, what) = mutator.Mutate(format.Valid, format.Head, format.Fields, format.Json, format.SafetensorsHeader);
            if (format.Gzip)
            {
                // Half damage the data under the compression, half the compressed stream itself.
                if (i % 2 == 0) bytes = IdxFixtures.Gzip(bytes);
                else { (bytes, what) = mutator.Mutate(IdxFixtures.Gzip(format.Valid), 32, []); what = "gz " + what; }
            }
            File.WriteAllBytes(path, bytes);
            string label = $"#{i} ({what})";
            var clock = Stopwatch.StartNew();
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                format.Load(path);
                loaded++;
            }
            catch (GanException e)
            {
                refused++;
                if (e.Message.Contains('\n') || e.Message.Contains('\r')) failures.Add($"{label}: message is not one line: {e.Message}");
                else if (!e.Message.Contains(format.FileName)) failures.Add($"{label}: message does not name the file: {e.Message}");
            }
            catch (Exception e)
            {
                failures.Add($"{label}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long budget = (format.Gzip ? GzipRatio : 16) * bytes.LongLength + Slack;
            if (allocated > budget) failures.Add($"{label}: allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file");
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
            if (clock.Elapsed > TimeSpan.FromSeconds(5)) failures.Add($"{label}: took {clock.Elapsed.TotalSeconds:F1} s");
        }
        return new FuzzResult(count, loaded, refused, failures, slowest);
    }

    static void Report(FuzzFormat format, FuzzResult r)
    {
        var line = $"{format.Name}: tried {r.Tried}, loaded {r.Loaded}, refused {r.Refused}, failures {r.Failures.Count}, slowest {r.Slowest.TotalMilliseconds:F0} ms";
        TestContext.Current.SendDiagnosticMessage(line);
        if (Environment.GetEnvironmentVariable("ILGPUGAN_FUZZ_REPORT") is { Length: > 0 } file)
            lock (typeof(FuzzTests)) File.AppendAllText(file, line + Environment.NewLine);
    }
}
