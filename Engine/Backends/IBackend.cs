using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// Everything the engine computes goes through this interface; layers, models, optimizers and
/// trainers never see ILGPU. All tensors are row-major. Calls are queued in order on one stream;
/// <see cref="Synchronize"/> waits for them. Tensor copies to and from the host synchronise.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short device name as the user selects it, e.g. "cuda", "opencl", "ilgpu-cpu".</summary>
    string Kind { get; }

    /// <summary>Human-readable device description (name, memory).</summary>
    string Description { get; }

    /// <summary>Allocates zeroed device memory; throws <see cref="GanException"/> when it runs out.</summary>
    DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;

    /// <summary>C[m,n] (+)= op(A)·op(B); A is m×k (k×m if transA), B is k×n (n×k if transB).</summary>
    void Gemm(Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate);

    /// <summary>
    /// The Linear forward, y[r,o] = act(Σ_i x[r,i]·W[o,i] + b[o]): x is rows×in, W is out×in (as
    /// torch stores it), y is rows×out; bias may be null. The GEMM with its epilogue: one launch on
    /// ILGPU backends where Gemm + BiasActivation would be two. y must not overlap x or W.
    /// </summary>
    void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int outFeatures, int inFeatures, Activation act, float alpha);

    /// <summary>
    /// The Linear input gradient, dx[r,i] = (Σ_o dy[r,o]·W[o,i])·act'(maskOutput[r,i]): dy is
    /// rows×out, W is out×in, dx and maskOutput are rows×in, maskOutput being the lower layer's
    /// activation output (act' is taken from it, as <see cref="ActivationBackward"/> does). With
    /// maskOutput null (or act Identity) it is the plain dX = dY·W GEMM. One launch on ILGPU backends
    /// where Gemm + ActivationBackward would be two. dx must not overlap dy, W or maskOutput.
    /// </summary>
    void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha);

    /// <summary>y[r,c] = act(x[r,c] + bias[c]) over rows×cols; bias may be null. In place is fine.</summary>
    void BiasActivation(Tensor x, Tensor? bias, Tensor y, int rows, int cols, Activation act, float alpha);

    /// <summary>dx = dy·act'(y), where y is the activation output. In place is fine.</summary>
    void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Activation act, float alpha);

    /// <summary>db[c] (+)= Σ_r dy[r,c].</summary>
    void BiasGrad(Tensor dy, Tensor db, int rows, int cols, bool accumulate);

    void BatchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, Tensor saveMean, Tensor saveInvStd, int rows, int cols, float momentum, float eps);

    void BatchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, int rows, int cols, float eps);

    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, int rows, int cols, bool accumulate);

    /// <summary>
    /// One GAN loss term (<see cref="LossKind"/>) of <paramref name="logits"/> against a constant
    /// target: writes grad = ∂ℓ/∂x·gradScale, and (mean loss, mean output) to stats[statsIndex..+1].
    /// </summary>
    void AdversarialLoss(LossKind kind, Tensor logits, float target, Tensor grad, float gradScale, Tensor stats, int statsIndex);

    /// <summary>
    /// Softmax cross-entropy of logits [rows, classes] against labels[indices[indexOffset + r]];
    /// writes grad = (softmax − onehot)·gradScale, and (mean loss, accuracy) to stats[statsIndex..+1].
    /// </summary>
    void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset,
        int rows, int classes, Tensor grad, float gradScale, Tensor stats, int statsIndex);

    /// <summary>probs[r, :] = softmax(logits[r, :]).</summary>
    void Softmax(Tensor logits, Tensor probs, int rows, int classes);

    /// <summary>One Adam step over a flat parameter buffer.</summary>
    void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars);

    /// <summary>One RMSprop step (centered=False, momentum=0) over a flat parameter buffer.</summary>
    void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s);

    /// <summary>
    /// One SGD step over a flat parameter buffer; with momentum 0 the buffer is neither read nor
    /// written (it may hold anything).
    /// </summary>
    void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s);

    /// <summary>dst[i] = N(mean, std²) from Philox (seed, stream), counter offset + i.</summary>
    void RandomNormal(Tensor dst, ulong seed, uint stream, ulong offset, float mean = 0f, float std = 1f);

    /// <summary>dst[i] = U[low, high) from Philox (seed, stream), counter offset + i.</summary>
    void RandomUniform(Tensor dst, ulong seed, uint stream, ulong offset, float low = 0f, float high = 1f);

    /// <summary>dst[r,:] = bytes of row indices[indexOffset + r], scaled from [0, 255] to [-1, 1].</summary>
    void GatherRows(DeviceBuffer<byte> data, DeviceBuffer<int> indices, int indexOffset, int rows, int cols, Tensor dst);

    void Fill(Tensor dst, float value);

    /// <summary>x[i] = clamp(x[i], min, max) in place (WGAN weight clipping).</summary>
    void Clamp(Tensor x, float min, float max);

    /// <summary>xhat[r, c] = fake[r, c] + eps[r]·(real[r, c] − fake[r, c]) (WGAN-GP interpolates).</summary>
    void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, int rows, int cols);

    /// <summary>
    /// WGAN-GP's penalty on the critic's input gradients g [rows, cols]: writes
    /// dg = gradScale·2λ(‖g_r‖ − 1)·g_r/‖g_r‖ per row, ‖g_r‖ to norms, and (λ·mean (‖g_r‖ − 1)²,
    /// mean ‖g_r‖) to stats[statsIndex..+1].
    /// </summary>
    void GradientPenalty(Tensor g, Tensor dg, Tensor norms, int rows, int cols, float lambda, float gradScale, Tensor stats, int statsIndex);

    /// <summary>dst[r, dstColumn + k] = one-hot of labels[indices[indexOffset + r]] over k &lt; classes; dst rows are dstStride wide.</summary>
    void OneHotLabels(DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset, Tensor dst, int rows, int classes, int dstStride, int dstColumn);

    /// <summary>The same one-hot block for classes drawn from Philox (seed, stream), counter offset + r.</summary>
    void OneHotRandom(Tensor dst, int rows, int classes, int dstStride, int dstColumn, ulong seed, uint stream, ulong offset);

    /// <summary>dst[r, dstColumn + c] = src[r, srcColumn + c] for c &lt; cols.</summary>
    void CopyColumns(Tensor src, Tensor dst, int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn);

    void Copy(Tensor source, Tensor destination);

    void Synchronize();
}
