using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>A kernel's readable name and the work one launch does, by <see cref="KernelCost.Of"/>'s rules.</summary>
public sealed record KernelCostInfo(string Name, double Flops, double Bytes);

/// <summary>
/// Names kernels and counts their FLOPs and bytes per launch. The rules, so the GFLOP/s and GB/s a
/// profile prints can be checked by hand:
/// GEMM m×n×k: 2mnk FLOPs; (mk + kn + mn [+ mn if it accumulates])·4 bytes.
/// Linear forward (GEMM with bias+act epilogue) m×n×k: 2mnk + 2 per output element (1 without a
/// bias) FLOPs; (mk + kn + mn [+ n for the bias])·4 bytes: the epilogue adds no pass over C.
/// Linear input gradient (A·B GEMM with the act' mask epilogue) m×n×k: 2mnk + 1 per output
/// element FLOPs; (mk + kn + 2mn)·4 bytes (C written, the activation output read).
/// Other ops: bytes are the compulsory traffic, every input read once and every output written
/// once (a kernel that re-reads, such as BatchNorm's column passes, moves more than that, so its
/// GB/s is a lower bound); FLOPs are the arithmetic of the op's formula per element (bias+act 2,
/// activation backward 2, bias grad 1, maxout pieces − 1 per unit either way, BatchNorm 8 forward / 4 eval / 10 backward), Adam 12 FLOPs
/// with 4 reads + 3 writes per parameter, RMSprop 8 with 3 + 2, SGD 4 with 3 + 2 (2 + 1 without
/// momentum). Random numbers, gathers, copies, fills, clamps, one-hots, losses and the non-finite check (one read per value) count bytes only
/// (their FLOPs are not comparable with a GEMM's), reported as 0 FLOPs.
/// </summary>
public static class KernelCost
{
    const double F = sizeof(float);

    public static KernelCostInfo Of(KernelKey k)
    {
        long a = k.A, b = k.B, c = k.C, n = a * b;
        bool acc = k.Has(KernelKey.Accumulate);
        switch (k.Op)
        {
            case KernelOp.Gemm:
                string form = (k.Has(KernelKey.TransA) ? "Aᵀ" : "A") + "·" + (k.Has(KernelKey.TransB) ? "Bᵀ" : "B");
                return new($"gemm {a}x{b}x{c} {form}{(acc ? " +=" : "")}", 2.0 * a * b * c, F * (a * c + c * b + a * b * (acc ? 2 : 1)));
            case KernelOp.LinearForward:
                bool withBias = k.Has(KernelKey.WithBias);
                return new($"gemm+{(withBias ? "bias+" : "")}act {Act(k)} {a}x{b}x{c} A·Bᵀ", 2.0 * a * b * c + n * (withBias ? 2.0 : 1.0),
                    F * (a * c + c * b + n + (withBias ? b : 0)));
            case KernelOp.LinearInputGrad:
                return new($"gemm+act' {Act(k)} {a}x{b}x{c} A·B", 2.0 * a * b * c + n, F * (a * c + c * b + 2 * n));
            case KernelOp.BiasActivation:
                bool bias = k.Has(KernelKey.WithBias);
                return new($"{(bias ? "bias+act" : "act")} {Act(k)} {a}x{b}", n * (bias ? 2.0 : 1.0), F * (2 * n + (bias ? b : 0)));
            case KernelOp.ActivationBackward:
                return new($"act backward {Act(k)} {a}", 2.0 * a, F * 3 * a);
            case KernelOp.BiasGrad:
                return new($"bias grad {a}x{b}{(acc ? " +=" : "")}", n, F * (n + b * (acc ? 2 : 1)));
            case KernelOp.MaxoutForward:   // pieces − 1 comparisons per unit; pre read, y written
                return new($"maxout {a}x{b}x{c}", n * (c - 1.0), F * (n * c + n));
            case KernelOp.MaxoutBackward:  // the argmax again; pre and dy read, dpre written
                return new($"maxout backward {a}x{b}x{c}", n * (c - 1.0), F * (2 * n * c + n));
            case KernelOp.BatchNormTrain:
                return new($"batchnorm train {a}x{b}", 8.0 * n, F * (2 * n + 8 * b));
            case KernelOp.BatchNormEval:
                return new($"batchnorm eval {a}x{b}", 4.0 * n, F * (2 * n + 4 * b));
            case KernelOp.BatchNormBackward:
                return new($"batchnorm backward {a}x{b}{(acc ? " +=" : "")}", 10.0 * n, F * (3 * n + 5 * b + (acc ? 2 * b : 0)));
            case KernelOp.AdversarialLoss:
                return new($"loss {(LossKind)k.Variant} {a}", 0, F * (2 * a + 2));
            case KernelOp.SoftmaxCrossEntropy:
                return new($"softmax xent {a}x{b}", 0, F * (2 * n + 2 * a + 2));
            case KernelOp.Softmax:
                return new($"softmax {a}x{b}", 0, F * 2 * n);
            case KernelOp.Adam:
                return new($"adam {a:N0}", 12.0 * a, F * 7 * a);
            case KernelOp.RmsProp:
                return new($"rmsprop {a:N0}", 8.0 * a, F * 5 * a);
            case KernelOp.Sgd:
                bool momentum = k.Variant != 0;
                return new($"sgd {a:N0}{(momentum ? " momentum" : "")}", 4.0 * a, F * (momentum ? 5 : 3) * a);
            case KernelOp.RandomNormal:
                return new($"randn {a}", 0, F * a);
            case KernelOp.RandomUniform:
                return new($"rand {a}", 0, F * a);
            case KernelOp.GatherRows:
                return new($"gather {a}x{b}", 0, n + F * (n + a));   // bytes in, floats out, one index per row
            case KernelOp.Fill:
                return new($"fill {a}", 0, F * a);
            case KernelOp.Clamp:
                return new($"clamp {a}", 0, F * 2 * a);
            case KernelOp.MarkNonFinite:
                return new($"non-finite check {a:N0}", 0, F * a);
            case KernelOp.Interpolate:
                return new($"interpolate {a}x{b}", 3.0 * n, F * (3 * n + a));
            case KernelOp.GradientPenalty:
                return new($"gradient penalty {a}x{b}", 4.0 * n, F * (2 * n + 2 * a + 2));
            // A = rows, B = classes, C = plane (values per class: 1, or H·W for one-hot maps).
            case KernelOp.OneHotLabels:
                return new($"one-hot labels {a}x{b}{Plane(c)}", 0, F * (n * Math.Max(c, 1) + 2 * a));
            case KernelOp.OneHotRandom:
                return new($"one-hot random {a}x{b}{Plane(c)}", 0, F * n * Math.Max(c, 1));
            case KernelOp.CopyColumns:
                return new($"copy columns {a}x{b}", 0, F * 2 * n);
            case KernelOp.Copy:
                return new($"copy {a}", 0, F * 2 * a);
            case KernelOp.Increment:
                return new($"increment {a}", 0, 16.0 * a);
            case KernelOp.ConvForward or KernelOp.ConvInputGrad or KernelOp.ConvWeightGrad or KernelOp.ConvBackward:
                return Conv(k);
            case KernelOp.ConvBiasGrad:
                return new($"conv bias grad {a}x{b}x{c}{(acc ? " +=" : "")}", (double)a * b * c, F * (a * b * c + b * (acc ? 2 : 1)));
            case KernelOp.BatchNorm2dTrain:
                return new($"batchnorm2d train {a}x{b}x{c}", 8.0 * a * b * c, F * (2 * a * b * c + 8 * b));
            case KernelOp.BatchNorm2dEval:
                return new($"batchnorm2d eval {a}x{b}x{c}", 4.0 * a * b * c, F * (2 * a * b * c + 4 * b));
            case KernelOp.BatchNorm2dBackward:
                return new($"batchnorm2d backward {a}x{b}x{c}{(acc ? " +=" : "")}", 10.0 * a * b * c, F * (3 * a * b * c + 5 * b + (acc ? 2 * b : 0)));
            default:
                throw new ArgumentOutOfRangeException(nameof(k), k.Op, "unknown kernel op");
        }
    }

    /// <summary>
    /// A convolution op keyed as its GEMM (A = column-side channels, B = batch·positions, C = image-side
    /// channels·KH·KW): 2·A·B·C FLOPs per product (4·A·B·C for the two-gradient backward); bytes are
    /// the column matrix written and read once per product plus the GEMM's operands.
    /// </summary>
    static KernelCostInfo Conv(KernelKey k)
    {
        long a = k.A, b = k.B, c = k.C;
        string kind = k.Has(KernelKey.Transposed) ? "convT" : "conv";
        string what = k.Op switch
        {
            KernelOp.ConvForward => k.Has(KernelKey.WithBias) ? "forward+bias" : "forward",
            KernelOp.ConvInputGrad => "dx",
            KernelOp.ConvWeightGrad => "dw",
            _ => "dx+dw",
        };
        int products = k.Op == KernelOp.ConvBackward ? 2 : 1;
        double bytes = products * F * (2.0 * c * b + a * c + 2.0 * a * b);
        return new($"{kind} {what} {a}x{b}x{c}{(k.Has(KernelKey.Accumulate) ? " +=" : "")}", products * 2.0 * a * b * c, bytes);
    }

    /// <summary>A one-hot block's plane in its name when it is a map (plane above 1).</summary>
    static string Plane(long plane) => plane > 1 ? $"x{plane}" : "";

    static string Act(KernelKey k) => ((Activation)(k.Variant & 0xff)).ToString();
}
