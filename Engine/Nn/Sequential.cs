using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Nn;

/// <summary>
/// A network built from a <see cref="LayerSpec"/> list, like torch.nn.Sequential. All of its memory is
/// allocated here, once, as one flat buffer per concern: parameters, gradients, running
/// statistics, activations, and backward scratch (two ping-pong halves). Forward and backward only
/// launch kernels on slices of those buffers; they allocate nothing.
/// </summary>
public sealed class Sequential : IDisposable
{
    readonly IBackend backend;
    readonly List<Layer> layers = [];
    readonly Tensor[] outputs;       // full-capacity activation slice per layer
    readonly Tensor[] inputsSeen;    // what each layer received in the last forward (for backward)
    readonly Tensor ping, pong;
    readonly List<Slot> slots = [];
    readonly DeviceBuffer<float> paramBuffer, gradBuffer, stateBuffer, scratchBuffer, activationBuffer, backwardBuffer;
    int lastBatch;

    /// <param name="inputImage">
    /// The input rows' image shape (C, H, W) when the first layers are convolutions; without it a
    /// convolution's input is taken as square (a flat z of width C is C×1×1).
    /// </param>
    /// <param name="init">How Linear and LinearMaxout weights start (<see cref="WeightInit"/>; PyTorch's default when null).</param>
    public Sequential(IBackend backend, IReadOnlyList<LayerSpec> spec, int inFeatures, int maxBatch, ulong initSeed,
        (int C, int H, int W)? inputImage = null, WeightInit? init = null)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch));
        this.backend = backend;
        InFeatures = inFeatures;
        MaxBatch = maxBatch;
        Spec = spec;
        Init = init ?? WeightInit.TorchDefault;
        int width = inFeatures;
        // The image shape of the current rows, while known (convolutions need it; a Linear forgets it).
        (int C, int H, int W)? image = inputImage;
        if (image is { } im0 && im0.C * im0.H * im0.W != inFeatures)
            throw new ArgumentException($"input image {im0.C}×{im0.H}×{im0.W} is not {inFeatures} features");
        for (int i = 0; i < spec.Count; i++)
        {
            int index = i;
            Func<int, double> uniform01 = k => Philox.UniformDouble(initSeed, RngStreams.LayerInit(index), (ulong)k);
            switch (spec[i])
            {
                case LinearSpec l:
                    if (l.InFeatures != width) throw new ArgumentException($"layer {i}: Linear expects {l.InFeatures} inputs, previous layer gives {width}");
                    var linear = new Linear(i, l.InFeatures, l.OutFeatures, uniform01, l.Bias, Init);
                    // Fuse a following activation into the Linear epilogue; it keeps its index.
                    if (i + 1 < spec.Count && spec[i + 1] is ActivationSpec next)
                    {
                        linear.FusedActivation = next.Kind;
                        linear.FusedAlpha = next.Alpha;
                        i++;
                    }
                    layers.Add(linear);
                    width = l.OutFeatures;
                    image = null;
                    break;
                case LinearMaxoutSpec m:
                    if (m.InFeatures != width) throw new ArgumentException($"layer {i}: LinearMaxout expects {m.InFeatures} inputs, previous layer gives {width}");
                    layers.Add(new LinearMaxout(i, m.InFeatures, m.Units, m.Pieces, maxBatch, uniform01, Init));
                    width = m.Units;
                    image = null;
                    break;
                case ActivationSpec a:
                    layers.Add(new ActivationLayer(i, width, a.Kind, a.Alpha));
                    break;
                case Conv2dSpec c:
                {
                    var (h, w) = ImageOf(i, c.InChannels, width, image);
                    var g = Conv2dGeometry.Conv(maxBatch, c.InChannels, h, w, c.OutChannels, c.Kernel, c.Stride, c.Padding, c.Dilation);
                    var conv = new ConvLayer(i, g, c.Bias, uniform01);
                    layers.Add(conv);
                    image = conv.OutputShape;
                    width = conv.OutFeatures;
                    break;
                }
                case ConvTranspose2dSpec c:
                {
                    var (h, w) = ImageOf(i, c.InChannels, width, image);
                    var g = Conv2dGeometry.ConvTranspose(maxBatch, c.InChannels, h, w, c.OutChannels, c.Kernel, c.Stride, c.Padding, c.Dilation, c.OutputPadding);
                    var conv = new ConvLayer(i, g, c.Bias, uniform01);
                    layers.Add(conv);
                    image = conv.OutputShape;
                    width = conv.OutFeatures;
                    break;
                }
                case BatchNorm2dSpec bn2:
                {
                    if (image is not { } im || im.C != bn2.NumFeatures)
                        throw new ArgumentException($"layer {i}: BatchNorm2d({bn2.NumFeatures}) after {(image is { } m ? $"{m.C} channels" : "a layer without channels")}");
                    var norm = new BatchNorm2d(i, im.C, im.H * im.W, bn2.Eps, bn2.Momentum, uniform01, maxBatch);
                    // As Linear: the following activation rides in the BN ops; it keeps its index.
                    if (i + 1 < spec.Count && spec[i + 1] is ActivationSpec after)
                    {
                        norm.FusedActivation = new(after.Kind, after.Alpha);
                        i++;
                    }
                    layers.Add(norm);
                    break;
                }
                case FlattenSpec:
                    image = null;   // a view: the rows stay as they are
                    break;
                case UnflattenSpec u:
                    if (u.Channels * u.Height * u.Width != width)
                        throw new ArgumentException($"layer {i}: Unflatten to {u.Channels}×{u.Height}×{u.Width} from a width of {width}");
                    image = (u.Channels, u.Height, u.Width);   // a view: the rows stay as they are
                    break;
                case BatchNorm1dSpec bn:
                    if (bn.NumFeatures != width) throw new ArgumentException($"layer {i}: BatchNorm1d({bn.NumFeatures}) after a layer of width {width}");
                    layers.Add(new BatchNorm1d(i, bn.NumFeatures, bn.Eps, bn.Momentum, bn.Groups));
                    break;
                default:
                    throw new ArgumentException($"layer {i}: unsupported spec {spec[i]}");
            }
        }
        OutFeatures = width;

        foreach (var layer in layers) slots.AddRange(layer.Slots);
        long Sum(SlotKind k) => slots.Where(s => s.Kind == k).Sum(s => (long)s.Length);
        ParameterCount = Sum(SlotKind.Parameter);
        int maxWidth = Math.Max(inFeatures, layers.Max(l => Math.Max(l.InFeatures, l.OutFeatures)));
        long activationFloats = layers.Sum(l => (long)maxBatch * l.OutFeatures);

        var owned = new List<IDisposable>();
        try
        {
            paramBuffer = Track(backend.Allocate<float>(ParameterCount));
            gradBuffer = Track(backend.Allocate<float>(ParameterCount));
            stateBuffer = Track(backend.Allocate<float>(Sum(SlotKind.Buffer)));
            scratchBuffer = Track(backend.Allocate<float>(Sum(SlotKind.Scratch)));
            activationBuffer = Track(backend.Allocate<float>(activationFloats));
            backwardBuffer = Track(backend.Allocate<float>(2L * maxBatch * maxWidth));
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
        DeviceBuffer<float> Track(DeviceBuffer<float> b) { owned.Add(b); return b; }

        Parameters = Tensor.Whole(paramBuffer);
        Gradients = Tensor.Whole(gradBuffer);
        var offsets = new Dictionary<SlotKind, long> { [SlotKind.Parameter] = 0, [SlotKind.Buffer] = 0, [SlotKind.Scratch] = 0 };
        foreach (var s in slots)
        {
            long off = offsets[s.Kind];
            offsets[s.Kind] = off + s.Length;
            s.Offset = off;
            switch (s.Kind)
            {
                case SlotKind.Parameter:
                    s.Value = new Tensor(paramBuffer, off, s.Length);
                    s.Grad = new Tensor(gradBuffer, off, s.Length);
                    break;
                case SlotKind.Buffer: s.Value = new Tensor(stateBuffer, off, s.Length); break;
                default: s.Value = new Tensor(scratchBuffer, off, s.Length); break;
            }
        }
        outputs = new Tensor[layers.Count];
        inputsSeen = new Tensor[layers.Count];
        long actOffset = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            int len = maxBatch * layers[i].OutFeatures;
            outputs[i] = new Tensor(activationBuffer, actOffset, len);
            actOffset += len;
        }
        ping = new Tensor(backwardBuffer, 0, maxBatch * maxWidth);
        pong = new Tensor(backwardBuffer, (long)maxBatch * maxWidth, maxBatch * maxWidth);
        UploadInitialValues();
        PrepareBatch(maxBatch);
    }

    /// <summary>(H, W) of a convolution's input with c channels: the known image shape, or square from the width.</summary>
    static (int H, int W) ImageOf(int layer, int c, int width, (int C, int H, int W)? image)
    {
        if (image is { } im)
        {
            if (im.C != c) throw new ArgumentException($"layer {layer}: a convolution over {c} channels after a layer of {im.C}");
            return (im.H, im.W);
        }
        int plane = width / c, side = (int)Math.Round(Math.Sqrt(plane));
        if (plane * c != width || side * side != plane)
            throw new ArgumentException($"layer {layer}: a convolution over {c} channels cannot take rows of {width} features as square images (give the input image shape)");
        return (side, side);
    }

    /// <summary>
    /// Builds the backend's plans (convolution workspaces) for running this model on n rows; the
    /// constructor does it for <see cref="MaxBatch"/>. Call it, at build time, for every other batch
    /// size a step will use, so that steps allocate nothing.
    /// </summary>
    public void PrepareBatch(int n)
    {
        if (n < 1 || n > MaxBatch) throw new ArgumentOutOfRangeException(nameof(n), $"batch {n} outside 1..{MaxBatch}");
        foreach (var layer in layers) layer.Prepare(backend, n);
    }

    public IReadOnlyList<LayerSpec> Spec { get; }
    public WeightInit Init { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public int MaxBatch { get; }
    public long ParameterCount { get; }
    public IReadOnlyList<Layer> Layers => layers;

    /// <summary>All trained parameters, as one flat tensor (what the optimizer updates).</summary>
    public Tensor Parameters { get; }

    /// <summary>Gradients, laid out exactly as <see cref="Parameters"/>.</summary>
    public Tensor Gradients { get; }

    void UploadInitialValues()
    {
        foreach (var s in slots.Where(s => s.Kind != SlotKind.Scratch))
        {
            var host = new float[s.Length];
            if (s.Init is { } init) for (int i = 0; i < host.Length; i++) host[i] = init(i);
            s.Value.CopyFrom(host);
        }
    }

    /// <summary>Runs the model on the first n rows of x ([n, In]); returns the output view [n, Out].</summary>
    public Tensor Forward(Tensor x, int n, bool training)
    {
        if (n < 1 || n > MaxBatch) throw new ArgumentOutOfRangeException(nameof(n), $"batch {n} outside 1..{MaxBatch}");
        var cur = x.Slice(0, n * InFeatures);
        for (int i = 0; i < layers.Count; i++)
        {
            var y = outputs[i].Slice(0, n * layers[i].OutFeatures);
            layers[i].Forward(backend, cur, y, n, training);
            inputsSeen[i] = cur;
            cur = y;
        }
        lastBatch = n;
        return cur;
    }

    /// <summary>Output of layer <paramref name="layer"/> (after fusion) from the last forward, [n, Out].</summary>
    public Tensor LayerOutput(int layer) => outputs[layer].Slice(0, lastBatch * layers[layer].OutFeatures);

    /// <summary>
    /// Back-propagates dL/dOutput ([n, Out], overwritten) through the last forward. Parameter
    /// gradients are written (or added, with <paramref name="accumulate"/>) when
    /// <paramref name="paramGrads"/>; dL/dInput is returned when <paramref name="inputGrad"/>, as a
    /// view into this model's scratch that stays valid until its next backward. Where a Linear sits
    /// on a Linear with a fused activation, the upper one's dX GEMM also applies that activation's
    /// derivative (<see cref="Layer.AbsorbsInputActivation"/>), saving the lower one's activation backward.
    /// </summary>
    public Tensor? Backward(Tensor dOutput, bool paramGrads, bool accumulate, bool inputGrad)
    {
        int n = lastBatch;
        var dy = dOutput.Slice(0, n * OutFeatures);
        bool dyIsPreActivation = false;   // dy already past layer i's fused activation (see below)
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            Tensor? dx = null;
            if (i > 0 || inputGrad)
            {
                var target = dy.Buffer == ping.Buffer && dy.Offset == ping.Offset ? pong : ping;
                dx = target.Slice(0, n * layers[i].InFeatures);
            }
            var y = outputs[i].Slice(0, n * layers[i].OutFeatures);
            // A layer that absorbs its input's activation over one that fuses an output activation:
            // the upper one's dx applies the lower one's act' as it stores (one launch, not two),
            // and the lower one skips its own.
            var below = dx is not null && i > 0 && layers[i].AbsorbsInputActivation ? layers[i - 1].OutputActivation : Act.Identity;
            layers[i].Backward(backend, inputsSeen[i], y, dy, dx, n, paramGrads, accumulate, new ActivationFusion(dyIsPreActivation, below));
            dyIsPreActivation = !below.IsIdentity;
            if (dx is null) break;
            dy = dx.Value;
        }
        return inputGrad ? dy : null;
    }

    /// <summary>Names, shapes and values as torch's state_dict of the same nn.Sequential.</summary>
    public List<NamedArray> StateDict()
    {
        var list = new List<NamedArray>();
        foreach (var layer in layers)
        {
            foreach (var s in layer.Slots.Where(s => s.Kind != SlotKind.Scratch))
                list.Add(new NamedArray(s.Name, s.Shape, Floats: s.Value.ToArray()));
            if (layer is ITracksBatches bn)
                list.Add(new NamedArray(bn.NumBatchesTrackedName, [], Longs: [bn.NumBatchesTracked]));
        }
        return list;
    }

    /// <summary>Loads a state_dict (strict: every name present with the right shape).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, NamedArray> state, string source)
    {
        foreach (var layer in layers)
        {
            foreach (var s in layer.Slots.Where(s => s.Kind != SlotKind.Scratch))
            {
                if (!state.TryGetValue(s.Name, out var t) || t.Floats is null)
                    throw new GanException($"{source}: missing tensor {s.Name}");
                if (!t.Shape.SequenceEqual(s.Shape))
                    throw new GanException($"{source}: {s.Name} has shape [{string.Join(",", t.Shape)}], the model needs [{string.Join(",", s.Shape)}]");
                s.Value.CopyFrom(t.Floats);
            }
            if (layer is ITracksBatches bn)
                bn.NumBatchesTracked = state.TryGetValue(bn.NumBatchesTrackedName, out var c) && c.Longs is { Length: 1 } ? c.Longs[0] : 0;
        }
    }

    /// <summary>Parameter slots in buffer order (for optimizer state names).</summary>
    public IEnumerable<Slot> ParameterSlots => slots.Where(s => s.Kind == SlotKind.Parameter);

    public void Dispose()
    {
        paramBuffer.Dispose();
        gradBuffer.Dispose();
        stateBuffer.Dispose();
        scratchBuffer.Dispose();
        activationBuffer.Dispose();
        backwardBuffer.Dispose();
    }
}
