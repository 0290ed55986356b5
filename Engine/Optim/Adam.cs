using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// torch.optim.Adam over a model's flat parameter buffer: its m and v are two more flat buffers of
/// the same layout, allocated here, and a step is one kernel launch.
/// </summary>
public sealed class Adam : IOptimizer
{
    readonly IBackend backend;
    readonly Sequential model;
    readonly DeviceBuffer<float> mBuffer, vBuffer;

    public Adam(IBackend backend, Sequential model, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        this.backend = backend;
        this.model = model;
        Lr = lr; Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        mBuffer = backend.Allocate<float>(model.ParameterCount);
        try { vBuffer = backend.Allocate<float>(model.ParameterCount); }
        catch { mBuffer.Dispose(); throw; }
    }

    public string Name => "adam";

    /// <summary>Learning rate; settable for schedules.</summary>
    public double Lr { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far (torch's state["step"]).</summary>
    public long StepCount { get; private set; }

    public void Step()
    {
        StepCount++;
        backend.Adam(model.Parameters, model.Gradients, Tensor.Whole(mBuffer), Tensor.Whole(vBuffer),
            AdamScalars.For(Lr, Beta1, Beta2, Eps, WeightDecay, StepCount));
    }

    /// <summary>exp_avg and exp_avg_sq per parameter, named "&lt;prefix&gt;&lt;param&gt;.exp_avg", plus the step.</summary>
    public IEnumerable<NamedArray> State(string prefix) =>
        OptimizerState.Save(model, prefix, StepCount, (".exp_avg", mBuffer), (".exp_avg_sq", vBuffer));

    public void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source) =>
        StepCount = OptimizerState.Load(state, model, prefix, source, Name, (".exp_avg", mBuffer), (".exp_avg_sq", vBuffer));

    public IReadOnlyList<Tensor> StateTensors => [Tensor.Whole(mBuffer), Tensor.Whole(vBuffer)];

    public void Dispose()
    {
        mBuffer.Dispose();
        vBuffer.Dispose();
    }
}
