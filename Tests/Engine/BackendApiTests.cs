using System.Reflection;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Kernels;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>The shape of the backend API itself: short signatures, one observer hook that sees every op once.</summary>
public abstract class BackendApiTests(BackendFixture fixture)
{
    sealed class Recorder : IOpObserver
    {
        public readonly List<KernelKey> Begun = [], Ended = [];
        public void Begin(in KernelKey key) => Begun.Add(key);
        public void End(in KernelKey key) => Ended.Add(key);
    }

    [Fact]
    public void The_observer_sees_each_op_once_with_its_key_not_the_ops_it_is_made_of()
    {
        var backend = (BackendBase)fixture.Backend;
        var recorder = new Recorder();
        using var buffer = backend.Allocate<float>(1024);
        var t = Tensor.Whole(buffer);
        Tensor x = t.Slice(0, 4 * 6), w = t.Slice(32, 5 * 6), bias = t.Slice(64, 5), y = t.Slice(96, 4 * 5), dx = t.Slice(128, 4 * 6);
        Tensor mean = t.Slice(160, 6), inv = t.Slice(168, 6), bn = t.Slice(176, 4 * 6), gamma = t.Slice(208, 6), beta = t.Slice(216, 6),
            runningMean = t.Slice(224, 6), runningVar = t.Slice(232, 6);
        var s = new LinearShape(Rows: 4, In: 6, Out: 5);
        var leaky = new Act(Activation.LeakyReLU, 0.2f);
        var previous = backend.Observer;
        backend.Observer = recorder;
        try
        {
            backend.LinearForward(x, w, bias, y, s, leaky);
            backend.LinearInputGrad(y, w, dx, s, x, leaky);
            backend.LinearInputGrad(y, w, dx, s, null, Act.Identity);
            backend.Gemm(y, x, w, s.WeightGrad(accumulate: true));
            backend.BatchNormTrain(x, bn, new(gamma, beta, runningMean, runningVar, 0.1f, 1e-5f), new(mean, inv), new(4, 6));
        }
        finally { backend.Observer = previous; }

        KernelKey[] expected =
        [
            KernelKey.LinearForward(4, 5, 6, Activation.LeakyReLU, bias: true),
            KernelKey.LinearInputGrad(4, 6, 5, Activation.LeakyReLU),
            KernelKey.Gemm(4, 6, 5, transA: false, transB: false, accumulate: false),   // no mask: the plain dX GEMM
            KernelKey.Gemm(5, 6, 4, transA: true, transB: false, accumulate: true),
            new(KernelOp.BatchNormTrain, 4, 6),
        ];
        Assert.Equal(expected, recorder.Begun);
        Assert.Equal(expected, recorder.Ended);
    }

    [Fact]
    public void A_disabled_kernel_profiler_leaves_the_backend_unobserved()
    {
        var backend = (BackendBase)fixture.Backend;
        var previous = backend.Observer;
        try
        {
            var profiler = new KernelProfiler(backend);   // not disposed: the fixture owns the backend
            Assert.Null(backend.Observer);
            profiler.Enabled = true;
            Assert.Same(profiler, backend.Observer);
            profiler.Enabled = false;
            Assert.Null(backend.Observer);
        }
        finally { backend.Observer = previous; }
    }
}

public sealed class CpuBackendApiTests(CpuFixture f) : BackendApiTests(f), IClassFixture<CpuFixture>;
public sealed class SimulatorBackendApiTests(SimulatorFixture f) : BackendApiTests(f), IClassFixture<SimulatorFixture>;
public sealed class CudaBackendApiTests(CudaFixture f) : BackendApiTests(f), IClassFixture<CudaFixture>;

public sealed class BackendSignatureTests
{
    [Fact]
    public void No_backend_op_takes_more_than_six_arguments()
    {
        var wide = typeof(IBackend).GetMethods().Where(m => m.GetParameters().Length > 6).Select(m => m.Name).ToList();
        Assert.Empty(wide);
    }

    [Fact]
    public void Every_public_op_of_the_base_backend_is_one_of_the_interface()
    {
        // A public method on BackendBase outside IBackend would be an op that decorators and test
        // proxies (DispatchProxy over IBackend) cannot see.
        var targets = typeof(BackendBase).GetInterfaceMap(typeof(IBackend)).TargetMethods
            .Concat(typeof(BackendBase).GetInterfaceMap(typeof(IDisposable)).TargetMethods).ToList();
        var declared = typeof(BackendBase).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName);
        Assert.All(declared, m => Assert.Contains(m, targets));
    }

    [Fact]
    public void Every_kernel_op_has_a_category_and_a_cost()
    {
        foreach (var op in Enum.GetValues<KernelOp>())
        {
            Assert.Contains(KernelKey.CategoryOf(op), KernelKey.Categories);
            var cost = KernelCost.Of(new KernelKey(op, 4, 3, 2));
            Assert.False(string.IsNullOrEmpty(cost.Name));
        }
    }
}
