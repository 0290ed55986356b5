using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.OpenCL;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Why a GPU backend contributes no device (or no GPU): its driver library was not found (with the
/// names tried), it reports no platform or device, or its devices are CPUs or too old for ILGPU.
/// ILGPU itself says nothing in these cases: the backend just has no devices.
/// </summary>
public static class DeviceDiagnostics
{
    /// <summary>One line per backend ("cuda: ...", "opencl: ..."), given what <see cref="DeviceCatalog.List"/> found.</summary>
    public static IReadOnlyList<string> Explain(IReadOnlyList<DeviceEntry> devices) =>
        [$"cuda: {Cuda(devices)}", $"opencl: {OpenCl(devices)}"];

    static string Cuda(IReadOnlyList<DeviceEntry> devices)
    {
        var (_, probe) = NativeLibraries.Probe("cuda");
        if (!probe.Found) return $"driver library not found (tried {string.Join(", ", probe.Tried)}); no NVIDIA driver installed";
        int n = devices.Count(d => d.Kind == "cuda");
        return n > 0 ? $"{n} device(s) through {probe.Loaded}" : $"{probe.Loaded} loaded, but it reports no CUDA device";
    }

    static string OpenCl(IReadOnlyList<DeviceEntry> devices)
    {
        var (handle, probe) = NativeLibraries.Probe("opencl");
        if (!probe.Found) return $"library not found (tried {string.Join(", ", probe.Tried)}); install an OpenCL driver (ICD) and ocl-icd-libopencl1 or your vendor's loader";
        int platforms = PlatformCount(handle);
        if (platforms == 0) return $"{probe.Loaded} loaded, but no OpenCL platform (no driver registered under /etc/OpenCL/vendors?)";
        var usable = devices.Where(d => d.Kind == "opencl").ToList();
        var skipped = Unsupported();
        string rest = skipped.Count > 0 ? $"; ILGPU cannot use {string.Join(", ", skipped)}" : "";
        if (usable.Count == 0) return $"{platforms} platform(s) through {probe.Loaded}, but no device ILGPU can use{rest}";
        if (!usable.Any(d => d.IsGpu))
            return $"no GPU device: {string.Join(", ", usable.Select(d => d.Id))} {(usable.Count == 1 ? "is a CPU device" : "are CPU devices")}{rest}";
        return $"{usable.Count(d => d.IsGpu)} GPU device(s) through {probe.Loaded}{rest}";
    }

    /// <summary>clGetPlatformIDs' count, called directly: ILGPU does not tell "no platform" from "no device". -1 when it fails.</summary>
    static unsafe int PlatformCount(IntPtr library)
    {
        if (!NativeLibrary.TryGetExport(library, "clGetPlatformIDs", out var f)) return -1;
        int count = 0;
        int error = ((delegate* unmanaged<uint, IntPtr*, int*, int>)f)(0, null, &count);
        // CL_PLATFORM_NOT_FOUND_KHR (-1001): the ICD loader found no driver.
        return error == 0 ? count : error == -1001 ? 0 : -1;
    }

    // ILGPU's own minimum (internal in 1.5.3): OpenCL C 2.0.
    static readonly CLCVersion MinimumC = CLCVersion.CL20;

    /// <summary>OpenCL devices that ILGPU's default filter drops (OpenCL C below 2.0 or no generic address space), with why.</summary>
    static List<string> Unsupported()
    {
        try
        {
            var all = new List<CLDevice>();
            using var ctx = Context.Create(b => b.OpenCL(d => { all.Add(d); return false; }));
            return all.Where(d => !(d.CLStdVersion >= MinimumC && d.Capabilities.GenericAddressSpace))
                .Select(d => $"'{d.Name}' (OpenCL C {d.CLStdVersion}{(d.Capabilities.GenericAddressSpace ? "" : ", no generic address space")}; ILGPU needs C {MinimumC} with it, e.g. PoCL 6)")
                .ToList();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [$"(could not list devices: {e.Message.Split('\n')[0]})"];
        }
    }
}
