using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// torch.nn.BatchNorm1d: batch statistics in training (which also move the running statistics),
/// running statistics in eval. num_batches_tracked is counted on the host, as it only matters for
/// the state_dict.
/// </summary>
public sealed class BatchNorm1d : Layer, ITracksBatches
{
    readonly Slot weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink;
    readonly float eps, momentum;

    public BatchNorm1d(int index, int features, float eps, float momentum) : base(features, features)
    {
        Index = index;
        this.eps = eps;
        this.momentum = momentum;
        weight = new($"{index}.weight", [features], SlotKind.Parameter, _ => 1f);
        bias = new($"{index}.bias", [features], SlotKind.Parameter);
        runningMean = new($"{index}.running_mean", [features], SlotKind.Buffer);
        runningVar = new($"{index}.running_var", [features], SlotKind.Buffer, _ => 1f);
        saveMean = new($"{index}.save_mean", [features], SlotKind.Scratch);
        saveInvStd = new($"{index}.save_invstd", [features], SlotKind.Scratch);
        gradSink = new($"{index}.grad_sink", [2 * features], SlotKind.Scratch);
    }

    public long NumBatchesTracked { get; set; }

    public string NumBatchesTrackedName => $"{Index}.num_batches_tracked";

    /// <summary>The parameters and running statistics as the backend's BatchNorm ops take them (valid once the model has bound the slots).</summary>
    BatchNormState State => new(weight.Value, bias.Value, runningMean.Value, runningVar.Value, momentum, eps);

    public override IReadOnlyList<Slot> Slots => [weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink];

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training)
    {
        if (training)
        {
            if (n < 2) throw new InvalidSettingException("batch", "must be at least 2: BatchNorm1d needs more than one sample per batch in training mode", $"{n}");
            b.BatchNormTrain(x, y, State, new(saveMean.Value, saveInvStd.Value), new(n, OutFeatures));
            NumBatchesTracked++;
        }
        else
        {
            b.BatchNormEval(x, y, State, new(n, OutFeatures));
        }
    }

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate)
    {
        if (!paramGrads && dx is null) return;
        // The kernel produces dx together with dγ and dβ. Without a dx target it writes dx over dy
        // (free to overwrite here); without parameter gradients it writes dγ, dβ to a sink.
        var target = dx ?? dy;
        var (dgamma, dbeta) = paramGrads
            ? (weight.Grad, bias.Grad)
            : (gradSink.Value.Slice(0, OutFeatures), gradSink.Value.Slice(OutFeatures, OutFeatures));
        b.BatchNormBackward(x, dy, State, new(saveMean.Value, saveInvStd.Value),
            new(target, dgamma, dbeta, accumulate && paramGrads), new(n, OutFeatures));
    }
}
