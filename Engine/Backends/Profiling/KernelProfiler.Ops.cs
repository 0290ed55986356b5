using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>The forwarded ops, each keyed by what sets its cost: dimensions and flags.</summary>
public sealed partial class KernelProfiler
{
    static int Act(Activation act, bool bias = false) => (int)act | (bias ? KernelKey.WithBias : 0);

    public void Gemm(Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        using (Measure(KernelKey.Gemm(m, n, k, transA, transB, accumulate))) inner.Gemm(a, b, c, m, n, k, transA, transB, accumulate);
    }

    public void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int outFeatures, int inFeatures, Activation act, float alpha)
    {
        using (Measure(KernelKey.LinearForward(rows, outFeatures, inFeatures, act, bias is not null)))
            inner.LinearForward(x, weight, bias, y, rows, outFeatures, inFeatures, act, alpha);
    }

    /// <summary>Without a mask the op is the plain dX GEMM, and is named as one.</summary>
    public void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha)
    {
        var key = maskOutput is null || act == Activation.Identity
            ? KernelKey.Gemm(rows, inFeatures, outFeatures, false, false, false)
            : KernelKey.LinearInputGrad(rows, inFeatures, outFeatures, act);
        using (Measure(key)) inner.LinearInputGrad(dy, weight, dx, rows, inFeatures, outFeatures, maskOutput, act, alpha);
    }

    public void BiasActivation(Tensor x, Tensor? bias, Tensor y, int rows, int cols, Activation act, float alpha)
    {
        using (Measure(new(KernelOp.BiasActivation, rows, cols, 0, Act(act, bias is not null)))) inner.BiasActivation(x, bias, y, rows, cols, act, alpha);
    }

    public void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Activation act, float alpha)
    {
        using (Measure(new(KernelOp.ActivationBackward, y.Length, 0, 0, Act(act)))) inner.ActivationBackward(y, dy, dx, act, alpha);
    }

    public void BiasGrad(Tensor dy, Tensor db, int rows, int cols, bool accumulate)
    {
        using (Measure(new(KernelOp.BiasGrad, rows, cols, 0, accumulate ? KernelKey.Accumulate : 0))) inner.BiasGrad(dy, db, rows, cols, accumulate);
    }

    public void BatchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd, int rows, int cols, float momentum, float eps)
    {
        using (Measure(new(KernelOp.BatchNormTrain, rows, cols))) inner.BatchNormTrain(x, gamma, beta, runningMean, runningVar, y, saveMean, saveInvStd, rows, cols, momentum, eps);
    }

    public void BatchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int rows, int cols, float eps)
    {
        using (Measure(new(KernelOp.BatchNormEval, rows, cols))) inner.BatchNormEval(x, gamma, beta, runningMean, runningVar, y, rows, cols, eps);
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int rows, int cols, bool accumulate)
    {
        using (Measure(new(KernelOp.BatchNormBackward, rows, cols, 0, accumulate ? KernelKey.Accumulate : 0)))
            inner.BatchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rows, cols, accumulate);
    }

    public void AdversarialLoss(LossKind kind, Tensor logits, float target, Tensor grad, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure(new(KernelOp.AdversarialLoss, logits.Length, 0, 0, (int)kind))) inner.AdversarialLoss(kind, logits, target, grad, gradScale, stats, statsIndex);
    }

    public void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset,
        int rows, int classes, Tensor grad, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure(new(KernelOp.SoftmaxCrossEntropy, rows, classes)))
            inner.SoftmaxCrossEntropy(logits, labels, indices, indexOffset, rows, classes, grad, gradScale, stats, statsIndex);
    }

    public void Softmax(Tensor logits, Tensor probs, int rows, int classes)
    {
        using (Measure(new(KernelOp.Softmax, rows, classes))) inner.Softmax(logits, probs, rows, classes);
    }

    public void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars)
    {
        using (Measure(new(KernelOp.Adam, param.Length))) inner.Adam(param, grad, m, v, scalars);
    }

    public void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s)
    {
        using (Measure(new(KernelOp.RmsProp, param.Length))) inner.RmsProp(param, grad, squareAvg, s);
    }

    public void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s)
    {
        using (Measure(new(KernelOp.Sgd, param.Length, 0, 0, s.Momentum != 0 ? 1 : 0))) inner.Sgd(param, grad, momentumBuffer, s);
    }

    public void RandomNormal(Tensor dst, ulong seed, uint stream, ulong offset, float mean = 0, float std = 1)
    {
        using (Measure(new(KernelOp.RandomNormal, dst.Length))) inner.RandomNormal(dst, seed, stream, offset, mean, std);
    }

    public void RandomUniform(Tensor dst, ulong seed, uint stream, ulong offset, float low = 0, float high = 1)
    {
        using (Measure(new(KernelOp.RandomUniform, dst.Length))) inner.RandomUniform(dst, seed, stream, offset, low, high);
    }

    public void GatherRows(DeviceBuffer<byte> data, DeviceBuffer<int> indices, int indexOffset, int rows, int cols, Tensor dst)
    {
        using (Measure(new(KernelOp.GatherRows, rows, cols))) inner.GatherRows(data, indices, indexOffset, rows, cols, dst);
    }

    public void Fill(Tensor dst, float value)
    {
        using (Measure(new(KernelOp.Fill, dst.Length))) inner.Fill(dst, value);
    }

    public void Clamp(Tensor x, float min, float max)
    {
        using (Measure(new(KernelOp.Clamp, x.Length))) inner.Clamp(x, min, max);
    }

    public void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, int rows, int cols)
    {
        using (Measure(new(KernelOp.Interpolate, rows, cols))) inner.Interpolate(real, fake, eps, xhat, rows, cols);
    }

    public void GradientPenalty(Tensor g, Tensor dg, Tensor norms, int rows, int cols, float lambda, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure(new(KernelOp.GradientPenalty, rows, cols))) inner.GradientPenalty(g, dg, norms, rows, cols, lambda, gradScale, stats, statsIndex);
    }

    public void OneHotLabels(DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset, Tensor dst, int rows, int classes, int dstStride, int dstColumn)
    {
        using (Measure(new(KernelOp.OneHotLabels, rows, classes))) inner.OneHotLabels(labels, indices, indexOffset, dst, rows, classes, dstStride, dstColumn);
    }

    public void OneHotRandom(Tensor dst, int rows, int classes, int dstStride, int dstColumn, ulong seed, uint stream, ulong offset)
    {
        using (Measure(new(KernelOp.OneHotRandom, rows, classes))) inner.OneHotRandom(dst, rows, classes, dstStride, dstColumn, seed, stream, offset);
    }

    public void CopyColumns(Tensor src, Tensor dst, int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn)
    {
        using (Measure(new(KernelOp.CopyColumns, rows, cols))) inner.CopyColumns(src, dst, rows, cols, srcStride, srcColumn, dstStride, dstColumn);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        using (Measure(new(KernelOp.Copy, source.Length))) inner.Copy(source, destination);
    }
}
