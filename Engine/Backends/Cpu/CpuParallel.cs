namespace IlgpuGan.Engine.Backends.Cpu;

/// <summary>
/// Splits [0, count) into one contiguous chunk per thread when the work pays for the wake-up: the
/// element-wise ops of the CPU backend and the conv layout and BatchNorm2d passes share it.
/// </summary>
static class CpuParallel
{
    /// <summary>Below this many floats touched, a pass runs on the calling thread: a Parallel.For costs ~10 µs.</summary>
    const long Threshold = 1 << 15;

    public static void For(int count, long work, int threads, Action<int, int> body)
    {
        if (threads <= 1 || work < Threshold || count < 2)
        {
            body(0, count);
            return;
        }
        int parts = Math.Min(threads, count);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
            body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}
