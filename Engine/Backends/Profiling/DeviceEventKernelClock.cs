using ILGPU.Runtime;

namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>
/// ILGPU profiling markers (CUDA/OpenCL events; host timestamps on ILGPU's CPU simulator, whose
/// launches are synchronous) recorded on the backend's stream (<see cref="IlgpuBackend.Stream"/>, where its launches go) before
/// and after each launch. The
/// host never waits between launches, so the queue keeps running ahead as in training; the times
/// are read in <see cref="Collect"/> at the end of a step. When the device waits on the host (tiny
/// kernels) the interval also holds that launch's host-side latency, so it is an upper bound on
/// the kernel's own time; once the queue runs ahead it is the kernel's time.
/// The context must have been created with profiling (<see cref="DeviceCatalog.Open"/>'s profiling
/// flag): ILGPU refuses markers otherwise.
/// </summary>
public sealed class DeviceEventKernelClock : IKernelClock
{
    readonly Accelerator accelerator;
    readonly AcceleratorStream stream;
    // Reused from step to step; only ILGPU's markers themselves (one native event each) are new.
    readonly List<(KernelStats Kernel, ProfilingMarker Start, ProfilingMarker End)> pending = new(512);
    ProfilingMarker? start;

    public DeviceEventKernelClock(IlgpuBackend backend) : this(backend.Accelerator, backend.Stream) { }

    /// <param name="stream">The stream the measured launches are issued on: markers time that stream.</param>
    public DeviceEventKernelClock(Accelerator accelerator, AcceleratorStream stream)
    {
        if (!accelerator.Context.Properties.EnableProfiling)
            throw new ArgumentException("the accelerator's context was created without profiling; open the backend with profiling: true", nameof(accelerator));
        this.accelerator = accelerator;
        this.stream = stream;
    }

    public string Description => accelerator.AcceleratorType == AcceleratorType.CPU
        ? "ILGPU profiling markers around each launch (on the simulator: host timestamps; its launches are synchronous)"
        : "device events (ILGPU profiling markers) around each launch, read once per step; small kernels include their launch latency";

    public void Begin() => start = stream.AddProfilingMarker();

    public void End(KernelStats kernel)
    {
        var begin = start ?? throw new InvalidOperationException("End without Begin");
        start = null;
        pending.Add((kernel, begin, stream.AddProfilingMarker()));
    }

    public void Collect()
    {
        foreach (var (kernel, begin, end) in pending)
        {
            kernel.Seconds += end.MeasureFrom(begin).TotalSeconds;
            begin.Dispose();
            end.Dispose();
        }
        pending.Clear();
    }

    public void Dispose()
    {
        foreach (var (_, begin, end) in pending)
        {
            begin.Dispose();
            end.Dispose();
        }
        pending.Clear();
        start?.Dispose();
    }
}
