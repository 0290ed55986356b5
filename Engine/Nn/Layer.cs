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

    /// <summary>
    /// Builds what the backend needs to run this layer on n rows (a convolution's plan and
    /// workspaces); the model calls it when it is built, so no step allocates. Most layers need nothing.
    /// </summary>
    public virtual void Prepare(IBackend b, int n) { }

    public abstract void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate);

    /// <summary>
    /// The activation this layer applies to its output inside its own forward (a fused one), or
    /// Identity. The layer above may take over its derivative (<see cref="AbsorbsInputActivation"/>),
    /// so a layer that reports one must honour <see cref="ActivationFusion.DyIsPreActivation"/>.
    /// </summary>
    public virtual Act OutputActivation => Act.Identity;

    /// <summary>
    /// True when this layer's input gradient can apply, as it stores dx, the derivative of the
    /// activation that produced its input (x being that activation's output): one launch instead of
    /// two. The model then passes that activation to <see cref="Backward(IBackend, Tensor, Tensor, Tensor, Tensor?, int, bool, bool, ActivationFusion)"/>,
    /// and the layer below receives its dy already past its own activation.
    /// </summary>
    public virtual bool AbsorbsInputActivation => false;

    /// <summary>
    /// The backward with the activation fusion across layers (<see cref="ActivationFusion"/>). A
    /// layer that neither fuses an output activation nor absorbs an input one has nothing to do
    /// with it: the default is the plain backward.
    /// </summary>
    public virtual void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate, ActivationFusion fusion) =>
        Backward(b, x, y, dy, dx, n, paramGrads, accumulate);
}

/// <summary>
/// The two halves of an activation fused across two layers' backward. DyIsPreActivation: the layer
/// above already applied this layer's <see cref="Layer.OutputActivation"/> derivative, so dy holds
/// dL/d(pre-activation). Input: the activation that produced this layer's input, whose derivative
/// this layer's dx must include (Identity: none; only given to a layer that
/// <see cref="Layer.AbsorbsInputActivation"/>).
/// </summary>
public readonly record struct ActivationFusion(bool DyIsPreActivation, Act Input);

/// <summary>A BatchNorm layer's num_batches_tracked: a host counter saved in the state_dict as torch's I64 scalar.</summary>
public interface ITracksBatches
{
    long NumBatchesTracked { get; set; }
    string NumBatchesTrackedName { get; }
}
