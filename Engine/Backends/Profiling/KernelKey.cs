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
    OneHotLabels, OneHotRandom, CopyColumns, Copy, Increment,
    MarkNonFinite,
    ConvForward, ConvInputGrad, ConvWeightGrad, ConvBackward, ConvBiasGrad,
    BatchNorm2dTrain, BatchNorm2dEval, BatchNorm2dBackward,
    MaxoutForward, MaxoutBackward,
}

/// <summary>
/// One kernel as a profile reports it: an op and its shape (A, B, C are the op's dimensions, Variant
/// its flags: GEMM form and accumulate, activation (and bias), loss kind). A value type, so looking up a launch
/// in the profiler's dictionary allocates nothing; the readable name is made once per new key.
/// </summary>
public readonly record struct KernelKey(KernelOp Op, long A, long B = 0, long C = 0, int Variant = 0)
{
    public const int TransA = 1, TransB = 2, Accumulate = 4;

    /// <summary>Variant bit of a convolution key: the op is a ConvTranspose2d.</summary>
    public const int Transposed = 8;

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

    public static KernelKey Gemm(GemmProblem p) => Gemm(p.M, p.N, p.K, p.TransA, p.TransB, p.Accumulate);

    public static KernelKey LinearForward(LinearShape s, Act act, bool bias) => LinearForward(s.Rows, s.Out, s.In, act.Kind, bias);

    /// <summary>Without a mask (or with Identity) the op is the plain dX GEMM, and is keyed as one.</summary>
    public static KernelKey LinearInputGrad(LinearShape s, bool masked, Act act) =>
        masked && !act.IsIdentity ? LinearInputGrad(s.Rows, s.In, s.Out, act.Kind) : Gemm(s.InputGrad);

    /// <summary>
    /// A convolution op, keyed as the GEMM it amounts to: A = column-side channels, B = batch·positions,
    /// C = image-side channels·KH·KW, so each product is 2·A·B·C FLOPs as issued (padding taps
    /// included). ConvBackward issues two products (dx and dw).
    /// </summary>
    public static KernelKey Conv(KernelOp op, in Conv2dGeometry g, bool bias, bool accumulate) =>
        new(op, g.ColC, (long)g.N * g.ColumnColsPerImage, g.ColumnRows,
            (g.Transposed ? Transposed : 0) | (accumulate ? Accumulate : 0) | (bias ? WithBias : 0));

    /// <summary>An element-wise op's variant bits: its activation, and whether it adds a bias.</summary>
    public static int ActVariant(Act act, bool bias = false) => (int)act.Kind | (bias ? WithBias : 0);

    public bool Has(int flag) => (Variant & flag) != 0;

    /// <summary>The op family `bench` charges this kernel's time to (see <see cref="Categories"/>).</summary>
    public string Category => CategoryOf(Op);

    /// <summary>
    /// The families of `bench`'s per-op breakdown. A GEMM with an epilogue is "gemm"; "adam" is the
    /// optimizer step whichever optimizer runs (and WGAN's weight clipping); the names stay for the
    /// reports and bench JSON that already use them.
    /// </summary>
    public static readonly string[] Categories = ["gemm", "activation", "batchnorm", "loss", "adam", "data"];

    public static string CategoryOf(KernelOp op) => op switch
    {
        KernelOp.Gemm or KernelOp.LinearForward or KernelOp.LinearInputGrad => "gemm",
        // A convolution is its GEMMs plus the im2col/col2im and layout passes around them.
        KernelOp.ConvForward or KernelOp.ConvInputGrad or KernelOp.ConvWeightGrad or KernelOp.ConvBackward => "gemm",
        KernelOp.ConvBiasGrad => "activation",
        KernelOp.BatchNorm2dTrain or KernelOp.BatchNorm2dEval or KernelOp.BatchNorm2dBackward => "batchnorm",
        KernelOp.BiasActivation or KernelOp.ActivationBackward or KernelOp.BiasGrad => "activation",
        KernelOp.MaxoutForward or KernelOp.MaxoutBackward => "activation",
        KernelOp.BatchNormTrain or KernelOp.BatchNormEval or KernelOp.BatchNormBackward => "batchnorm",
        KernelOp.AdversarialLoss or KernelOp.SoftmaxCrossEntropy or KernelOp.Softmax or KernelOp.Interpolate or KernelOp.GradientPenalty
            or KernelOp.MarkNonFinite => "loss",
        KernelOp.Adam or KernelOp.RmsProp or KernelOp.Sgd or KernelOp.Clamp => "adam",
        KernelOp.RandomNormal or KernelOp.RandomUniform or KernelOp.GatherRows or KernelOp.Fill
            or KernelOp.OneHotLabels or KernelOp.OneHotRandom or KernelOp.CopyColumns or KernelOp.Copy or KernelOp.Increment => "data",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown kernel op"),
    };

    /// <summary>The GEMM FLOPs of one launch, 2·m·n·k, for the GEMM family (epilogues not counted); 0 for other ops.</summary>
    public double GemmFlops => Op switch
    {
        KernelOp.Gemm or KernelOp.LinearForward or KernelOp.LinearInputGrad => 2.0 * A * B * C,
        KernelOp.ConvForward or KernelOp.ConvInputGrad or KernelOp.ConvWeightGrad => 2.0 * A * B * C,
        KernelOp.ConvBackward => 4.0 * A * B * C,
        _ => 0,
    };
}
