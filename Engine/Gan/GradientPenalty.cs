using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// WGAN-GP's gradient penalty P = λ·mean_r (‖∇ₓ̂D(x̂_r)‖₂ − 1)² and its exact gradient with respect
/// to the critic's weights: the backward of the backward, without finite differences.
///
/// For an MLP critic a_l = h_{l−1}·W_lᵀ + b_l, h_l = φ_l(a_l), D = a_L, the input gradient is a
/// chain that runs backwards through the weights:
///   δ_L = 1,  δ_l = (δ_{l+1}·W_{l+1}) ⊙ φ_l'(a_l),  g = ∇ₓD = δ_1·W_1.
/// With piecewise-linear φ (ReLU, LeakyReLU, identity), φ' is a constant mask almost everywhere:
/// its derivative is zero, so biases get no gradient from P and the masks are constants. Back-
/// propagating u = ∂P/∂g through the chain gives, with r_0 = u:
///   ∂P/∂W_l += δ_lᵀ·r_{l−1},   r_l = (r_{l−1}·W_lᵀ) ⊙ φ_l'(a_l).
/// That is one forward of x̂, one backward that keeps every δ_l, and one more forward-like pass
/// of GEMMs and masks: about three critic passes. Smooth activations (tanh, sigmoid) would add
/// φ'' terms and BatchNorm couples samples (the penalty is per sample), so both are refused.
///
/// A Conv2d (or ConvTranspose2d) is linear in its input and in its weight, so the same chain holds
/// with each product replaced by the conv op it stands for: h·Wᵀ is the conv forward (without its
/// bias), δ·W the conv input gradient, δᵀ·r the conv weight gradient with r in place of the
/// activations. A stand-alone activation layer is a mask like a fused one, and Flatten/Unflatten
/// are views: the chain is any sequence of linear maps (Linear, conv) and masks
/// (<see cref="Check"/> says which critics qualify). The per-kind ops are in GradientPenalty.Layers.cs.
/// </summary>
public sealed partial class GradientPenalty : IDisposable
{
    readonly IBackend b;
    readonly Sequential critic;
    readonly IReadOnlyList<Layer> layers;
    /// <summary>Per layer: its δ buffer when it is a linear map (Linear, conv); default for a mask layer.</summary>
    readonly Tensor[] deltas;
    readonly int lastMap;
    readonly DeviceBuffer<float> work;
    readonly Tensor eps, xhat, norms, inputGrad, rA, rB;
    readonly int maxBatch;

    public GradientPenalty(IBackend backend, Sequential critic, int maxBatch, float lambda)
    {
        Check(critic);
        if (maxBatch < 1 || maxBatch > critic.MaxBatch) throw new ArgumentOutOfRangeException(nameof(maxBatch), $"batch {maxBatch} outside 1..{critic.MaxBatch}");
        b = backend;
        this.critic = critic;
        this.maxBatch = maxBatch;
        Lambda = lambda;
        layers = critic.Layers;
        var maps = Enumerable.Range(0, layers.Count).Where(i => IsMap(layers[i])).ToList();
        lastMap = maps[^1];
        // Masks keep a width, so r only ever holds a map's input or output: the widest of those.
        int maxWidth = Math.Max(critic.InFeatures, maps.Max(i => layers[i].OutFeatures));
        long total = maxBatch * (1L + 2L * critic.InFeatures + 1 + 2L * maxWidth) + maps.Sum(i => (long)maxBatch * layers[i].OutFeatures);
        work = backend.Allocate<float>(total);
        long at = 0;
        Tensor Take(long n) { var t = Tensor.Whole(work).Slice(at, (int)n); at += n; return t; }
        eps = Take(maxBatch);
        xhat = Take((long)maxBatch * critic.InFeatures);
        inputGrad = Take((long)maxBatch * critic.InFeatures);
        norms = Take(maxBatch);
        rA = Take((long)maxBatch * maxWidth);
        rB = Take((long)maxBatch * maxWidth);
        deltas = new Tensor[layers.Count];
        foreach (int i in maps) deltas[i] = Take((long)maxBatch * layers[i].OutFeatures);
        // The conv plans of the largest batch the penalty runs, so that no step makes one.
        critic.PrepareBatch(maxBatch);
    }

    public float Lambda { get; }

    /// <summary>
    /// Draws ε ~ U[0, 1) per sample from the Philox stream rng, forms x̂ between real and
    /// fake [n, In], and adds ∂P/∂W to the critic's gradients (which must already hold the rest of
    /// the D loss's gradient). Writes (P, mean ‖g‖) to stats[statsIndex..+1]. Overwrites the
    /// critic's activations. Conv plans exist for maxBatch; another n must have been prepared
    /// (<see cref="Sequential.PrepareBatch"/>) for the step to allocate nothing.
    /// </summary>
    public void Accumulate(Tensor real, Tensor fake, int n, PhiloxCounter rng, Tensor stats, int statsIndex)
    {
        b.RandomUniform(eps.Slice(0, n), rng);
        AccumulateWithEps(real, fake, n, stats, statsIndex);
    }

    /// <summary>As <see cref="Accumulate"/> with given ε (for tests against PyTorch).</summary>
    public void Accumulate(Tensor real, Tensor fake, ReadOnlySpan<float> epsilon, Tensor stats, int statsIndex)
    {
        eps.Slice(0, epsilon.Length).CopyFrom(epsilon);
        AccumulateWithEps(real, fake, epsilon.Length, stats, statsIndex);
    }

    void AccumulateWithEps(Tensor real, Tensor fake, int n, Tensor stats, int statsIndex)
    {
        if (n < 1 || n > maxBatch) throw new ArgumentOutOfRangeException(nameof(n));
        int inF = critic.InFeatures;
        var x = xhat.Slice(0, n * inF);
        b.Interpolate(real, fake, eps.Slice(0, n), x, new(n, inF));
        critic.Forward(x, n, training: true);

        // First backward, keeping δ_l = ∂D/∂a_l of every map (a_l: its output before any mask).
        // Masks apply in place, so the gradient at a map's input lands straight in the δ buffer of
        // the map below (or in g), and that map's masks turn it into its δ there.
        var d = Delta(lastMap, n);
        b.Fill(d, 1f);
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            Mask(i, d, n);
            if (!IsMap(layers[i])) continue;
            int below = PreviousMap(i);
            var prev = below < 0 ? inputGrad.Slice(0, n * inF) : Delta(below, n);
            InputGradient(i, d, prev, n);
            d = prev;
        }
        var g = d;

        // u = ∂P/∂g, then forward through the chain: ∂W_l += δ_lᵀ·r, r ← (r·W_lᵀ) ⊙ mask_l.
        var r = rA.Slice(0, n * inF);
        b.GradientPenalty(g, norms.Slice(0, n), new(n, inF), Lambda, new(r, 1f / n, stats, statsIndex));
        for (int i = 0; i <= lastMap; i++)
        {
            if (!IsMap(layers[i]))
            {
                Mask(i, r, n);
                continue;
            }
            if (i == lastMap)
            {
                WeightGradient(i, r, Delta(i, n), n);
                break;
            }
            var next = (r.Offset == rA.Offset ? rB : rA).Slice(0, n * layers[i].OutFeatures);
            WeightGradientAndForward(i, r, Delta(i, n), next, n);
            Mask(i, next, n);
            r = next;
        }
    }

    Tensor Delta(int layer, int n) => deltas[layer].Slice(0, n * layers[layer].OutFeatures);

    int PreviousMap(int layer)
    {
        for (int i = layer - 1; i >= 0; i--)
            if (IsMap(layers[i])) return i;
        return -1;
    }

    /// <summary>t ⊙= φ'(a) of a layer's activation (fused or stand-alone), read from its output (same sign as a).</summary>
    void Mask(int layer, Tensor t, int n)
    {
        var act = MaskOf(layers[layer]);
        if (!act.IsIdentity)
            b.ActivationBackward(critic.LayerOutput(layer).Slice(0, n * layers[layer].OutFeatures), t, t, act);
    }

    public void Dispose() => work.Dispose();
}
