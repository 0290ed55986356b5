using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// torch.optim.SGD (dampening 0, nesterov False) over a model's flat parameter buffer, with its
/// momentum_buffer as one more flat buffer of the same layout, allocated here; a step is one
/// launch. The buffer starts at zero, which makes torch's first step (buf = g) the general one.
/// </summary>
public sealed class Sgd : IOptimizer
{
    readonly IBackend backend;
    readonly Sequential model;
    readonly DeviceBuffer<float> momentumBuffer;

    /// <summary>Defaults are torch's (lr 1e-3, no momentum, no weight decay).</summary>
    public Sgd(IBackend backend, Sequential model, double lr = 1e-3, double momentum = 0, double weightDecay = 0)
    {
        this.backend = backend;
        this.model = model;
        Lr = lr; Momentum = momentum; WeightDecay = weightDecay;
        // Allocated even for μ = 0 (where torch keeps none) so that the state always has the same
        // tensors; the kernel leaves it at zero then.
        momentumBuffer = backend.Allocate<float>(model.ParameterCount);
    }

    public string Name => "sgd";

    /// <summary>Learning rate; settable for schedules.</summary>
    public double Lr { get; set; }
    public double Momentum { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far (torch's SGD keeps no step; saved for the checkpoint's bookkeeping).</summary>
    public long StepCount { get; private set; }

    public void Step()
    {
        StepCount++;
        backend.Sgd(model.Parameters, model.Gradients, Tensor.Whole(momentumBuffer), SgdScalars.For(Lr, Momentum, WeightDecay));
    }

    /// <summary>momentum_buffer per parameter, named "&lt;prefix&gt;&lt;param&gt;.momentum_buffer", plus the step.</summary>
    public IEnumerable<NamedArray> State(string prefix) =>
        OptimizerState.Save(model, prefix, StepCount, (".momentum_buffer", momentumBuffer));

    public void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source) =>
        StepCount = OptimizerState.Load(state, model, prefix, source, Name, (".momentum_buffer", momentumBuffer));

    public IReadOnlyList<Tensor> StateTensors => [Tensor.Whole(momentumBuffer)];

    public void Dispose() => momentumBuffer.Dispose();
}
