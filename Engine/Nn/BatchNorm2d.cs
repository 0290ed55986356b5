using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// torch.nn.BatchNorm2d on NCHW rows: per-channel batch statistics over N·H·W in training (which
/// also move the running statistics: momentum 0.1, unbiased running variance), running statistics
/// in eval. Initialisation as pytorch/examples dcgan: γ N(1, 0.02), β 0; running mean 0, var 1.
/// num_batches_tracked is counted on the host (it only matters for the state_dict).
/// The activation that follows it in a <see cref="Sequential"/> is fused into it
/// (<see cref="FusedActivation"/>, as Linear's): it keeps its index and has no state, so the
/// state_dict names do not change.
/// </summary>
public sealed class BatchNorm2d : Layer, ITracksBatches
{
    readonly Slot weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink;
    readonly Slot? dxSink;
    readonly float eps, momentum;
    readonly int channels, plane;

    /// <param name="maxBatch">The model's largest batch: sizes the dx scratch a first layer needs.</param>
    public BatchNorm2d(int index, int channels, int plane, float eps, float momentum, Func<int, double> uniform01, int maxBatch)
        : base(channels * plane, channels * plane)
    {
        Index = index;
        this.channels = channels;
        this.plane = plane;
        this.eps = eps;
        this.momentum = momentum;
        weight = new($"{index}.weight", [channels], SlotKind.Parameter, i => InitDraws.Normal(uniform01, i, 1.0, 0.02));
        bias = new($"{index}.bias", [channels], SlotKind.Parameter);
        runningMean = new($"{index}.running_mean", [channels], SlotKind.Buffer);
        runningVar = new($"{index}.running_var", [channels], SlotKind.Buffer, _ => 1f);
        saveMean = new($"{index}.save_mean", [channels], SlotKind.Scratch);
        saveInvStd = new($"{index}.save_invstd", [channels], SlotKind.Scratch);
        gradSink = new($"{index}.grad_sink", [2 * channels], SlotKind.Scratch);
        // The backward writes dx with dγ, dβ, and dx may not overlap dy: as a model's first layer
        // (no dx wanted) it needs somewhere to put it.
        if (index == 0) dxSink = new($"{index}.dx_sink", [maxBatch * channels * plane], SlotKind.Scratch);
    }

    /// <summary>The following activation, applied by the BN ops themselves (Identity: none).</summary>
    public Act FusedActivation { get; internal set; }

    public override Act OutputActivation => FusedActivation;

    public long NumBatchesTracked { get; set; }

    public string NumBatchesTrackedName => $"{Index}.num_batches_tracked";

    BatchNormState State => new(weight.Value, bias.Value, runningMean.Value, runningVar.Value, momentum, eps);

    BatchNorm2dShape Shape(int n, Act act) => new(n, channels, plane, act);

    public override IReadOnlyList<Slot> Slots => dxSink is null
        ? [weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink]
        : [weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink, dxSink];

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training)
    {
        if (training)
        {
            if (n * plane < 2) throw new InvalidSettingException("batch", "must be at least 2: BatchNorm2d needs more than one value per channel in training mode", $"{n}");
            b.BatchNorm2dTrain(x, y, State, new(saveMean.Value, saveInvStd.Value), Shape(n, FusedActivation));
            NumBatchesTracked++;
        }
        else b.BatchNorm2dEval(x, y, State, Shape(n, FusedActivation));
    }

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate) =>
        Backward(b, x, y, dy, dx, n, paramGrads, accumulate, default);

    /// <summary>
    /// dy is dL/d(the fused activation's output), so the BN backward applies its derivative (from y),
    /// unless the layer above already did (fusion.DyIsPreActivation).
    /// </summary>
    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate, ActivationFusion fusion)
    {
        if (!paramGrads && dx is null) return;
        var target = dx ?? dxSink!.Value.Slice(0, n * channels * plane);
        var (dgamma, dbeta) = paramGrads
            ? (weight.Grad, bias.Grad)
            : (gradSink.Value.Slice(0, channels), gradSink.Value.Slice(channels, channels));
        b.BatchNorm2dBackward(x, dy, State, new(saveMean.Value, saveInvStd.Value, y),
            new(target, dgamma, dbeta, accumulate && paramGrads), Shape(n, fusion.DyIsPreActivation ? Act.Identity : FusedActivation));
    }
}
