using System.Reflection;
using System.Runtime.InteropServices;

namespace IlgpuGan.Engine.Backends;

/// <summary>How one native library request was resolved: the name that loaded (null: none) and every name tried.</summary>
public sealed record NativeProbe(string Requested, string? Loaded, IReadOnlyList<string> Tried)
{
    public bool Found => Loaded is not null;
    public string Describe() => Found
        ? $"'{Requested}' resolved to {Loaded}" + (Tried.Count > 1 ? $" (tried {string.Join(", ", Tried)})" : "")
        : $"'{Requested}' not found (tried {string.Join(", ", Tried)})";
}

/// <summary>
/// Finds the OpenCL and CUDA driver libraries under the names users actually have. ILGPU imports
/// "OpenCL" (Linux, macOS) / "opencl" (Windows) and "cuda" / "nvcuda" (Windows); on Linux .NET turns
/// those into libOpenCL.so and libcuda.so, the unversioned names that only the -dev packages install.
/// Debian's ocl-icd-libopencl1 and NVIDIA's driver ship libOpenCL.so.1 and libcuda.so.1, so without
/// this resolver the app silently sees no GPU on a typical AMD, Intel or NVIDIA machine.
/// </summary>
public static class NativeLibraries
{
    /// <summary>The names to try for a library ILGPU asks for, in order: its own name first.</summary>
    public static IReadOnlyList<string> Candidates(string requested, OSPlatform os)
    {
        string[] extra = requested.ToLowerInvariant() switch
        {
            "opencl" when os == OSPlatform.Linux => ["libOpenCL.so.1"],
            "opencl" when os == OSPlatform.OSX => ["/System/Library/Frameworks/OpenCL.framework/OpenCL"],
            "opencl" when os == OSPlatform.Windows => ["OpenCL.dll"],
            "cuda" when os == OSPlatform.Linux => ["libcuda.so.1"],
            "cuda" when os == OSPlatform.OSX => ["libcuda.dylib", "/usr/local/cuda/lib/libcuda.dylib"],
            "nvcuda" or "cuda" when os == OSPlatform.Windows => ["nvcuda.dll"],
            _ => [],
        };
        return [requested, .. extra];
    }

    /// <summary>The names ILGPU imports for a backend ("opencl", "cuda") on this OS.</summary>
    public static string ImportName(string backend) => (backend, OperatingSystem.IsWindows()) switch
    {
        ("opencl", true) => "opencl",
        ("opencl", false) => "OpenCL",
        ("cuda", true) => "nvcuda",
        ("cuda", false) => "cuda",
        _ => throw new ArgumentException($"no native library for backend '{backend}'", nameof(backend)),
    };

    /// <summary>
    /// Tries <see cref="Candidates"/> with <paramref name="tryLoad"/> (a handle, or zero when the
    /// name does not load) and returns the first handle with the record of what was tried. Names
    /// outside the OpenCL and CUDA drivers are left to .NET's own probing (no candidates tried).
    /// </summary>
    public static (IntPtr Handle, NativeProbe Probe) Resolve(string requested, OSPlatform os, Func<string, IntPtr> tryLoad)
    {
        var tried = new List<string>();
        foreach (var name in Candidates(requested, os))
        {
            tried.Add(name);
            var handle = tryLoad(name);
            if (handle != IntPtr.Zero) return (handle, new NativeProbe(requested, name, tried));
        }
        return (IntPtr.Zero, new NativeProbe(requested, null, tried));
    }

    static readonly object Gate = new();
    static bool registered;
    static readonly Dictionary<string, string> Seen = [];   // what was last reported per name: report changes only

    /// <summary>Where each resolution is reported (debug level in the app); null: nowhere.</summary>
    public static Action<string>? Debug { get; set; }

    /// <summary>Installs the resolver on ILGPU's assembly, once per process.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered) return;
            registered = true;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, ResolveImport);
            }
            catch (InvalidOperationException)
            {
                // Someone else (a host application) already installed a resolver; theirs wins.
                Debug?.Invoke("native libraries: ILGPU already has a DllImport resolver; leaving it in place");
            }
        }
    }

    static IntPtr ResolveImport(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (Candidates(name, CurrentOs).Count == 1) return IntPtr.Zero;   // not ours: .NET's default probing
        var (handle, probe) = Resolve(name, CurrentOs, n => NativeLibrary.TryLoad(n, assembly, searchPath, out var h) ? h : IntPtr.Zero);
        lock (Gate)
        {
            if (Seen.TryGetValue(name, out var old) && old == probe.Describe()) return handle;
            Seen[name] = probe.Describe();
        }
        Debug?.Invoke($"native libraries: {probe.Describe()}");
        return handle;
    }

    /// <summary>
    /// Resolves a backend's driver library now, as ILGPU would (for `devices`). The handle stays
    /// loaded (the library is in use or about to be); zero when none of the names loaded.
    /// </summary>
    public static (IntPtr Handle, NativeProbe Probe) Probe(string backend)
    {
        Register();
        var assembly = typeof(ILGPU.Context).Assembly;
        return Resolve(ImportName(backend), CurrentOs, n => NativeLibrary.TryLoad(n, assembly, null, out var h) ? h : IntPtr.Zero);
    }

    static OSPlatform CurrentOs =>
        OperatingSystem.IsWindows() ? OSPlatform.Windows : OperatingSystem.IsMacOS() ? OSPlatform.OSX : OSPlatform.Linux;
}
