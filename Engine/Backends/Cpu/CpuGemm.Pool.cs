using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace IlgpuGan.Engine.Backends.Cpu;

// A small pool of persistent GEMM workers. Parallel.For allocates and costs ~10 µs per call; these
// threads stay awake a little after each job (GEMMs come in bursts during a training step), first
// spinning, then yielding the core, then blocking, and a dispatch writes the job into a static
// slot: nothing is allocated per call. The caller works on the job too, and waits only for the
// workers that have joined it: a worker the OS has not run yet (a loaded machine) finds the job closed
// when it wakes and goes back to waiting, instead of holding the caller until it is scheduled. Every
// job hands its work out by claims (chunks, packing units, parts), so any number of participants,
// the caller alone included, computes the same result.
public static unsafe partial class CpuGemm
{
    static class Pool
    {
        static readonly object s_gate = new();
        static Worker[] s_workers = [];
        static Job s_job;
        static int s_nextUnit, s_unitsDone, s_nextChunk;
        // s_open: the slots hold a job that is still being handed out (1) or not (0); s_inside: workers
        // that have joined it. A worker enters (s_inside++) and only then looks at s_open; the caller
        // closes (s_open = 0) and only then waits for s_inside to drain: one of the two always sees the other.
        static int s_open, s_inside;
        static Exception? s_error;
        // A pass of CpuParallel.For instead of a GEMM: the body, and its parts claimed one at a time.
        static Action<int, int>? s_pass;
        static int s_passCount, s_passParts, s_nextPart;

        // How long an idle worker stays awake (yielding) before it blocks: waking a blocked thread
        // costs tens of µs on a VM, a GEMM of the GAN at batch 64 about a hundred.
        static readonly long s_spinTicks = Stopwatch.Frequency / 500; // 2 ms

        sealed class Worker
        {
            public int Sequence;
            public int Sleeping;
            public readonly ManualResetEventSlim Wake = new(false, 0);

            public Worker(int index)
            {
                var t = new Thread(Loop) { IsBackground = true, Name = $"CpuGemm worker {index}" };
                t.Start();
            }

            void Loop()
            {
                int seen = 0;
                while (true)
                {
                    long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
                    int spins = 0;
                    while (Volatile.Read(ref Sequence) == seen)
                    {
                        // A short busy spin answers a quick next call at once; then yield the core
                        // to anything else runnable until the deadline, then block.
                        if (++spins < 64)
                        {
                            Thread.SpinWait(20);
                            continue;
                        }
                        if (Stopwatch.GetTimestamp() < deadline)
                        {
                            Thread.Yield();
                            continue;
                        }
                        Interlocked.Exchange(ref Sleeping, 1);
                        if (Volatile.Read(ref Sequence) == seen) Wake.Wait();
                        Wake.Reset();
                        Volatile.Write(ref Sleeping, 0);
                        spins = 0;
                        deadline = Stopwatch.GetTimestamp() + s_spinTicks;
                    }
                    seen = Volatile.Read(ref Sequence);
                    Interlocked.Increment(ref s_inside);
                    try
                    {
                        if (Volatile.Read(ref s_open) != 0)
                        {
                            if (Volatile.Read(ref s_pass) is { } pass) RunPass(pass);
                            else RunShared(ref s_job, ref s_nextUnit, ref s_unitsDone, ref s_nextChunk);
                        }
                    }
                    catch (Exception e)
                    {
                        s_error = e;
                        Volatile.Write(ref s_unitsDone, int.MaxValue / 2);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref s_inside);
                    }
                }
            }
        }

        /// <summary>Runs a partitioned job on the calling thread and up to workers - 1 pool threads.</summary>
        public static void Execute(ref Job job, int workers)
        {
            // Held by this thread already (a GEMM inside a pass's body) or by another: run it here.
            if (Monitor.IsEntered(s_gate) || !Monitor.TryEnter(s_gate))
            {
                // Another thread is using the workers: do the whole job here.
                job.PreA = job.PreB = false;
                Run(ref job, 0, job.M, 0, job.N);
                return;
            }
            try
            {
                int helpers = Math.Min(workers, job.Chunks) - 1;
                s_job = job;
                s_error = null;
                s_nextUnit = s_unitsDone = s_nextChunk = 0;
                Open(helpers);
                Exception? mine = null;
                try
                {
                    RunShared(ref s_job, ref s_nextUnit, ref s_unitsDone, ref s_nextChunk);
                }
                catch (Exception e)
                {
                    mine = e;
                    // Let helpers waiting on the shared packing go on (their results no longer matter).
                    Volatile.Write(ref s_unitsDone, int.MaxValue / 2);
                }
                Close();
                if ((mine ?? s_error) is { } error) ExceptionDispatchInfo.Throw(error);
            }
            finally
            {
                // Opened and not closed only when waking the workers threw: never leave a stale job open.
                if (Volatile.Read(ref s_open) != 0) Close();
                Monitor.Exit(s_gate);
            }
        }

        /// <summary>Publishes the job in the slots and wakes <paramref name="helpers"/> workers for it.</summary>
        static void Open(int helpers)
        {
            Volatile.Write(ref s_open, 1);
            Wake(helpers);
        }

        /// <summary>Closes the job to workers not yet in it, and waits for those inside to finish.</summary>
        static void Close()
        {
            Interlocked.Exchange(ref s_open, 0);
            var spin = new SpinWait();
            while (Volatile.Read(ref s_inside) != 0) spin.SpinOnce(sleep1Threshold: -1);
        }

        /// <summary>Starts the first <paramref name="helpers"/> workers (creating them on first use) on the job in the slots.</summary>
        static void Wake(int helpers)
        {
            if (s_workers.Length < helpers)
            {
                var grown = new Worker[helpers];
                Array.Copy(s_workers, grown, s_workers.Length);
                for (int i = s_workers.Length; i < helpers; i++) grown[i] = new Worker(i + 1);
                s_workers = grown;
            }
            for (int i = 0; i < helpers; i++)
            {
                var w = s_workers[i];
                Interlocked.Increment(ref w.Sequence);
                if (Volatile.Read(ref w.Sleeping) != 0) w.Wake.Set();
            }
        }

        /// <summary>
        /// Runs body over [0, count) cut into <paramref name="parts"/> contiguous parts, on the calling
        /// thread and up to threads − 1 workers, each claiming parts as it comes (a worker that starts
        /// late finds them done). Inline when the workers are busy or this thread already holds them.
        /// </summary>
        public static void ExecutePass(Action<int, int> body, int count, int parts, int threads)
        {
            if (Monitor.IsEntered(s_gate) || !Monitor.TryEnter(s_gate))
            {
                body(0, count);
                return;
            }
            try
            {
                s_passCount = count;
                s_passParts = parts;
                s_nextPart = 0;
                s_error = null;
                Volatile.Write(ref s_pass, body);
                Open(Math.Min(threads, parts) - 1);
                Exception? mine = null;
                try
                {
                    RunPass(body);
                }
                catch (Exception e)
                {
                    mine = e;
                }
                Close();
                if ((mine ?? s_error) is { } error) ExceptionDispatchInfo.Throw(error);
            }
            finally
            {
                if (Volatile.Read(ref s_open) != 0) Close();
                Volatile.Write(ref s_pass, null);
                Monitor.Exit(s_gate);
            }
        }

        static void RunPass(Action<int, int> body)
        {
            int count = s_passCount, parts = s_passParts;
            for (int p; (p = Interlocked.Increment(ref s_nextPart) - 1) < parts;)
                body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts));
        }
    }

    /// <summary>
    /// Runs body over [0, count) in contiguous parts on the GEMM's persistent workers (see
    /// <see cref="CpuParallel.For"/>): no thread-pool threads spinning beside them, nothing allocated.
    /// </summary>
    internal static void RunParts(Action<int, int> body, int count, int parts, int threads) =>
        Pool.ExecutePass(body, count, parts, threads);
}
