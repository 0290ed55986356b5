using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// BatchNorm1d over a row-major [rows, cols] batch, PyTorch semantics: training normalises with the
/// batch mean and biased variance and moves the running mean and the unbiased running variance by
/// <c>momentum</c>; eval uses the running statistics. One thread owns one feature column and walks
/// the rows twice (mean, then squared deviations): two-pass is accurate where E[x²]-E[x]² is not,
/// and neighbouring threads read neighbouring addresses.
/// </summary>
public static class BatchNormKernels
{
    public static void ForwardTrain(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> y, ArrayView<float> saveMean, ArrayView<float> saveInvStd,
        int rows, int cols, float momentum, float eps)
    {
        for (int c = Grid.GlobalIndex.X; c < cols; c += GridStride.Step)
        {
            float sum = 0f;
            for (int r = 0; r < rows; r++) sum += x[r * cols + c];
            float mean = sum / rows;
            float sq = 0f;
            for (int r = 0; r < rows; r++)
            {
                float d = x[r * cols + c] - mean;
                sq += d * d;
            }
            float var = sq / rows;
            float invStd = XMath.Rsqrt(var + eps);
            float g = gamma[c] * invStd, bsh = beta[c];
            for (int r = 0; r < rows; r++)
                y[r * cols + c] = (x[r * cols + c] - mean) * g + bsh;
            saveMean[c] = mean;
            saveInvStd[c] = invStd;
            float unbiased = rows > 1 ? sq / (rows - 1) : var;
            runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
            runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
        }
    }

    public static void ForwardEval(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y,
        int n, int cols, float eps)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
        {
            int c = i % cols;
            y[i] = (x[i] - runningMean[c]) * XMath.Rsqrt(runningVar[c] + eps) * gamma[c] + beta[c];
        }
    }

    /// <summary>
    /// dx = γ·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂)), dγ (+)= Σ(dy·x̂), dβ (+)= Σdy, with x̂ recomputed
    /// from x and the saved statistics rather than stored.
    /// </summary>
    public static void Backward(
        ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd,
        ArrayView<float> dx, ArrayView<float> dgamma, ArrayView<float> dbeta,
        int rows, int cols, int accumulate)
    {
        for (int c = Grid.GlobalIndex.X; c < cols; c += GridStride.Step)
        {
            float mean = saveMean[c], invStd = saveInvStd[c];
            float sumDy = 0f, sumDyXhat = 0f;
            for (int r = 0; r < rows; r++)
            {
                float g = dy[r * cols + c];
                sumDy += g;
                sumDyXhat += g * (x[r * cols + c] - mean) * invStd;
            }
            float k = gamma[c] * invStd / rows;
            for (int r = 0; r < rows; r++)
            {
                float xhat = (x[r * cols + c] - mean) * invStd;
                dx[r * cols + c] = k * (rows * dy[r * cols + c] - sumDy - xhat * sumDyXhat);
            }
            dgamma[c] = accumulate != 0 ? dgamma[c] + sumDyXhat : sumDyXhat;
            dbeta[c] = accumulate != 0 ? dbeta[c] + sumDy : sumDy;
        }
    }

    // ---- float64 references ----

    public sealed record ForwardResult(double[] Y, double[] Mean, double[] InvStd, double[] RunningMean, double[] RunningVar);

    public static ForwardResult ForwardTrainReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int rows, int cols, double momentum, double eps)
    {
        var y = new double[rows * cols];
        var mean = new double[cols]; var inv = new double[cols];
        var rm = new double[cols]; var rv = new double[cols];
        for (int c = 0; c < cols; c++)
        {
            double s = 0; for (int r = 0; r < rows; r++) s += x[r * cols + c];
            double mu = s / rows, sq = 0;
            for (int r = 0; r < rows; r++) { double d = x[r * cols + c] - mu; sq += d * d; }
            double var = sq / rows, invStd = 1 / Math.Sqrt(var + eps);
            for (int r = 0; r < rows; r++) y[r * cols + c] = (x[r * cols + c] - mu) * invStd * gamma[c] + beta[c];
            mean[c] = mu; inv[c] = invStd;
            rm[c] = (1 - momentum) * runningMean[c] + momentum * mu;
            rv[c] = (1 - momentum) * runningVar[c] + momentum * (rows > 1 ? sq / (rows - 1) : var);
        }
        return new ForwardResult(y, mean, inv, rm, rv);
    }

    public static double[] ForwardEvalReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int cols, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % cols;
            y[i] = (x[i] - runningMean[c]) / Math.Sqrt(runningVar[c] + eps) * gamma[c] + beta[c];
        }
        return y;
    }

    /// <summary>Backward reference that recomputes the batch statistics from x in float64.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) BackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, int rows, int cols, double eps)
    {
        var dx = new double[rows * cols]; var dg = new double[cols]; var db = new double[cols];
        for (int c = 0; c < cols; c++)
        {
            double s = 0; for (int r = 0; r < rows; r++) s += x[r * cols + c];
            double mu = s / rows, sq = 0;
            for (int r = 0; r < rows; r++) { double d = x[r * cols + c] - mu; sq += d * d; }
            double inv = 1 / Math.Sqrt(sq / rows + eps);
            double sDy = 0, sDyX = 0;
            for (int r = 0; r < rows; r++) { sDy += dy[r * cols + c]; sDyX += dy[r * cols + c] * (x[r * cols + c] - mu) * inv; }
            for (int r = 0; r < rows; r++)
            {
                double xh = (x[r * cols + c] - mu) * inv;
                dx[r * cols + c] = gamma[c] * inv / rows * (rows * dy[r * cols + c] - sDy - xh * sDyX);
            }
            dg[c] = sDyX; db[c] = sDy;
        }
        return (dx, dg, db);
    }

    // ---- the grouped BatchNorm (Engine's BatchNorm1d with groups > 1: no kernel of its own) ----

    /// <summary>Rows g, g + groups, g + 2·groups, … of a rows×cols batch, as one batch.</summary>
    static float[] GroupRows(ReadOnlySpan<float> x, int rows, int cols, int groups, int g)
    {
        var part = new float[rows / groups * cols];
        for (int r = 0; r < rows / groups; r++) x.Slice((r * groups + g) * cols, cols).CopyTo(part.AsSpan(r * cols));
        return part;
    }

    /// <summary>
    /// BatchNorm over each interleaved group of the batch apart (row i in group i mod groups), the
    /// plain reference run once per group: y per group, and the running statistics each group would
    /// move them to, averaged over the groups. Mean and InvStd are [groups, cols].
    /// </summary>
    public static ForwardResult GroupedForwardTrainReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int rows, int cols, int groups, double momentum, double eps)
    {
        var y = new double[rows * cols];
        var mean = new double[groups * cols]; var inv = new double[groups * cols];
        var rm = new double[cols]; var rv = new double[cols];
        for (int g = 0; g < groups; g++)
        {
            var r = ForwardTrainReference(GroupRows(x, rows, cols, groups, g), gamma, beta, runningMean, runningVar, rows / groups, cols, momentum, eps);
            for (int k = 0; k < rows / groups; k++) Array.Copy(r.Y, k * cols, y, (k * groups + g) * cols, cols);
            Array.Copy(r.Mean, 0, mean, g * cols, cols);
            Array.Copy(r.InvStd, 0, inv, g * cols, cols);
            for (int c = 0; c < cols; c++) { rm[c] += r.RunningMean[c] / groups; rv[c] += r.RunningVar[c] / groups; }
        }
        return new ForwardResult(y, mean, inv, rm, rv);
    }

    /// <summary>The grouped backward: each group's own, dγ and dβ summed over the groups.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) GroupedBackwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, int rows, int cols, int groups, double eps)
    {
        var dx = new double[rows * cols]; var dg = new double[cols]; var db = new double[cols];
        for (int g = 0; g < groups; g++)
        {
            var (gdx, gdg, gdb) = BackwardReference(GroupRows(x, rows, cols, groups, g), GroupRows(dy, rows, cols, groups, g), gamma, rows / groups, cols, eps);
            for (int k = 0; k < rows / groups; k++) Array.Copy(gdx, k * cols, dx, (k * groups + g) * cols, cols);
            for (int c = 0; c < cols; c++) { dg[c] += gdg[c]; db[c] += gdb[c]; }
        }
        return (dx, dg, db);
    }
}
