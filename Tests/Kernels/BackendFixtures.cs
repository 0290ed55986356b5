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
/// The simulator with GPU-sized groups running the GPU GEMM tiling, so the exact tile geometry
/// CUDA uses is exercised without a GPU.
/// </summary>
public sealed class SimulatorGpuTilesFixture : BackendFixture
{
    protected override IBackend Open() =>
        DeviceCatalog.Open("ilgpu-cpu", simulator: DeviceCatalog.SimulatorDevice(32, 2, 1), tiles: GemmTiles.Gpu);
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
