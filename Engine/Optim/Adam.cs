using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// torch.optim.Adam over a model's flat parameter buffer: its m and v are two more flat buffers of
/// the same layout, allocated here, and a step is one op (two launches on ILGPU). The step count
/// and the scalars that depend on it live on the device (<see cref="AdamSchedule"/>); the host
/// keeps its own count for checkpoints.
/// </summary>
public sealed class Adam : IOptimizer
{
    readonly IBackend backend;
    readonly Sequential model;
    readonly DeviceBuffer<float> mBuffer, vBuffer;
    readonly AdamSchedule schedule;
    readonly AdamScalars scalars;

    public Adam(IBackend backend, Sequential model, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        this.backend = backend;
        this.model = model;
        Lr = lr; Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        scalars = AdamScalars.For(beta1, beta2, eps, weightDecay);
        mBuffer = backend.Allocate<float>(model.ParameterCount);
        try
        {
            vBuffer = backend.Allocate<float>(model.ParameterCount);
            schedule = new AdamSchedule(backend, lr, beta1, beta2);
        }
        catch
        {
            mBuffer.Dispose();
            vBuffer?.Dispose();
            throw;
        }
    }

    public string Name => "adam";

    /// <summary>Learning rate; settable for schedules (the next step rewrites the device's table: a host copy).</summary>
    public double Lr { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far (torch's state["step"]).</summary>
    public long StepCount { get; private set; }

    public void Step()
    {
        if (Lr != schedule.Lr) schedule.Write(Lr);
        StepCount++;
        backend.Adam(model.Parameters, model.Gradients, Tensor.Whole(mBuffer), Tensor.Whole(vBuffer), scalars, schedule.Schedule);
    }

    /// <summary>exp_avg and exp_avg_sq per parameter, named "&lt;prefix&gt;&lt;param&gt;.exp_avg", plus the step.</summary>
    public IEnumerable<NamedArray> State(string prefix) =>
        OptimizerState.Save(model, prefix, StepCount, (".exp_avg", mBuffer), (".exp_avg_sq", vBuffer));

    public void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source)
    {
        StepCount = OptimizerState.Load(state, model, prefix, source, Name, (".exp_avg", mBuffer), (".exp_avg_sq", vBuffer));
        schedule.SetStep(StepCount);
    }

    public IReadOnlyList<Tensor> StateTensors => [Tensor.Whole(mBuffer), Tensor.Whole(vBuffer)];

    public void Dispose()
    {
        mBuffer.Dispose();
        vBuffer.Dispose();
        schedule.Dispose();
    }
}
