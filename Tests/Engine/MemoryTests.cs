using System.Reflection;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>Forwards every backend call and counts allocations.</summary>
public class CountingBackend : DispatchProxy
{
    public IBackend Inner { get; set; } = null!;
    public int Allocations { get; set; }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IBackend.Allocate)) Allocations++;
        try { return method.Invoke(Inner, args); }
        catch (TargetInvocationException e) { throw e.InnerException!; }
    }

    public static (IBackend Backend, CountingBackend Counter) Wrap(IBackend inner)
    {
        var proxy = DispatchProxy.Create<IBackend, CountingBackend>();
        var counter = (CountingBackend)(object)proxy;
        counter.Inner = inner;
        return (proxy, counter);
    }
}

public sealed class MemoryTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public void A_training_step_allocates_no_device_memory()
    {
        var (backend, counter) = CountingBackend.Wrap(fixture.Backend);
        var pixels = new byte[16 * 784];
        new Random(1).NextBytes(pixels);
        using var trainer = new GanTrainer(backend, new GanConfig { Batch = 4 }, pixels, 16, 784);
        int afterBuild = counter.Allocations;
        Assert.True(afterBuild > 0);
        for (int i = 0; i < 5; i++) trainer.TrainStep();   // crosses an epoch boundary (4 batches)
        trainer.ReadStats();
        trainer.SampleFixedGrid();
        Assert.Equal(afterBuild, counter.Allocations);
        Assert.Equal(1, trainer.Epoch);
    }

    [Fact]
    public void Running_out_of_device_memory_is_a_clear_error()
    {
        var e = Assert.Throws<DeviceMemoryException>(() => fixture.Backend.Allocate<float>(1L << 40));
        Assert.Equal(4L << 40, e.Bytes);   // what was asked for, for the app's message
        Assert.StartsWith("out of memory: could not allocate 4194304.0 MiB on ", e.Message);
    }
}

/// <summary>
/// With the GPU planner a small batch splits the seed GAN's GEMMs along K. The split-K workspace is
/// sized as each shape's plan enters the backend's cache, during the first step; after that, steps
/// allocate nothing, through <see cref="IBackend.Allocate{T}"/> or inside the backend, and never
/// wait for the backend's stream (<see cref="IlgpuBackend.Activity"/>; see also StepStreamTests). (About 10 s
/// a step on the simulator, so two steps.)
/// </summary>
public sealed class SplitKMemoryTests(SimulatorGpuTilesFixture fixture) : IClassFixture<SimulatorGpuTilesFixture>
{
    [Fact]
    public void Split_K_workspace_is_allocated_in_the_first_step_only()
    {
        var ilgpu = (IlgpuBackend)fixture.Backend;
        var (backend, counter) = CountingBackend.Wrap(ilgpu);
        var pixels = new byte[16 * 784];
        new Random(2).NextBytes(pixels);
        using var trainer = new GanTrainer(backend, new GanConfig { Batch = 4 }, pixels, 16, 784);
        trainer.TrainStep();
        int allocations = counter.Allocations, workspaces = ilgpu.WorkspaceAllocations, shapes = ilgpu.Plans.Count;
        var activity = ilgpu.Activity;
        Assert.True(ilgpu.Plans.TryGetValue(new GemmProblem(4, 512, 784, false, true), out var plan) && plan.SplitK > 1,
            "the first D layer's forward should be planned, and split, at batch 4");
        Assert.True(ilgpu.WorkspaceFloats > 0);
        trainer.TrainStep();
        Assert.Equal(allocations, counter.Allocations);
        Assert.Equal(workspaces, ilgpu.WorkspaceAllocations);
        Assert.Equal(shapes, ilgpu.Plans.Count);
        // Nor does the second step free, wait for the stream (growing the workspace does) or copy.
        Assert.Equal(default, ilgpu.Activity - activity);
    }
}
