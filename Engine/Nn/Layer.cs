using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

public enum SlotKind
{
    /// <summary>Trained: lives in the model's parameter buffer and has a gradient.</summary>
    Parameter,
    /// <summary>Saved state that is not trained (BatchNorm running statistics), as torch "buffers".</summary>
    Buffer,
    /// <summary>Per-step scratch a layer keeps between forward and backward (not saved).</summary>
    Scratch,
}

/// <summary>A named tensor a layer asks for; the model binds it to a slice of the right flat buffer.</summary>
public sealed class Slot(string name, int[] shape, SlotKind kind, Func<int, float>? init = null)
{
    public string Name { get; } = name;
    public int[] Shape { get; } = shape;
    public SlotKind Kind { get; } = kind;
    public int Length { get; } = shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Initial value of element i (host-side, before upload); zeros when null.</summary>
    public Func<int, float>? Init { get; } = init;

    public Tensor Value { get; internal set; }
    public Tensor Grad { get; internal set; }
    public long Offset { get; internal set; }
}

/// <summary>
/// One layer of a <see cref="Sequential"/>, holding its forward and backward side by side.
/// x is the layer input [n, In], y its output [n, Out]; backward receives dL/dy (which it may
/// overwrite) and writes dL/dx when dx is given.
/// </summary>
public abstract class Layer(int inFeatures, int outFeatures)
{
    public int InFeatures { get; } = inFeatures;
    public int OutFeatures { get; } = outFeatures;

    /// <summary>Position in the Sequential; prefixes state_dict names.</summary>
    public int Index { get; internal set; }

    public virtual IReadOnlyList<Slot> Slots => [];

    public abstract void Forward(IBackend b, Tensor x, Tensor y, int n, bool training);

    public abstract void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate);
}
