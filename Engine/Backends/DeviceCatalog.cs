using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using IlgpuGan.Engine.Backends.Cpu;

namespace IlgpuGan.Engine.Backends;

/// <summary>One accelerator ILGPU can see.</summary>
public sealed record DeviceEntry(string Id, string Kind, string Name, long MemoryBytes, bool IsGpu);

/// <summary>What a device name asks for: auto, cpu and ilgpu-cpu, or the N-th CUDA or OpenCL device.</summary>
public enum DeviceKind { Auto, Cuda, OpenCL, Cpu, IlgpuCpu }

/// <summary>
/// A parsed device name ("auto", "cuda:1", "cpu"). <see cref="Parse"/> is where the names people type
/// are read; <see cref="ToString"/> writes them back the same way.
/// </summary>
public sealed record DeviceSpec(DeviceKind Kind, int Index = 0)
{
    public static readonly DeviceSpec Auto = new(DeviceKind.Auto);

    static readonly (string Name, DeviceKind Kind)[] Names =
        [("auto", DeviceKind.Auto), ("cuda", DeviceKind.Cuda), ("opencl", DeviceKind.OpenCL), ("cpu", DeviceKind.Cpu), ("ilgpu-cpu", DeviceKind.IlgpuCpu)];

    public static IEnumerable<string> KnownNames => Names.Select(n => n.Name);

    /// <summary>The catalog's kind string ("cuda", "ilgpu-cpu") of this device.</summary>
    public string KindName => Names.First(n => n.Kind == Kind).Name;

    /// <summary>Throws <see cref="InvalidSettingException"/> (setting "device") for a name that is not a device name.</summary>
    public static DeviceSpec Parse(string name)
    {
        var parts = name.Trim().ToLowerInvariant().Split(':');
        var kind = Names.FirstOrDefault(n => n.Name == parts[0]);
        if (parts.Length > 2 || kind.Name is null)
            throw new InvalidSettingException("device", $"must be one of {string.Join(", ", KnownNames)} (cuda and opencl take an index, e.g. cuda:1)", $"'{name}'");
        int index = 0;
        if (parts.Length == 2 && (kind.Kind is not (DeviceKind.Cuda or DeviceKind.OpenCL) || !int.TryParse(parts[1], out index) || index < 0))
            throw new InvalidSettingException("device", "takes an index only for cuda and opencl, e.g. cuda:1", $"'{name}'");
        return new DeviceSpec(kind.Kind, index);
    }

    public override string ToString() => Kind is DeviceKind.Cuda or DeviceKind.OpenCL && Index > 0 ? $"{KindName}:{Index}" : KindName;
}

/// <summary>
/// Finds accelerators and opens backends by the names users type: auto, cuda[:N], opencl[:N],
/// cpu (the managed SIMD backend) and ilgpu-cpu (ILGPU's simulator, for debugging kernels).
/// "auto" prefers CUDA, then an OpenCL GPU, then the managed CPU backend.
/// </summary>
public static class DeviceCatalog
{
    /// <summary>
    /// ILGPU's CPU simulator with 16 threads per group on 2 simulated multiprocessors: group sizes
    /// the kernels accept, and one group per core of the 2-core machines we test on.
    /// </summary>
    public static CPUDevice SimulatorDevice(int threadsPerWarp = 4, int warpsPerGroup = 4, int multiprocessors = 2) =>
        new(threadsPerWarp, warpsPerGroup, multiprocessors);

    /// <summary>
    /// With <paramref name="profiling"/>, ILGPU accepts profiling markers (device events). It is off
    /// by default: CUDA then changes nothing until a marker is added, but OpenCL creates its queue
    /// with CL_QUEUE_PROFILING_ENABLE, which makes the driver timestamp every command.
    /// </summary>
    static Context CreateContext(CPUDevice? simulator = null, bool profiling = false)
    {
        // Before ILGPU first touches the drivers: finds libOpenCL.so.1 / libcuda.so.1 (NativeLibraries).
        NativeLibraries.Register();
        // One at a time: the OpenCL ICD loader's first enumeration is not thread-safe (two test classes
        // opening PoCL at once saw no platform in one of them).
        lock (ContextGate)
            return Context.Create(b =>
            {
                b.Cuda().OpenCL().CPU(simulator ?? SimulatorDevice()).EnableAlgorithms();
                if (profiling) b.Profiling();
            });
    }

    static readonly object ContextGate = new();

    public static IReadOnlyList<DeviceEntry> List()
    {
        using var ctx = CreateContext();
        return Entries(ctx).Select(e => e.Entry).Prepend(ManagedCpu).ToList();
    }

    static DeviceEntry ManagedCpu => new("cpu", "cpu", new CpuBackend().Description, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, false);

    static List<(DeviceEntry Entry, Device Device)> Entries(Context ctx)
    {
        var list = new List<(DeviceEntry, Device)>();
        int cuda = 0, cl = 0;
        foreach (var d in ctx)
        {
            switch (d)
            {
                case CudaDevice:
                    list.Add((new DeviceEntry($"cuda:{cuda++}", "cuda", d.Name, d.MemorySize, true), d));
                    break;
                case CLDevice c:
                    list.Add((new DeviceEntry($"opencl:{cl++}", "opencl", d.Name, d.MemorySize, c.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU), d));
                    break;
                case CPUDevice:
                    list.Add((new DeviceEntry("ilgpu-cpu", "ilgpu-cpu", "ILGPU CPU simulator", d.MemorySize, false), d));
                    break;
            }
        }
        return list;
    }

    /// <summary>
    /// What "auto" picks among the listed devices, with the reason. An OpenCL CPU device (PoCL, Intel's
    /// CPU runtime) is never picked: on the same cores the managed cpu backend is several times faster.
    /// </summary>
    public static (DeviceEntry Entry, string Reason) ChooseAuto(IReadOnlyList<DeviceEntry> devices)
    {
        var cuda = devices.FirstOrDefault(d => d.Kind == "cuda");
        if (cuda is not null) return (cuda, "a CUDA device is present");
        var clGpu = devices.FirstOrDefault(d => d.Kind == "opencl" && d.IsGpu);
        if (clGpu is not null) return (clGpu, "no CUDA device; using the first OpenCL GPU");
        var cpu = devices.First(d => d.Kind == "cpu");
        var clCpus = devices.Where(d => d.Kind == "opencl").Select(d => d.Id).ToList();
        return (cpu, clCpus.Count == 0 ? "no GPU found; using the managed CPU backend"
            : $"no GPU found; using the managed CPU backend ({string.Join(", ", clCpus)}: OpenCL on the CPU, which auto never picks; the managed backend is faster on the same cores)");
    }

    /// <summary>Opens a backend for a device name; see <see cref="DeviceSpec.Parse"/>.</summary>
    public static IBackend Open(string name, Action<string>? log = null, CPUDevice? simulator = null, GemmTiles? tiles = null,
        Func<GemmProblem, GemmPlan>? gemmPlans = null, bool profiling = false) =>
        Open(DeviceSpec.Parse(name), log, simulator, tiles, gemmPlans, profiling);

    /// <summary>
    /// Opens a backend. Throws <see cref="DeviceNotFoundException"/> when the device is absent. <paramref name="profiling"/>
    /// lets ILGPU backends record device events (for `bench --profile`); the cpu backend ignores it.
    /// </summary>
    /// <param name="tiles">One GEMM tiling for every shape (tests); see <see cref="IlgpuBackend"/>.</param>
    /// <param name="gemmPlans">The GEMM plan per shape (tests); by default the backend's own choice.</param>
    public static IBackend Open(DeviceSpec device, Action<string>? log = null, CPUDevice? simulator = null, GemmTiles? tiles = null,
        Func<GemmProblem, GemmPlan>? gemmPlans = null, bool profiling = false)
    {
        string kind = device.KindName;
        int index = device.Index;
        if (kind == "cpu") return new CpuBackend();
        var ctx = CreateContext(simulator, profiling);
        try
        {
            var entries = Entries(ctx);
            (DeviceEntry Entry, Device Device)? pick = null;
            if (kind == "auto")
            {
                var (entry, reason) = ChooseAuto(entries.Select(e => e.Entry).Prepend(ManagedCpu).ToList());
                log?.Invoke($"device auto: chose {entry.Id} ({entry.Name}) because {reason}");
                if (entry.Kind == "cpu")
                {
                    ctx.Dispose();
                    return new CpuBackend();
                }
                pick = entries.First(e => e.Entry == entry);
            }
            else
            {
                var matching = entries.Where(e => e.Entry.Kind == kind).ToList();
                if (index >= matching.Count)
                {
                    var seen = entries.Count == 0 ? "none" : string.Join(", ", entries.Select(e => e.Entry.Id));
                    throw new DeviceNotFoundException($"no {(kind == "cuda" ? "CUDA" : kind == "opencl" ? "OpenCL" : kind)} device{(index > 0 ? $" #{index}" : "")} found (devices here: {seen})");
                }
                pick = matching[index];
            }
            var acc = pick.Value.Device.CreateAccelerator(ctx);
            return new IlgpuBackend(acc, pick.Value.Entry.Kind, ctx, tiles, gemmPlans);
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    /// <summary>Throws <see cref="InvalidSettingException"/> unless the name is a device name users may type.</summary>
    public static void Validate(string name) => DeviceSpec.Parse(name);
}
