using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>The <see cref="IBackend"/> ops a kernel profile tells apart (one per interface method).</summary>
public enum KernelOp
{
    Gemm, LinearForward, LinearInputGrad, BiasActivation, ActivationBackward, BiasGrad,
    BatchNormTrain, BatchNormEval, BatchNormBackward,
    AdversarialLoss, SoftmaxCrossEntropy, Softmax,
    Adam, RmsProp, Sgd,
    RandomNormal, RandomUniform, GatherRows, Fill, Clamp, Interpolate, GradientPenalty,
    OneHotLabels, OneHotRandom, CopyColumns, Copy,
}

/// <summary>
/// One kernel as a profile reports it: an op and its shape (A, B, C are the op's dimensions, Variant
/// its flags: GEMM form and accumulate, activation (and bias), loss kind). A value type, so looking up a launch
/// in the profiler's dictionary allocates nothing; the readable name is made once per new key.
/// </summary>
public readonly record struct KernelKey(KernelOp Op, long A, long B = 0, long C = 0, int Variant = 0)
{
    public const int TransA = 1, TransB = 2, Accumulate = 4;

    /// <summary>Variant bit for element-wise ops that also add a bias.</summary>
    public const int WithBias = 1 << 8;

    public static KernelKey Gemm(int m, int n, int k, bool transA, bool transB, bool accumulate) =>
        new(KernelOp.Gemm, m, n, k, (transA ? TransA : 0) | (transB ? TransB : 0) | (accumulate ? Accumulate : 0));

    /// <summary>The Linear forward, y = act(x·Wᵀ + b): an A·Bᵀ GEMM of rows×out×in with its epilogue.</summary>
    public static KernelKey LinearForward(int rows, int outFeatures, int inFeatures, Activation act, bool bias) =>
        new(KernelOp.LinearForward, rows, outFeatures, inFeatures, (int)act | (bias ? WithBias : 0));

    /// <summary>The Linear input gradient, dx = (dy·W) ⊙ act'(y): an A·B GEMM of rows×in×out with its mask epilogue.</summary>
    public static KernelKey LinearInputGrad(int rows, int inFeatures, int outFeatures, Activation act) =>
        new(KernelOp.LinearInputGrad, rows, inFeatures, outFeatures, (int)act);

    public bool Has(int flag) => (Variant & flag) != 0;
}
