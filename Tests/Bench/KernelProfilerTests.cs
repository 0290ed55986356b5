using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Host.Bench;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Bench;

/// <summary>The per-kernel accounting behind `bench --profile`: names, costs, launch counts, and no allocation per launch.</summary>
public sealed class KernelProfilerTests(CpuFixture cpu) : IClassFixture<CpuFixture>
{
    [Fact]
    public void Gemm_cost_follows_the_stated_rule()
    {
        var fwd = KernelCost.Of(KernelKey.Gemm(64, 512, 784, transA: false, transB: true, accumulate: false));
        Assert.Equal("gemm 64x512x784 A·Bᵀ", fwd.Name);
        Assert.Equal(2.0 * 64 * 512 * 784, fwd.Flops);
        Assert.Equal(4.0 * (64 * 784 + 784 * 512 + 64 * 512), fwd.Bytes);
        var dw = KernelCost.Of(KernelKey.Gemm(512, 784, 64, transA: true, transB: false, accumulate: true));
        Assert.Equal("gemm 512x784x64 Aᵀ·B +=", dw.Name);
        Assert.Equal(4.0 * (512 * 64 + 64 * 784 + 2 * 512 * 784), dw.Bytes);   // C is read as well as written
    }

    [Fact]
    public void Linear_forward_cost_is_the_gemm_plus_its_epilogue()
    {
        var fwd = KernelCost.Of(KernelKey.LinearForward(64, 512, 784, Activation.LeakyReLU, bias: true));
        Assert.Equal("gemm+bias+act LeakyReLU 64x512x784 A·Bᵀ", fwd.Name);
        Assert.Equal(2.0 * 64 * 512 * 784 + 2.0 * 64 * 512, fwd.Flops);
        Assert.Equal(4.0 * (64 * 784 + 784 * 512 + 64 * 512 + 512), fwd.Bytes);   // C written once, the bias read once
        var noBias = KernelCost.Of(KernelKey.LinearForward(7, 5, 3, Activation.Tanh, bias: false));
        Assert.Equal("gemm+act Tanh 7x5x3 A·Bᵀ", noBias.Name);
        Assert.Equal(2.0 * 7 * 5 * 3 + 7 * 5, noBias.Flops);
        Assert.Equal(4.0 * (7 * 3 + 3 * 5 + 7 * 5), noBias.Bytes);
    }

    [Fact]
    public void Linear_input_grad_cost_is_the_gemm_plus_its_mask()
    {
        var dx = KernelCost.Of(KernelKey.LinearInputGrad(128, 512, 256, Activation.LeakyReLU));
        Assert.Equal("gemm+act' LeakyReLU 128x512x256 A·B", dx.Name);
        Assert.Equal(2.0 * 128 * 512 * 256 + 128 * 512, dx.Flops);
        Assert.Equal(4.0 * (128 * 256 + 256 * 512 + 2 * 128 * 512), dx.Bytes);   // dx written, the activation output read
    }

    [Fact]
    public void Adam_moves_four_reads_and_three_writes_per_parameter()
    {
        var adam = KernelCost.Of(new KernelKey(KernelOp.Adam, 549_761));
        Assert.Equal("adam 549,761", adam.Name);
        Assert.Equal(7 * 4.0 * 549_761, adam.Bytes);
    }

    [Fact]
    public void A_seed_step_launches_exactly_the_kernels_derived_from_the_model()
    {
        var profiler = new KernelProfiler(cpu.Backend);   // not disposed: the fixture owns the backend
        var result = KernelProfileBenchmark.Run(profiler, batch: 4, warmup: 1, steps: 2, TimeSpan.Zero);
        var seen = result.Kernels.ToDictionary(k => k.Name, k => (int)k.LaunchesPerStep);
        Assert.All(result.Kernels, k => Assert.Equal(Math.Floor(k.LaunchesPerStep), k.LaunchesPerStep));
        var expected = SeedStepLaunches.Expected(4);
        Assert.True(expected.Count == seen.Count && expected.All(kv => seen.GetValueOrDefault(kv.Key) == kv.Value),
            $"expected:\n{SeedStepLaunches.Format(expected)}\nprofiled:\n{SeedStepLaunches.Format(seen)}");
        // Every GEMM of the step, the forward ones with their epilogue ("gemm+bias+act …"); no separate bias+act is left.
        Assert.Equal(27, seen.Where(kv => kv.Key.StartsWith("gemm")).Sum(kv => kv.Value));
        Assert.Equal(11, seen.Where(kv => kv.Key.StartsWith("gemm+bias+act ")).Sum(kv => kv.Value));
        Assert.DoesNotContain(seen.Keys, k => k.StartsWith("bias+act "));
        // D's inner dX GEMMs apply the lower layer's LeakyReLU' (3 in each step); only the activation backward of G's layers is left.
        Assert.Equal(6, seen.Where(kv => kv.Key.StartsWith("gemm+act' ")).Sum(kv => kv.Value));
        Assert.Equal(3, seen.Where(kv => kv.Key.StartsWith("act backward ")).Sum(kv => kv.Value));   // 9 before: D's 3 in the D step and 3 in the G step are gone
        Assert.Equal(51, seen.Values.Sum());   // 50 before the step's divergence check (one launch); 49 before the device kept the step counters (one increment a D update); 66 before the forward GEMMs took their bias+act (G 3, D 4 in each step); 55 before D's dX GEMMs took the act' of the layer below (3 in each step)
        Assert.InRange(result.Kernels.Sum(k => k.Share), 0.999, 1.001);
    }

    [Fact]
    public void Every_gemm_of_the_step_at_batch_64_and_4096_is_in_the_kernels_grid()
    {
        var grid = GemmBenchmark.Shapes(large: true)
            .Select(s => KernelCost.Of(s.Key).Name).ToHashSet();
        Assert.Contains("gemm 4096x4096x4096 A·B", grid);
        foreach (int b in new[] { 64, 4096 })
        {
            // Accumulating or not, a GEMM has the same shape and form.
            var step = SeedStepLaunches.Expected(b).Keys.Where(k => k.StartsWith("gemm")).Select(k => k.Replace(" +=", "")).ToHashSet();
            Assert.Equal(27, step.Count);   // G: 3 layers × 3 forms less dL/dz; D: 4 × (forward, dW and inner dX at 2B; forward and dX at B) less its first dX at 2B
            Assert.Subset(grid, step);
        }
    }

    [Fact]
    public void The_kernels_grid_times_forwards_with_the_activation_the_model_fuses()
    {
        var shapes = GemmBenchmark.SeedStepShapes(4).ToList();
        var forwards = shapes.Where(s => s.Epilogue is not null).ToList();
        Assert.Equal(11, forwards.Count);
        Assert.All(forwards, s => Assert.Contains("fwd", s.Label));
        Assert.Equal(Activation.Tanh, forwards.Single(s => s.Label.StartsWith("G L3")).Epilogue);
        Assert.All(forwards.Where(s => s.Label.StartsWith("D L4")), s => Assert.Equal(Activation.Identity, s.Epilogue));
        var results = GemmBenchmark.Run(cpu.Backend, shapes, TimeSpan.Zero);
        Assert.All(results, r => Assert.True(r.Gflops > 0, r.Shape.Label));
    }

    [Fact]
    public void Profiling_a_launch_allocates_nothing_once_the_kernel_is_known()
    {
        var profiler = new KernelProfiler(cpu.Backend);
        var backend = profiler.Inner;
        using var buffer = backend.Allocate<float>(3 * 256 + 4 * 64);
        using var schedule = new AdamSchedule(backend, 1e-3, 0.9, 0.999);
        var t = Tensor.Whole(buffer);
        Tensor a = t.Slice(0, 256), b = t.Slice(256, 256), c = t.Slice(512, 256), p = t.Slice(768, 64), g = t.Slice(832, 64), m = t.Slice(896, 64), v = t.Slice(960, 64);
        void Launches()
        {
            backend.Fill(a, 1f);
            backend.Gemm(a, b, c, new(16, 16, 16, TransA: false, TransB: true));
            backend.Adam(p, g, m, v, AdamScalars.For(0.9, 0.999, 1e-8, 0), schedule.Schedule);
            profiler.EndStep();
        }
        long Allocated(bool enabled)
        {
            profiler.Enabled = enabled;
            Launches();   // first sight of each kernel: its name is made once
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) Launches();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long forwarded = Allocated(enabled: false), profiled = Allocated(enabled: true);
        Assert.Equal(forwarded, profiled);   // whatever the backend itself allocates, profiling adds nothing
        Assert.Equal(101, profiler.Kernels.Single(k => k.Key.Op == KernelOp.Gemm).Launches);
    }

    [Fact]
    public void An_ilgpu_backend_opened_with_profiling_is_timed_by_its_markers()
    {
        using var profiler = new KernelProfiler(DeviceCatalog.Open("ilgpu-cpu", profiling: true)) { Enabled = true };
        Assert.Contains("profiling markers", profiler.ClockDescription);
        using var buffer = profiler.Inner.Allocate<float>(1024);
        profiler.Inner.Fill(Tensor.Whole(buffer), 2f);
        profiler.EndStep();
        var fill = Assert.Single(profiler.Kernels);
        Assert.Equal(("fill 1024", 1L), (fill.Name, fill.Launches));
        Assert.True(fill.Seconds >= 0);
        Assert.Equal(2f, Tensor.Whole(buffer).ToArray()[1023]);
    }

    [Fact]
    public void Without_profiling_an_ilgpu_backend_falls_back_to_host_clocks()
    {
        using var profiler = new KernelProfiler(DeviceCatalog.Open("ilgpu-cpu"));
        Assert.Contains("host Stopwatch", profiler.ClockDescription);
    }
}
