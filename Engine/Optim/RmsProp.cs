using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// torch.optim.RMSprop (centered=False, momentum=0) over a model's flat parameter buffer: its
/// square_avg is one more flat buffer of the same layout, allocated here; a step is one launch.
/// </summary>
public sealed class RmsProp : IOptimizer
{
    readonly IBackend backend;
    readonly Sequential model;
    readonly DeviceBuffer<float> squareAvg;

    /// <summary>Defaults are torch's (lr 0.01, α 0.99, eps 1e-8).</summary>
    public RmsProp(IBackend backend, Sequential model, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0)
    {
        this.backend = backend;
        this.model = model;
        Lr = lr; Alpha = alpha; Eps = eps; WeightDecay = weightDecay;
        squareAvg = backend.Allocate<float>(model.ParameterCount);
    }

    public string Name => "rmsprop";

    /// <summary>Learning rate; settable for schedules.</summary>
    public double Lr { get; set; }
    /// <summary>Smoothing constant of the squared-gradient average.</summary>
    public double Alpha { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far (torch's state["step"]; RMSprop's update does not depend on it).</summary>
    public long StepCount { get; private set; }

    public void Step()
    {
        StepCount++;
        backend.RmsProp(model.Parameters, model.Gradients, Tensor.Whole(squareAvg), RmsPropScalars.For(Lr, Alpha, Eps, WeightDecay));
    }

    /// <summary>square_avg per parameter, named "&lt;prefix&gt;&lt;param&gt;.square_avg", plus the step.</summary>
    public IEnumerable<NamedArray> State(string prefix) =>
        OptimizerState.Save(model, prefix, StepCount, (".square_avg", squareAvg));

    public void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source) =>
        StepCount = OptimizerState.Load(state, model, prefix, source, Name, (".square_avg", squareAvg));

    public IReadOnlyList<Tensor> StateTensors => [Tensor.Whole(squareAvg)];

    public void Dispose() => squareAvg.Dispose();
}
