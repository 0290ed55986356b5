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
/// </summary>
public sealed class GradientPenalty : IDisposable
{
    readonly IBackend b;
    readonly Sequential critic;
    readonly List<Linear> linears;
    readonly DeviceBuffer<float> work;
    readonly Tensor eps, xhat, norms, inputGrad, rA, rB;
    readonly Tensor[] deltas;
    readonly int maxBatch;

    public GradientPenalty(IBackend backend, Sequential critic, int maxBatch, float lambda)
    {
        Check(critic);
        b = backend;
        this.critic = critic;
        this.maxBatch = maxBatch;
        Lambda = lambda;
        linears = critic.Layers.Cast<Linear>().ToList();
        int maxWidth = Math.Max(critic.InFeatures, linears.Max(l => l.OutFeatures));
        long total = maxBatch * (1L + 2L * critic.InFeatures + 1 + 2L * maxWidth) + linears.Sum(l => (long)maxBatch * l.OutFeatures);
        work = backend.Allocate<float>(total);
        long at = 0;
        Tensor Take(long n) { var t = Tensor.Whole(work).Slice(at, (int)n); at += n; return t; }
        eps = Take(maxBatch);
        xhat = Take((long)maxBatch * critic.InFeatures);
        inputGrad = Take((long)maxBatch * critic.InFeatures);
        norms = Take(maxBatch);
        rA = Take((long)maxBatch * maxWidth);
        rB = Take((long)maxBatch * maxWidth);
        deltas = linears.Select(l => Take((long)maxBatch * l.OutFeatures)).ToArray();
    }

    public float Lambda { get; }

    /// <summary>Refuses critics whose penalty gradient this class would get wrong, with the reason.</summary>
    public static void Check(Sequential critic)
    {
        for (int i = 0; i < critic.Layers.Count; i++)
        {
            var layer = critic.Layers[i];
            if (layer is BatchNorm1d)
                throw new GanException("wgan-gp: the critic has BatchNorm, which couples the samples of a batch; the gradient penalty is per sample (Gulrajani et al.), so use a critic without BatchNorm");
            if (layer is not Linear l)
                throw new GanException($"wgan-gp: critic layer {layer.Index} ({layer.GetType().Name}) is not supported by the exact double backward; use Linear layers with ReLU/LeakyReLU");
            if (l.FusedActivation is not (Activation.Identity or Activation.ReLU or Activation.LeakyReLU))
                throw new GanException($"wgan-gp: critic activation {l.FusedActivation} is not piecewise linear; the exact double backward supports ReLU and LeakyReLU");
        }
        if (critic.OutFeatures != 1) throw new GanException($"wgan-gp: the critic must output one value per sample, not {critic.OutFeatures}");
    }

    /// <summary>
    /// Draws ε ~ U[0, 1) per sample from the Philox stream rng, forms x̂ between real and
    /// fake [n, In], and adds ∂P/∂W to the critic's gradients (which must already hold the rest of
    /// the D loss's gradient). Writes (P, mean ‖g‖) to stats[statsIndex..+1]. Overwrites the
    /// critic's activations.
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
        int inF = critic.InFeatures, last = linears.Count - 1;
        var x = xhat.Slice(0, n * inF);
        b.Interpolate(real, fake, eps.Slice(0, n), x, new(n, inF));
        critic.Forward(x, n, training: true);

        // First backward, keeping δ_l = ∂D/∂a_l of every layer.
        var d = Delta(last, n);
        b.Fill(d, 1f);
        Mask(last, d, n);
        for (int l = last; l > 0; l--)
        {
            var prev = Delta(l - 1, n);
            b.Gemm(d, linears[l].Weight.Value, prev, new(n, linears[l].InFeatures, linears[l].OutFeatures, TransA: false, TransB: false));
            Mask(l - 1, prev, n);
            d = prev;
        }
        var g = inputGrad.Slice(0, n * inF);
        b.Gemm(d, linears[0].Weight.Value, g, new(n, inF, linears[0].OutFeatures, TransA: false, TransB: false));

        // u = ∂P/∂g, then back through the chain: ∂W_l += δ_lᵀ·r, r ← (r·W_lᵀ) ⊙ mask_l.
        var r = rA.Slice(0, n * inF);
        b.GradientPenalty(g, norms.Slice(0, n), new(n, inF), Lambda, new(r, 1f / n, stats, statsIndex));
        for (int l = 0; l <= last; l++)
        {
            var lin = linears[l];
            b.Gemm(Delta(l, n), r, lin.Weight.Grad, new(lin.OutFeatures, lin.InFeatures, n, TransA: true, TransB: false, Accumulate: true));
            if (l == last) break;
            var next = (r.Offset == rA.Offset ? rB : rA).Slice(0, n * lin.OutFeatures);
            b.Gemm(r, lin.Weight.Value, next, new(n, lin.OutFeatures, lin.InFeatures, TransA: false, TransB: true));
            Mask(l, next, n);
            r = next;
        }
    }

    Tensor Delta(int layer, int n) => deltas[layer].Slice(0, n * linears[layer].OutFeatures);

    /// <summary>t ⊙= φ'(a) of a layer's fused activation, read from its output (same sign as a).</summary>
    void Mask(int layer, Tensor t, int n)
    {
        var lin = linears[layer];
        if (lin.FusedActivation != Activation.Identity)
            b.ActivationBackward(critic.LayerOutput(layer).Slice(0, n * lin.OutFeatures), t, t, lin.OutputActivation);
    }

    public void Dispose() => work.Dispose();
}
