using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace IlgpuGan.Host.Diagnostics;

/// <summary>
/// With ILGPUGAN_HEAP_LOG=FILE set, appends one CSV row every ILGPUGAN_HEAP_LOG_SECONDS (default
/// 10) to FILE: elapsed_s, rss_bytes, managed_live_bytes (after a full collection),
/// allocated_bytes (cumulative), gen0, gen1, gen2 (collection counts). tools/soak.sh reads it to
/// show whether memory levels off. It runs on a timer thread, off the training step, and starts
/// from a module initializer so that no command has to know about it; without the variable it does
/// nothing.
/// </summary>
static class HeapLog
{
    static Timer? timer;

    [ModuleInitializer]
    internal static void StartIfAsked()
    {
        if (Environment.GetEnvironmentVariable("ILGPUGAN_HEAP_LOG") is not { Length: > 0 } file) return;
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("ILGPUGAN_HEAP_LOG_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 10;
        var clock = Stopwatch.StartNew();
        if (!File.Exists(file)) File.WriteAllText(file, "elapsed_s,rss_bytes,managed_live_bytes,allocated_bytes,gen0,gen1,gen2\n");
        timer = new Timer(_ => Write(file, clock), null, TimeSpan.Zero, TimeSpan.FromSeconds(seconds));
    }

    static void Write(string file, Stopwatch clock)
    {
        try
        {
            long live = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            File.AppendAllText(file, string.Create(CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalSeconds:F1},{self.WorkingSet64},{live},{GC.GetTotalAllocatedBytes()},{GC.CollectionCount(0)},{GC.CollectionCount(1)},{GC.CollectionCount(2)}\n"));
        }
        catch (IOException) { }   // a diagnostic must never end a run
        catch (UnauthorizedAccessException) { }
    }
}
