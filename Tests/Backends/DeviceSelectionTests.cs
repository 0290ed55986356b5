using System.Runtime.InteropServices;
using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Tests.Backends;

/// <summary>
/// How the app finds the GPU drivers (the names tried, in order) and what --device auto picks, with
/// fake loaders and device lists, so no GPU or driver is needed.
/// </summary>
public sealed class DeviceSelectionTests
{
    /// <summary>A loader that only knows <paramref name="present"/>, recording every name asked for.</summary>
    static Func<string, IntPtr> Loader(List<string> asked, params string[] present) => name =>
    {
        asked.Add(name);
        return present.Contains(name) ? (IntPtr)0x1234 : IntPtr.Zero;
    };

    [Theory]
    [InlineData("OpenCL", "libOpenCL.so.1")]   // Debian/Ubuntu without ocl-icd-opencl-dev
    [InlineData("cuda", "libcuda.so.1")]       // the NVIDIA driver without the CUDA toolkit's symlink
    public void Linux_falls_back_to_the_versioned_soname(string requested, string versioned)
    {
        var asked = new List<string>();
        var (handle, probe) = NativeLibraries.Resolve(requested, OSPlatform.Linux, Loader(asked, versioned));
        Assert.NotEqual(IntPtr.Zero, handle);
        Assert.Equal(versioned, probe.Loaded);
        Assert.Equal([requested, versioned], asked);
        Assert.Equal([requested, versioned], probe.Tried);
    }

    [Fact]
    public void The_name_ILGPU_asks_for_wins_when_it_loads()
    {
        var asked = new List<string>();
        var (_, probe) = NativeLibraries.Resolve("OpenCL", OSPlatform.Linux, Loader(asked, "OpenCL", "libOpenCL.so.1"));
        Assert.Equal("OpenCL", probe.Loaded);
        Assert.Equal(["OpenCL"], asked);
    }

    [Fact]
    public void Nothing_loads_gives_zero_and_every_name_tried()
    {
        var asked = new List<string>();
        var (handle, probe) = NativeLibraries.Resolve("OpenCL", OSPlatform.Linux, Loader(asked));
        Assert.Equal(IntPtr.Zero, handle);
        Assert.False(probe.Found);
        Assert.Equal(["OpenCL", "libOpenCL.so.1"], probe.Tried);
        Assert.Contains("libOpenCL.so.1", probe.Describe());
        Assert.Contains("not found", probe.Describe());
    }

    [Theory]
    [InlineData("opencl", "Windows", "OpenCL.dll")]
    [InlineData("nvcuda", "Windows", "nvcuda.dll")]
    [InlineData("OpenCL", "OSX", "/System/Library/Frameworks/OpenCL.framework/OpenCL")]
    [InlineData("cuda", "OSX", "libcuda.dylib")]
    public void Other_systems_try_their_own_names(string requested, string os, string expected)
    {
        var candidates = NativeLibraries.Candidates(requested, OSPlatform.Create(os.ToUpperInvariant()));
        Assert.Equal(requested, candidates[0]);
        Assert.Contains(expected, candidates);
    }

    [Fact]
    public void Other_libraries_are_left_to_dotnets_own_probing()
    {
        Assert.Equal(["libnvvm"], NativeLibraries.Candidates("libnvvm", OSPlatform.Linux));
        Assert.Equal(["libOpenCL.so.1"], NativeLibraries.Candidates("libOpenCL.so.1", OSPlatform.Linux));
    }

    static readonly DeviceEntry Cpu = new("cpu", "cpu", "managed", 1L << 34, false);
    static readonly DeviceEntry PoCl = new("opencl:0", "opencl", "cpu-skylake-avx512", 1L << 33, false);
    static readonly DeviceEntry ClGpu = new("opencl:1", "opencl", "gfx1100", 1L << 34, true);
    static readonly DeviceEntry Cuda = new("cuda:0", "cuda", "H100", 1L << 36, true);
    static readonly DeviceEntry Sim = new("ilgpu-cpu", "ilgpu-cpu", "simulator", long.MaxValue, false);

    [Fact]
    public void Auto_never_picks_an_opencl_cpu_device_and_says_why()
    {
        var (pick, reason) = DeviceCatalog.ChooseAuto([Cpu, PoCl, Sim]);
        Assert.Equal("cpu", pick.Id);
        Assert.Contains("opencl:0", reason);
    }

    [Fact]
    public void Auto_prefers_an_opencl_gpu_over_the_cpu_and_cuda_over_both()
    {
        Assert.Equal("opencl:1", DeviceCatalog.ChooseAuto([Cpu, PoCl, ClGpu, Sim]).Entry.Id);
        Assert.Equal("cuda:0", DeviceCatalog.ChooseAuto([Cpu, PoCl, ClGpu, Cuda, Sim]).Entry.Id);
    }

    [Fact]
    public void Auto_without_any_gpu_runs_the_managed_backend()
    {
        var (pick, reason) = DeviceCatalog.ChooseAuto([Cpu, Sim]);
        Assert.Equal("cpu", pick.Id);
        Assert.DoesNotContain("opencl", reason);
    }

    [Fact]
    public void Devices_explains_each_gpu_backend_on_this_machine()
    {
        // Whatever the machine has, each backend gets one line that names its state.
        var lines = DeviceDiagnostics.Explain(DeviceCatalog.List());
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("cuda: ", lines[0]);
        Assert.StartsWith("opencl: ", lines[1]);
        Assert.All(lines, l => Assert.Matches("not found|loaded|device|platform", l));
    }
}
