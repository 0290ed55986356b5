using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>Forwards every backend call and, while <see cref="Calls"/> is set, records it with its arguments.</summary>
public class RecordingBackend : DispatchProxy
{
    public IBackend Inner { get; set; } = null!;
    public List<(string Op, object?[] Args)>? Calls { get; set; }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        Calls?.Add((method!.Name, (object?[])(args ?? []).Clone()));
        try { return method!.Invoke(Inner, args); }
        catch (TargetInvocationException e) { throw e.InnerException!; }
    }

    public static (IBackend Backend, RecordingBackend Recorder) Wrap(IBackend inner)
    {
        var proxy = DispatchProxy.Create<IBackend, RecordingBackend>();
        var recorder = (RecordingBackend)(object)proxy;
        recorder.Inner = inner;
        return (proxy, recorder);
    }
}

/// <summary>
/// What replaying a captured step needs of the trainer: a CUDA graph freezes every kernel argument,
/// so every op of a warm step must be issued with exactly the arguments of the step before (the
/// same tensors, the same scalars); what moves (Adam's step, RNG and batch offsets) is read from
/// device memory. Checked on the cpu backend, which sees the same op calls as every other.
/// </summary>
public sealed class StepArgumentsTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    public static TheoryData<string> Configs => ["bce", "wgan-gp", "wgan-rmsprop", "hinge-sgd-dsteps2", "conditional", "pack2", "dcgan-conditional-pack2"];

    static GanConfig Config(string name) => name switch
    {
        "bce" => new() { Batch = 4, Latent = 8 },
        "wgan-gp" => new() { Batch = 4, Latent = 8, Loss = GanLoss.WganGp },
        "wgan-rmsprop" => new() { Batch = 4, Latent = 8, Loss = GanLoss.Wgan, Optimizer = OptimizerKind.Rmsprop, Lr = 5e-5 },
        "hinge-sgd-dsteps2" => new() { Batch = 4, Latent = 8, Loss = GanLoss.Hinge, Optimizer = OptimizerKind.Sgd, DSteps = 2 },
        "conditional" => new() { Batch = 4, Latent = 8, Conditional = true, Classes = 3 },
        "pack2" => new() { Batch = 4, Latent = 8, Pack = 2 },
        "dcgan-conditional-pack2" => new() { Model = IlgpuGan.Engine.Nn.ModelKind.Dcgan, Batch = 4, Latent = 8, Conditional = true, Classes = 3, Pack = 2 },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Every_step_issues_the_same_ops_with_the_same_arguments(string name)
    {
        var (backend, recorder) = RecordingBackend.Wrap(fixture.Backend);
        const int images = 24;   // 6 batches of 4 an epoch: the steps below cross an epoch boundary
        var pixels = new byte[images * 784];
        new Random(3).NextBytes(pixels);
        var classes = Enumerable.Range(0, images).Select(i => (byte)(i % 3)).ToArray();
        var config = Config(name);
        using var trainer = new GanTrainer(backend, config, pixels, images, 784, config.Conditional ? classes : null);
        trainer.TrainStep();   // warm-up
        var steps = new List<List<(string Op, object?[] Args)>>();
        for (int i = 0; i < 8 / config.DSteps; i++)
        {
            recorder.Calls = [];
            trainer.TrainStep();
            steps.Add(recorder.Calls);
        }
        recorder.Calls = null;
        Assert.True(trainer.Epoch >= 1, "the steps should cross an epoch boundary");
        var first = steps[0];
        Assert.Contains(first, c => c.Op == nameof(IBackend.Increment));
        for (int s = 1; s < steps.Count; s++)
        {
            var next = steps[s];
            Assert.Equal(first.Select(c => c.Op), next.Select(c => c.Op));
            for (int i = 0; i < first.Count; i++)
                if (!first[i].Args.SequenceEqual(next[i].Args))
                    Assert.Fail($"step {s + 2}, op {i} ({first[i].Op}): arguments ({string.Join(", ", next[i].Args)}) differ from step 2's ({string.Join(", ", first[i].Args)})");
        }
    }
}

/// <summary>
/// A warm training step on an ILGPU backend runs on the backend's one stream and nowhere else: no
/// allocation or free, no wait for the device, no host copy, and every buffer stays where it was.
/// The checks a CUDA graph capture needs that a machine without a GPU can run (on the simulator and
/// OpenCL; CUDA when present). Tests written once, run per backend.
/// </summary>
public abstract class StepStreamTests(BackendFixture fixture)
{
    IlgpuBackend Backend => fixture.Backend as IlgpuBackend
        ?? throw new InvalidOperationException("these tests are for ILGPU backends");

    [Fact]
    public void Every_launcher_takes_a_stream_and_the_backend_issues_on_its_own()
    {
        var backend = Backend;
        Assert.NotSame(backend.Accelerator.DefaultStream, backend.Stream);
        // Every kernel launcher the engine holds, in the backend or in any helper class of it.
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var launchers = typeof(IlgpuBackend).Assembly.GetTypes().SelectMany(t => t.GetFields(all))
            .Where(f => typeof(Delegate).IsAssignableFrom(f.FieldType) && f.FieldType.GetGenericArguments().Contains(typeof(KernelConfig)))
            .ToList();
        Assert.True(launchers.Count(f => f.DeclaringType == typeof(IlgpuBackend)) > 20, $"only {launchers.Count} launcher fields found");
        // A launcher without a stream parameter (LoadStreamKernel's) launches on the default stream,
        // which is not ordered with the backend's non-blocking stream and cannot be captured.
        Assert.All(launchers, f => Assert.True(f.FieldType.GetGenericArguments()[0] == typeof(AcceleratorStream),
            $"{f.DeclaringType!.Name}.{f.Name} launches without a stream, so on the default stream"));
    }

    [Fact]
    public void A_warm_step_allocates_waits_and_copies_nothing_and_keeps_its_buffers()
    {
        var backend = Backend;
        const int images = 16;   // 4 batches of 4 an epoch
        var pixels = new byte[images * 784];
        new Random(4).NextBytes(pixels);
        using var trainer = new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 16 }, pixels, images, 784);
        trainer.TrainStep();   // warm-up: GEMM plans, workspace
        var before = backend.Activity;
        var buffers = backend.LiveBuffers.ToHashSet();
        trainer.TrainStep();
        trainer.TrainStep();
        Assert.Equal(default, backend.Activity - before);
        Assert.True(buffers.SetEquals(backend.LiveBuffers), "a step moved, freed or added a device buffer");

        // Reading the losses is a host copy, and the counters see it.
        trainer.ReadStats();
        Assert.Equal(new StreamActivity(0, 0, 1, 1), backend.Activity - before);

        // The epoch boundary uploads the next epoch's order and the device's batch counter, and
        // does nothing else: a captured graph would be launched after that upload, outside it.
        trainer.TrainStep();
        before = backend.Activity;
        trainer.TrainStep();
        Assert.Equal(1, trainer.Epoch);
        Assert.Equal(new StreamActivity(0, 0, 2, 2), backend.Activity - before);
        Assert.True(buffers.SetEquals(backend.LiveBuffers));
    }
}

public sealed class SimulatorStepStreamTests(SimulatorFixture f) : StepStreamTests(f), IClassFixture<SimulatorFixture>;

public sealed class OpenClStepStreamTests(OpenClFixture f) : StepStreamTests(f), IClassFixture<OpenClFixture>;

public sealed class CudaStepStreamTests(CudaFixture f) : StepStreamTests(f), IClassFixture<CudaFixture>;
