using System.Diagnostics;
using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Host.Bench;

/// <summary>
/// A device's measured peaks, the yardstick of `bench --profile`'s "% of peak" columns: the
/// bandwidth of one large device copy, counted as bytes read plus bytes written, and the best
/// GEMM rate over a few large shapes.
/// </summary>
public sealed record PeakResult(
    string Device, string DeviceDescription, DateTime MeasuredUtc,
    double CopyMib, double CopyGbps, double GemmGflops, string GemmShape);

public static class PeakBenchmark
{
    /// <summary>Copy size per device kind: large enough to leave every cache, small enough for seconds.</summary>
    public static int DefaultCopyMib(string kind) => kind == "ilgpu-cpu" ? 64 : 256;

    /// <summary>
    /// GEMM shapes per device kind, each in the three forms the engine issues: 2048³ and 4096³ on a
    /// GPU, 1024³ on the cpu backend (its rate is flat above that, docs/perf.md), 256³ and 512³ on
    /// the simulator, which runs at a fraction of a GFLOP/s and pays per barrier, so smaller
    /// squares would rate it below the step's own GEMMs.
    /// </summary>
    public static List<GemmShape> GemmShapes(string kind)
    {
        int[] sizes = kind switch { "cpu" => [1024], "ilgpu-cpu" => [256, 512], _ => [2048, 4096] };
        var list = new List<GemmShape>();
        foreach (int s in sizes)
        {
            list.Add(new("square", s, s, s, false, false));
            list.Add(new("square", s, s, s, false, true));
            list.Add(new("square", s, s, s, true, false));
        }
        return list;
    }

    public static PeakResult Run(IBackend backend, int copyMiB, TimeSpan minTime)
    {
        double gbps = CopyGbps(backend, copyMiB, minTime);
        var best = GemmBenchmark.Run(backend, GemmShapes(backend.Kind), minTime).MaxBy(r => r.Gflops)!;
        var s = best.Shape;
        return new PeakResult(backend.Kind, backend.Description, DateTime.UtcNow, copyMiB, gbps, best.Gflops, $"{s.M}x{s.N}x{s.K} {s.Form}");
    }

    static double CopyGbps(IBackend backend, int copyMiB, TimeSpan minTime)
    {
        int floats = checked((int)((long)copyMiB * (1 << 20) / sizeof(float)));
        using var a = backend.Allocate<float>(floats);
        using var b = backend.Allocate<float>(floats);
        Tensor src = Tensor.Whole(a), dst = Tensor.Whole(b);
        backend.Copy(src, dst);   // warm-up: first touch of the pages, driver set-up
        backend.Synchronize();
        int reps = 0;
        var clock = Stopwatch.StartNew();
        while (reps < 3 || clock.Elapsed < minTime)
        {
            backend.Copy(src, dst);
            reps++;
        }
        backend.Synchronize();
        double bytesMoved = 2.0 * floats * sizeof(float) * reps;   // each copy reads and writes the buffer
        return bytesMoved / clock.Elapsed.TotalSeconds / 1e9;
    }
}
