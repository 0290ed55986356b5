namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// Splits [0, count) into contiguous parts run on CpuGemm's persistent workers when the work pays for
/// the wake-up: the element-wise ops of the CPU backend and the conv layout and BatchNorm2d passes
/// share it. (Parallel.For, before, allocated per call and left thread-pool threads spinning beside
/// the GEMM's workers on a 2-core machine.) Every body writes disjoint outputs per index, so the
/// partition never changes a result.
/// </summary>
static class CpuParallel
{
    /// <summary>Below this many floats touched, a pass runs on the calling thread: waking a worker costs µs.</summary>
    const long Threshold = 1 << 15;

    public static void For(int count, long work, int threads, Action<int, int> body)
    {
        if (threads <= 1 || work < Threshold || count < 2)
        {
            body(0, count);
            return;
        }
        threads = Math.Min(threads, Environment.ProcessorCount);
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        // One part per thread, as before (the element-wise bodies' SIMD tails fall where they did, so
        // results are bit for bit those of Parallel.For), claimed as threads come: a worker the OS
        // starts late finds its part done by the caller rather than holding the pass up.
        CpuGemm.RunParts(body, count, Math.Min(count, threads), threads);
    }
}
