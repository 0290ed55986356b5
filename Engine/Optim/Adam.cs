using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Optim;

/// <summary>
/// torch.optim.Adam over a model's flat parameter buffer: its m and v are two more flat buffers of
/// the same layout, allocated here, and a step is one kernel launch.
/// </summary>
public sealed class Adam : IDisposable
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
    public IEnumerable<NamedArray> State(string prefix)
    {
        yield return new NamedArray(prefix + "step", [], Longs: [StepCount]);
        foreach (var s in model.ParameterSlots)
        {
            yield return new NamedArray($"{prefix}{s.Name}.exp_avg", s.Shape, Floats: Tensor.Whole(mBuffer).Slice(s.Offset, s.Length).ToArray());
            yield return new NamedArray($"{prefix}{s.Name}.exp_avg_sq", s.Shape, Floats: Tensor.Whole(vBuffer).Slice(s.Offset, s.Length).ToArray());
        }
    }

    public void LoadState(IReadOnlyDictionary<string, NamedArray> state, string prefix, string source)
    {
        if (!state.TryGetValue(prefix + "step", out var step) || step.Longs is not { Length: 1 })
            throw new GanException($"{source}: missing {prefix}step");
        StepCount = step.Longs[0];
        foreach (var s in model.ParameterSlots)
        {
            foreach (var (suffix, buf) in new[] { (".exp_avg", mBuffer), (".exp_avg_sq", vBuffer) })
            {
                if (!state.TryGetValue(prefix + s.Name + suffix, out var t) || t.Floats is null || t.Floats.Length != s.Length)
                    throw new GanException($"{source}: missing or mis-shaped {prefix}{s.Name}{suffix}");
                Tensor.Whole(buf).Slice(s.Offset, s.Length).CopyFrom(t.Floats);
            }
        }
    }

    public void Dispose()
    {
        mBuffer.Dispose();
        vBuffer.Dispose();
    }
}
