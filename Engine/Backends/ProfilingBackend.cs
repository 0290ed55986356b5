using System.Diagnostics;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends;

/// <summary>
/// A pass-through <see cref="IBackend"/> that, while <see cref="Profiling"/> is on, waits for each
/// op to finish and charges its wall time to a category (gemm, activation, batchnorm, loss, adam,
/// data), and counts the FLOPs of every GEMM. The Linear forward is a GEMM with an epilogue, so its
/// time (bias and activation included) is "gemm" and its FLOPs the GEMM's 2·m·n·k; so is the Linear
/// input gradient with its activation-derivative mask. "adam" is the optimizer step, whichever optimizer
/// runs (RMSprop and SGD too); the name stays for the reports and bench JSON that already use it.
/// Off, it only forwards calls. Waiting per op changes nothing on the CPU backend, whose ops are
/// synchronous; on a GPU it removes overlap, so the breakdown there is an upper bound per op.
/// </summary>
public sealed class ProfilingBackend(IBackend inner) : IBackend
{
    public static readonly string[] Categories = ["gemm", "activation", "batchnorm", "loss", "adam", "data"];

    readonly Dictionary<string, TimeSpan> time = Categories.ToDictionary(c => c, _ => TimeSpan.Zero);

    public IBackend Inner => inner;
    public bool Profiling { get; set; }

    /// <summary>GEMM FLOPs (2·m·n·k each) issued since the last <see cref="Reset"/>, counted whether or not profiling is on.</summary>
    public double GemmFlops { get; private set; }

    public IReadOnlyDictionary<string, TimeSpan> Time => time;

    public void Reset()
    {
        foreach (var c in Categories) time[c] = TimeSpan.Zero;
        GemmFlops = 0;
    }

    /// <summary>While profiling, waits for the device, then charges the time until Dispose to a category.</summary>
    Scope Measure(string category) => Profiling ? new Scope(this, category) : default;

    readonly struct Scope : IDisposable
    {
        readonly ProfilingBackend? owner;
        readonly string category;
        readonly long start;

        public Scope(ProfilingBackend owner, string category)
        {
            this.owner = owner;
            this.category = category;
            owner.Inner.Synchronize();
            start = Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (owner is null) return;
            owner.Inner.Synchronize();
            owner.time[category] += Stopwatch.GetElapsedTime(start);
        }
    }

    public string Kind => inner.Kind;
    public string Description => inner.Description;
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged => inner.Allocate<T>(length);

    public void Gemm(Tensor a, Tensor b, Tensor c, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        GemmFlops += 2.0 * m * n * k;
        using (Measure("gemm")) inner.Gemm(a, b, c, m, n, k, transA, transB, accumulate);
    }

    public void LinearForward(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int outFeatures, int inFeatures, Activation act, float alpha)
    {
        GemmFlops += 2.0 * rows * outFeatures * inFeatures;
        using (Measure("gemm")) inner.LinearForward(x, weight, bias, y, rows, outFeatures, inFeatures, act, alpha);
    }

    public void LinearInputGrad(Tensor dy, Tensor weight, Tensor dx, int rows, int inFeatures, int outFeatures, Tensor? maskOutput, Activation act, float alpha)
    {
        GemmFlops += 2.0 * rows * inFeatures * outFeatures;
        using (Measure("gemm")) inner.LinearInputGrad(dy, weight, dx, rows, inFeatures, outFeatures, maskOutput, act, alpha);
    }

    public void BiasActivation(Tensor x, Tensor? bias, Tensor y, int rows, int cols, Activation act, float alpha)
    {
        using (Measure("activation")) inner.BiasActivation(x, bias, y, rows, cols, act, alpha);
    }

    public void ActivationBackward(Tensor y, Tensor dy, Tensor dx, Activation act, float alpha)
    {
        using (Measure("activation")) inner.ActivationBackward(y, dy, dx, act, alpha);
    }

    public void BiasGrad(Tensor dy, Tensor db, int rows, int cols, bool accumulate)
    {
        using (Measure("activation")) inner.BiasGrad(dy, db, rows, cols, accumulate);
    }

    public void BatchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd, int rows, int cols, float momentum, float eps)
    {
        using (Measure("batchnorm")) inner.BatchNormTrain(x, gamma, beta, runningMean, runningVar, y, saveMean, saveInvStd, rows, cols, momentum, eps);
    }

    public void BatchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int rows, int cols, float eps)
    {
        using (Measure("batchnorm")) inner.BatchNormEval(x, gamma, beta, runningMean, runningVar, y, rows, cols, eps);
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int rows, int cols, bool accumulate)
    {
        using (Measure("batchnorm")) inner.BatchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, rows, cols, accumulate);
    }

    public void AdversarialLoss(LossKind kind, Tensor logits, float target, Tensor grad, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure("loss")) inner.AdversarialLoss(kind, logits, target, grad, gradScale, stats, statsIndex);
    }

    public void SoftmaxCrossEntropy(Tensor logits, DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset,
        int rows, int classes, Tensor grad, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure("loss")) inner.SoftmaxCrossEntropy(logits, labels, indices, indexOffset, rows, classes, grad, gradScale, stats, statsIndex);
    }

    public void Softmax(Tensor logits, Tensor probs, int rows, int classes)
    {
        using (Measure("loss")) inner.Softmax(logits, probs, rows, classes);
    }

    public void Adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamScalars scalars)
    {
        using (Measure("adam")) inner.Adam(param, grad, m, v, scalars);
    }

    public void RmsProp(Tensor param, Tensor grad, Tensor squareAvg, RmsPropScalars s)
    {
        using (Measure("adam")) inner.RmsProp(param, grad, squareAvg, s);
    }

    public void Sgd(Tensor param, Tensor grad, Tensor momentumBuffer, SgdScalars s)
    {
        using (Measure("adam")) inner.Sgd(param, grad, momentumBuffer, s);
    }

    public void RandomNormal(Tensor dst, ulong seed, uint stream, ulong offset, float mean = 0, float std = 1)
    {
        using (Measure("data")) inner.RandomNormal(dst, seed, stream, offset, mean, std);
    }

    public void RandomUniform(Tensor dst, ulong seed, uint stream, ulong offset, float low = 0, float high = 1)
    {
        using (Measure("data")) inner.RandomUniform(dst, seed, stream, offset, low, high);
    }

    public void GatherRows(DeviceBuffer<byte> data, DeviceBuffer<int> indices, int indexOffset, int rows, int cols, Tensor dst)
    {
        using (Measure("data")) inner.GatherRows(data, indices, indexOffset, rows, cols, dst);
    }

    public void Fill(Tensor dst, float value)
    {
        using (Measure("data")) inner.Fill(dst, value);
    }

    public void Clamp(Tensor x, float min, float max)
    {
        using (Measure("adam")) inner.Clamp(x, min, max);
    }

    public void Interpolate(Tensor real, Tensor fake, Tensor eps, Tensor xhat, int rows, int cols)
    {
        using (Measure("loss")) inner.Interpolate(real, fake, eps, xhat, rows, cols);
    }

    public void GradientPenalty(Tensor g, Tensor dg, Tensor norms, int rows, int cols, float lambda, float gradScale, Tensor stats, int statsIndex)
    {
        using (Measure("loss")) inner.GradientPenalty(g, dg, norms, rows, cols, lambda, gradScale, stats, statsIndex);
    }

    public void OneHotLabels(DeviceBuffer<int> labels, DeviceBuffer<int> indices, int indexOffset, Tensor dst, int rows, int classes, int dstStride, int dstColumn)
    {
        using (Measure("data")) inner.OneHotLabels(labels, indices, indexOffset, dst, rows, classes, dstStride, dstColumn);
    }

    public void OneHotRandom(Tensor dst, int rows, int classes, int dstStride, int dstColumn, ulong seed, uint stream, ulong offset)
    {
        using (Measure("data")) inner.OneHotRandom(dst, rows, classes, dstStride, dstColumn, seed, stream, offset);
    }

    public void CopyColumns(Tensor src, Tensor dst, int rows, int cols, int srcStride, int srcColumn, int dstStride, int dstColumn)
    {
        using (Measure("data")) inner.CopyColumns(src, dst, rows, cols, srcStride, srcColumn, dstStride, dstColumn);
    }

    public void Copy(Tensor source, Tensor destination)
    {
        using (Measure("data")) inner.Copy(source, destination);
    }

    public void Synchronize() => inner.Synchronize();

    public void Dispose() => inner.Dispose();
}
