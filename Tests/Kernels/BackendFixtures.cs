using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// One backend per test class, opened once (kernel compilation dominates). A fixture whose device
/// is absent holds the reason, and every test on it skips with that reason.
/// </summary>
public abstract class BackendFixture : IDisposable
{
    readonly Lazy<(IBackend? Backend, string? Reason)> open;

    protected BackendFixture() => open = new(() =>
    {
        try { return (Open(), null); }
        catch (IlgpuGan.Engine.GanException e) { return (null, e.Message); }
    });

    protected abstract IBackend Open();

    public IBackend Backend
    {
        get
        {
            var (b, reason) = open.Value;
            if (b is null) Assert.Skip(reason ?? "device not available");
            return b!;
        }
    }

    public void Dispose()
    {
        if (open.IsValueCreated) open.Value.Backend?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>ILGPU's CPU accelerator with the engine's default simulator shape (16-thread groups).</summary>
public sealed class SimulatorFixture : BackendFixture
{
    protected override IBackend Open() => DeviceCatalog.Open("ilgpu-cpu");
}

/// <summary>
/// The simulator with GPU-sized groups (64 threads) running the GPU GEMM planner as it would plan
/// on an H100's 132 SMs, so the small tiles and split-K plans CUDA gets for the seed GAN's shapes
/// are exercised without a GPU. (The 256-thread tile needs <see cref="SimulatorLargeGroupsFixture"/>.)
/// </summary>
public sealed class SimulatorGpuTilesFixture : BackendFixture
{
    public static readonly GemmDevice Device = GemmDevice.H100 with { MaxThreadsPerGroup = 64 };

    protected override IBackend Open() =>
        DeviceCatalog.Open("ilgpu-cpu", simulator: DeviceCatalog.SimulatorDevice(32, 2, 1), gemmPlans: p => GemmPlanner.Choose(p, Device));
}

/// <summary>The simulator with 256-thread groups, for forced plans with the 128×128 tile.</summary>
public sealed class SimulatorLargeGroupsFixture : BackendFixture
{
    protected override IBackend Open() => DeviceCatalog.Open("ilgpu-cpu", simulator: DeviceCatalog.SimulatorDevice(32, 8, 1));
}

/// <summary>The managed SIMD CPU backend.</summary>
public sealed class CpuFixture : BackendFixture
{
    protected override IBackend Open() => DeviceCatalog.Open("cpu");
}

/// <summary>The first CUDA device; tests skip when there is none.</summary>
public sealed class CudaFixture : BackendFixture
{
    protected override IBackend Open() => DeviceCatalog.Open("cuda");
}

/// <summary>
/// The first OpenCL device ILGPU can use (a GPU, or PoCL 6 on the CPU inside tools/opencl-root.sh's
/// root, where CI runs these classes); tests skip when there is none.
/// </summary>
public sealed class OpenClFixture : BackendFixture
{
    protected override IBackend Open() => DeviceCatalog.Open("opencl");
}
