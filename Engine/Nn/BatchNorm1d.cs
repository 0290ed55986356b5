using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// torch.nn.BatchNorm1d: batch statistics in training (which also move the running statistics),
/// running statistics in eval. num_batches_tracked is counted on the host, as it only matters for
/// the state_dict.
/// <para>
/// With groups G &gt; 1 (<see cref="BatchNorm1dSpec.Groups"/>), training normalises the rows of
/// each group g (rows g, g + G, g + 2G, …) by their own statistics. Seen as [n/G, G·F], the batch is
/// an ordinary BatchNorm over G·F columns whose γ and β repeat every F: so the layer tiles γ, β
/// and the running statistics G times, runs the backend's BatchNorm on that view, and folds back:
/// running ← mean over the groups of each group's moved statistics, which is
/// (1 − m)·running + m·(mean of the groups' batch statistics), the update Blocks applies when one
/// BatchNorm brick runs once per pack slot; dγ, dβ ← sums over the groups. Eval is unchanged.
/// </para>
/// </summary>
public sealed class BatchNorm1d : Layer, ITracksBatches
{
    readonly Slot weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink;
    readonly float eps, momentum;
    readonly int groups;
    // Groups > 1 only: γ, β, running mean, running var tiled G times; the groups' dγ, dβ; 1/G each.
    readonly Slot? wideWeight, wideBias, wideMean, wideVar, wideGrads, groupMean;

    public BatchNorm1d(int index, int features, float eps, float momentum, int groups = 1) : base(features, features)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), $"{groups} BatchNorm groups");
        Index = index;
        this.eps = eps;
        this.momentum = momentum;
        this.groups = groups;
        int wide = groups * features;
        weight = new($"{index}.weight", [features], SlotKind.Parameter, _ => 1f);
        bias = new($"{index}.bias", [features], SlotKind.Parameter);
        runningMean = new($"{index}.running_mean", [features], SlotKind.Buffer);
        runningVar = new($"{index}.running_var", [features], SlotKind.Buffer, _ => 1f);
        saveMean = new($"{index}.save_mean", [wide], SlotKind.Scratch);
        saveInvStd = new($"{index}.save_invstd", [wide], SlotKind.Scratch);
        gradSink = new($"{index}.grad_sink", [2 * wide], SlotKind.Scratch);
        if (groups == 1) return;
        wideWeight = new($"{index}.group_weight", [wide], SlotKind.Scratch);
        wideBias = new($"{index}.group_bias", [wide], SlotKind.Scratch);
        wideMean = new($"{index}.group_running_mean", [wide], SlotKind.Scratch);
        wideVar = new($"{index}.group_running_var", [wide], SlotKind.Scratch);
        wideGrads = new($"{index}.group_grads", [2 * wide], SlotKind.Scratch);
        groupMean = new($"{index}.group_mean", [groups], SlotKind.Scratch);
    }

    public long NumBatchesTracked { get; set; }

    public string NumBatchesTrackedName => $"{Index}.num_batches_tracked";

    public int Groups => groups;
    public Slot Weight => weight;
    public Slot Bias => bias;
    public Slot RunningMean => runningMean;
    public Slot RunningVar => runningVar;

    /// <summary>The parameters and running statistics as the backend's BatchNorm ops take them (valid once the model has bound the slots).</summary>
    BatchNormState State => new(weight.Value, bias.Value, runningMean.Value, runningVar.Value, momentum, eps);

    /// <summary>The same, tiled once per group (groups &gt; 1), for the [n/G, G·F] view.</summary>
    BatchNormState GroupState => new(wideWeight!.Value, wideBias!.Value, wideMean!.Value, wideVar!.Value, momentum, eps);

    public override IReadOnlyList<Slot> Slots => groups == 1
        ? [weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink]
        : [weight, bias, runningMean, runningVar, saveMean, saveInvStd, gradSink, wideWeight!, wideBias!, wideMean!, wideVar!, wideGrads!, groupMean!];

    /// <summary>The 1/G weights of the running statistics' mean, written once when the model is built.</summary>
    public override void Prepare(IBackend b, int n)
    {
        if (groups > 1) b.Fill(groupMean!.Value, 1f / groups);
    }

    public override void Forward(IBackend b, Tensor x, Tensor y, int n, bool training)
    {
        if (!training)
        {
            b.BatchNormEval(x, y, State, new(n, OutFeatures));
            return;
        }
        if (n % groups != 0)
            throw new InvalidSettingException("batch", $"must be a multiple of {groups}: this BatchNorm1d normalises {groups} interleaved groups of the batch apart", $"{n}");
        if (n / groups < 2)
            throw new InvalidSettingException("batch", $"must be at least {2 * groups}: BatchNorm1d needs more than one sample per batch{(groups > 1 ? " group" : "")} in training mode", $"{n}");
        if (groups == 1)
        {
            b.BatchNormTrain(x, y, State, new(saveMean.Value, saveInvStd.Value), new(n, OutFeatures));
        }
        else
        {
            Tile(b, weight.Value, wideWeight!.Value);
            Tile(b, bias.Value, wideBias!.Value);
            Tile(b, runningMean.Value, wideMean!.Value);
            Tile(b, runningVar.Value, wideVar!.Value);
            b.BatchNormTrain(x, y, GroupState, new(saveMean.Value, saveInvStd.Value), new(n / groups, groups * OutFeatures));
            // running[f] = Σ_g (1/G)·group running[g, f]: a [1, G]·[G, F] product.
            var mean = new GemmProblem(1, OutFeatures, groups, TransA: false, TransB: false);
            b.Gemm(groupMean!.Value, wideMean.Value, runningMean.Value, mean);
            b.Gemm(groupMean.Value, wideVar.Value, runningVar.Value, mean);
        }
        NumBatchesTracked++;
    }

    public override void Backward(IBackend b, Tensor x, Tensor y, Tensor dy, Tensor? dx, int n, bool paramGrads, bool accumulate)
    {
        if (!paramGrads && dx is null) return;
        // The kernel produces dx together with dγ and dβ. Without a dx target it writes dx over dy
        // (free to overwrite here); without parameter gradients it writes dγ, dβ to a sink.
        var target = dx ?? dy;
        int cols = groups * OutFeatures;
        if (groups == 1)
        {
            var (dgamma, dbeta) = paramGrads
                ? (weight.Grad, bias.Grad)
                : (gradSink.Value.Slice(0, cols), gradSink.Value.Slice(cols, cols));
            b.BatchNormBackward(x, dy, State, new(saveMean.Value, saveInvStd.Value),
                new(target, dgamma, dbeta, accumulate && paramGrads), new(n, cols));
            return;
        }
        // γ again, in case the weights moved since the forward tiled them.
        Tile(b, weight.Value, wideWeight!.Value);
        var sink = paramGrads ? wideGrads!.Value : gradSink.Value;
        var (groupDGamma, groupDBeta) = (sink.Slice(0, cols), sink.Slice(cols, cols));
        b.BatchNormBackward(x, dy, GroupState, new(saveMean.Value, saveInvStd.Value),
            new(target, groupDGamma, groupDBeta, false), new(n / groups, cols));
        if (!paramGrads) return;
        // dγ[f] (+)= Σ_g group dγ[g, f]: the column sums of a [G, F] block.
        b.BiasGrad(groupDGamma, weight.Grad, new(groups, OutFeatures), accumulate);
        b.BiasGrad(groupDBeta, bias.Grad, new(groups, OutFeatures), accumulate);
    }

    /// <summary>dst [G, F] = G copies of src [F] (a source stride of 0 repeats its one row).</summary>
    void Tile(IBackend b, Tensor src, Tensor dst) =>
        b.CopyColumns(new(src, 0, 0), new(dst, OutFeatures, 0), new(groups, OutFeatures));
}
