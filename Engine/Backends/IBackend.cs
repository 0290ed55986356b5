using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Everything the engine computes goes through this interface; layers, models, optimizers and
/// trainers never see ILGPU. All tensors are row-major flat ranges; an op's geometry travels in a
/// small record (<see cref="GemmProblem"/>, <see cref="LinearShape"/>, <see cref="RowsCols"/>, …,
/// see OpShapes.cs) rather than as positional ints. Calls are queued in order on one stream;
/// <see cref="Synchronize"/> waits for them. Tensor copies to and from the host synchronise.
/// The real backends derive from <see cref="BackendBase"/>, which lets a profiler observe every op.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short device name as the user selects it, e.g. "cuda", "opencl", "ilgpu-cpu".</summary>
    string Kind { get; }

    /// <summary>Human-readable device description (name, memory).</summary>
    string Description { get; }

    /// <summary>Allocates zeroed device memory; throws <see cref="GanException"/> when it runs out.</summary>
    DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;

    /// <summary>C[m,n] (+)= op(A)·op(B) as <paramref name="p"/> describes it.</summary>
    void Gemm(Tensor a, Tensor b, Tensor c, GemmProblem p);

    /// <summary>
    /// The Linear forward, y[r,o] = act(Σ_i x[r,i]·W[o,i] + b[o]): x is rows×in, W is out×in (as
    /// torch stores it), y is rows×out; bias may be null. The GEMM with its epilogue: one launch on
    /// ILGPU backends where Gemm + BiasActivation would be two. y must not overlap x or W.
    /// </summary>
    void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, LinearShape s, Act act);

    /// <summary>
    /// The Linear input gradient, dx[r,i] = (Σ_o dy[r,o]·W[o,i])·act'(maskOutput[r,i]): dy is
    /// rows×out, W is out×in, dx and maskOutput are rows×in, maskOutput being the lower layer's
    /// activation output (act' is taken from it, as <see cref="ActivationBackward"/> does). With
    /// maskOutput null (or act Identity) it is the plain dX = dY·W GEMM. One launch on ILGPU backends
    /// where Gemm + ActivationBackward would be two. dx must not overlap dy, W or maskOutput.
    /// </summary>
    void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, LinearShape s, Tensor? maskOutput, Act act);

    /// <summary>y[r,c] = act(x[r,c] + bias[c]) over rows×cols; bias may be null. In place is fine.</summary>
    void BiasActivation(Tensor x, Tensor? bias, Tensor y, RowsCols s, Act act);

    /// <summary>dx = dy·act'(y), where y is the activation output. In place is fine.</summary>
    void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Act act);

    /// <summary>y[r,u] = max_p pre[r, u·pieces + p] (<see cref="MaxoutShape"/>). y must not overlap pre.</summary>
    void MaxoutForward(Tensor pre, Tensor y, MaxoutShape s);

    /// <summary>
    /// The maxout backward: dpre[r, u·pieces + p] = dy[r,u] at the first p attaining the max of pre's
    /// group (torch's max(dim) on ties), 0 elsewhere. dpre must not overlap pre or dy.
    /// </summary>
    void MaxoutBackward(Tensor pre, Tensor dy, Tensor dpre, MaxoutShape s);

    /// <summary>db[c] (+)= Σ_r dy[r,c].</summary>
    void BiasGrad(Tensor dy, Tensor db, RowsCols s, bool accumulate);

    /// <summary>y = BatchNorm(x) with batch statistics, saved for the backward; moves the running statistics.</summary>
    void BatchNormTrain(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNormShape s);

    /// <summary>y = BatchNorm(x) with the running statistics.</summary>
    void BatchNormEval(Tensor x, Tensor y, BatchNormState p, BatchNormShape s);

    /// <summary>The BatchNorm backward from the saved batch statistics (only γ is read of <paramref name="p"/>).</summary>
    void BatchNormBackward(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNormShape s);

    /// <summary>
    /// Builds (once) what the convolution ops need for this geometry: its workspaces (column matrix,
    /// channel-major staging) and compiled kernels. Layers call it when the model is built, for every
    /// batch size they will run, so no step allocates; an op on a geometry not prepared prepares it
    /// on first use (like a GEMM plan). Plans are cached per geometry (batch included) for the
    /// backend's life.
    /// </summary>
    void PrepareConv(Conv2dGeometry g);

    /// <summary>
    /// torch's conv2d (or conv_transpose2d when <see cref="Conv2dGeometry.Transposed"/>) on NCHW:
    /// y = conv(x, weight) + bias, weight as torch stores it ([COut, CIn, KH, KW], or [CIn, COut, KH, KW]
    /// for the transpose); bias [COut] may be null. y must not overlap x or weight.
    /// </summary>
    void ConvForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, Conv2dGeometry g);

    /// <summary>dx = ∂L/∂x of <see cref="ConvForward"/> from dy (written, not accumulated).</summary>
    void ConvInputGrad(Tensor dy, Tensor weight, Tensor dx, Conv2dGeometry g);

    /// <summary>dw (+)= ∂L/∂weight of <see cref="ConvForward"/> from its input x and dy.</summary>
    void ConvWeightGrad(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry g, bool accumulate);

    /// <summary>
    /// Both gradients in one op (what a layer's backward calls): the same results as
    /// <see cref="ConvWeightGrad"/> and <see cref="ConvInputGrad"/>, sharing the transposes and column
    /// matrices the two would each rebuild (<see cref="ConvGrads"/>).
    /// </summary>
    void ConvBackward(Tensor x, Tensor dy, Tensor weight, ConvGrads grads, Conv2dGeometry g);

    /// <summary>db[c] (+)= Σ dy over images and positions of output channel c.</summary>
    void ConvBiasGrad(Tensor dy, Tensor db, Conv2dGeometry g, bool accumulate);

    /// <summary>
    /// BatchNorm2d's training forward: batch statistics per channel over N·H·W, saved for the
    /// backward; moves the running statistics (unbiased variance). y = s.Act(BN(x)).
    /// </summary>
    void BatchNorm2dTrain(Tensor x, Tensor y, BatchNormState p, BatchNormSaved saved, BatchNorm2dShape s);

    /// <summary>BatchNorm2d with the running statistics, then s.Act.</summary>
    void BatchNorm2dEval(Tensor x, Tensor y, BatchNormState p, BatchNorm2dShape s);

    /// <summary>
    /// BatchNorm2d's backward from the saved statistics; dx must not overlap x or dy. With s.Act not
    /// Identity, dy is dL/d(act's output), its derivative is taken from saved.Output, and dy may be
    /// overwritten (a backend that does not fuse the two applies it in place first).
    /// </summary>
    void BatchNorm2dBackward(Tensor x, Tensor dy, BatchNormState p, BatchNormSaved saved, BatchNormGrads grads, BatchNorm2dShape s);

    /// <summary>
    /// One GAN loss term (<see cref="LossKind"/>) of <paramref name="logits"/> against a constant
    /// target: writes the gradient, and (mean loss, mean output) as statistics (<see cref="LossOutput"/>).
    /// </summary>
    void AdversarialLoss(Tensor logits, LossKind kind, float target, LossOutput output);

    /// <summary>
    /// Softmax cross-entropy of logits [rows, classes] against labels[batch row r]; writes the
    /// gradient (softmax − onehot), and (mean loss, accuracy) as statistics.
    /// </summary>
    void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, BatchIndices batch, RowsCols s, LossOutput output);

    /// <summary>probs[r, :] = softmax(logits[r, :]) over rows × classes.</summary>
    void Softmax(Tensor logits, Tensor probs, RowsCols s);

    /// <summary>
    /// One Adam step over a flat parameter buffer: advances <paramref name="schedule"/>'s step
    /// counter to t, and takes lr / (1 − β1ᵗ) and √(1 − β2ᵗ) from its table
    /// (<see cref="AdamStepScalars"/>, as Engine/Optim/AdamSchedule writes them); β1, β2, eps and
    /// weight decay from <paramref name="scalars"/>.
    /// </summary>
    void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars, StepSchedule schedule);

    /// <summary>One RMSprop step (centered=False, momentum=0) over a flat parameter buffer.</summary>
    void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s);

    /// <summary>
    /// One SGD step over a flat parameter buffer; with momentum 0 the buffer is neither read nor
    /// written (it may hold anything).
    /// </summary>
    void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s);

    /// <summary>dst[i] = N(mean, std²) from Philox, counter offset + i.</summary>
    void RandomNormal(Tensor dst, PhiloxCounter rng, float mean = 0f, float std = 1f);

    /// <summary>dst[i] = U[low, high) from Philox, counter offset + i.</summary>
    void RandomUniform(Tensor dst, PhiloxCounter rng, float low = 0f, float high = 1f);

    /// <summary>dst[r,:] = bytes of the batch's row r (cols wide), scaled from [0, 255] to [-1, 1].</summary>
    void GatherRows(DeviceBuffer<byte> data, BatchIndices batch, RowsCols s, Tensor dst);

    void Fill(Tensor dst, float value);

    /// <summary>x[i] = clamp(x[i], min, max) in place (WGAN weight clipping).</summary>
    void Clamp(Tensor x, float min, float max);

    /// <summary>xhat[r, c] = fake[r, c] + eps[r]·(real[r, c] − fake[r, c]) (WGAN-GP interpolates).</summary>
    void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, RowsCols s);

    /// <summary>
    /// WGAN-GP's penalty on the critic's input gradients g [rows, cols]: writes (into output's Grad)
    /// dg = gradScale·2λ(‖g_r‖ − 1)·g_r/‖g_r‖ per row, ‖g_r‖ to norms, and (λ·mean (‖g_r‖ − 1)²,
    /// mean ‖g_r‖) as statistics.
    /// </summary>
    void GradientPenalty(Tensor g, Tensor norms, RowsCols s, float lambda, LossOutput output);

    /// <summary>
    /// dst block row r = one-hot of labels[batch row r] over s.Classes classes, for s.Rows rows,
    /// each class s.Plane columns wide (<see cref="OneHotShape"/>).
    /// </summary>
    void OneHotLabels(DeviceBuffer<int> labels, BatchIndices batch, ColumnBlock dst, OneHotShape s);

    /// <summary>The same one-hot block for classes drawn from Philox, counter offset + r.</summary>
    void OneHotRandom(ColumnBlock dst, OneHotShape s, PhiloxCounter rng);

    /// <summary>dst block [r, c] = src block [r, c] for s.Rows rows and s.Cols columns (a source stride of 0 repeats its one row).</summary>
    void CopyColumns(ColumnBlock src, ColumnBlock dst, RowsCols s);

    void Copy(Tensor source, Tensor destination);

    /// <summary>
    /// counters[i] += 1 for i &lt; count, on the device: how per-step offsets (<see cref="DeviceCounter"/>)
    /// move without a host write or a new kernel argument.
    /// </summary>
    void Increment(DeviceBuffer<ulong> counters, int count);

    /// <summary>
    /// The divergence check, one launch and no read-back: if x holds a NaN or an infinity and the
    /// flag slot is still 0, the slot gets the flag's mark (see <see cref="NonFiniteFlag"/>).
    /// </summary>
    void MarkNonFinite(Tensor x, NonFiniteFlag flag);

    void Synchronize();
}
