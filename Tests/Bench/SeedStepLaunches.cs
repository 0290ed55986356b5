using System.Globalization;

namespace IlgpuGan.Tests.Bench;

/// <summary>
/// The kernels one step of the seed GAN launches (BCE loss, one D step on real and fake as one
/// batch, Adam, the device's step counters), with launches per
/// step, named as `bench --profile` names them. Derived from the models and the step's order
/// (Engine/Gan/GanTrainer.cs, Engine/Nn/Linear.cs, Presets), not from a run, so a profile that
/// miscounts, or a step that starts launching something else, shows up here.
/// </summary>
public static class SeedStepLaunches
{
    // Linear layers (in, out) and the activation fused into each; BatchNorm follows G's first two.
    static readonly (int In, int Out, string Act)[] G = [(64, 256, "LeakyReLU"), (256, 512, "LeakyReLU"), (512, 784, "Tanh")];
    static readonly (int In, int Out, string Act)[] D = [(784, 512, "LeakyReLU"), (512, 256, "LeakyReLU"), (256, 64, "LeakyReLU"), (64, 1, "Identity")];

    public static Dictionary<string, int> Expected(int b)
    {
        var launches = new Dictionary<string, int>();
        void Add(string name) => launches[name] = launches.GetValueOrDefault(name) + 1;

        void Forward((int In, int Out, string Act)[] model, bool batchNorm, int rows)
        {
            for (int i = 0; i < model.Length; i++)
            {
                var (inF, outF, act) = model[i];
                Add($"gemm+bias+act {act} {rows}x{outF}x{inF} A·Bᵀ");   // Linear.Forward: one op, bias and activation in the GEMM's epilogue
                if (batchNorm && i < model.Length - 1) Add($"batchnorm train {rows}x{outF}");
            }
        }

        // Linear.Backward, last layer first: activation backward, then dW and db, then dX (the
        // first layer's dX only when the caller wants the input gradient). Where the layer below is
        // a Linear with a fused activation (D, not G, whose Linears have BatchNorm between them),
        // the dX GEMM applies that activation's derivative as it stores ("gemm+act'"), and the
        // layer below skips its activation backward: only the top layer's (if any) is launched.
        void Backward((int In, int Out, string Act)[] model, bool batchNorm, bool paramGrads, bool accumulate, bool inputGrad, int rows)
        {
            string acc = accumulate ? " +=" : "";
            for (int i = model.Length - 1; i >= 0; i--)
            {
                var (inF, outF, act) = model[i];
                bool fusedFromAbove = !batchNorm && i < model.Length - 1;
                if (act != "Identity" && !fusedFromAbove) Add($"act backward {act} {rows * outF}");
                if (paramGrads)
                {
                    Add($"gemm {outF}x{inF}x{rows} Aᵀ·B{acc}");
                    Add($"bias grad {rows}x{outF}{acc}");
                }
                string below = i > 0 && !batchNorm ? model[i - 1].Act : "Identity";
                if (below != "Identity") Add($"gemm+act' {below} {rows}x{inF}x{outF} A·B");
                else if (i > 0 || inputGrad) Add($"gemm {rows}x{inF}x{outF} A·B");
                if (batchNorm && i > 0) Add($"batchnorm backward {rows}x{inF}");
            }
        }

        // D step: a real batch, z, fake = G(z) copied beside the real rows; D (no BatchNorm) on both
        // as one batch of 2b, one loss launch per half; Adam on D.
        Add($"gather {b}x784");
        Add($"randn {b * 64}");
        Forward(G, batchNorm: true, b);
        Add($"copy {b * 784}");
        Forward(D, batchNorm: false, 2 * b);
        Add($"loss BceWithLogits {b}");
        Add($"loss BceWithLogits {b}");
        Backward(D, false, paramGrads: true, accumulate: false, inputGrad: false, 2 * b);
        Add($"adam {Parameters(D, 0):N0}");
        Add("increment 2");   // the device's D-update and batch counters (RNG and data offsets)
        // G step: the updated D on the same fake, back to its input only; then G's gradients; Adam on G.
        Forward(D, batchNorm: false, b);
        Add($"loss BceWithLogits {b}");
        Backward(D, false, paramGrads: false, accumulate: false, inputGrad: true, b);
        Backward(G, true, paramGrads: true, accumulate: false, inputGrad: false, b);
        Add($"adam {Parameters(G, 256 + 512):N0}");
        // The divergence check over the step's eight loss statistics (GanTrainer.TrainStep).
        Add("non-finite check 8");
        return launches;
    }

    /// <summary>Weights and biases, plus BatchNorm's γ and β (two per feature).</summary>
    static long Parameters((int In, int Out, string Act)[] model, int batchNormFeatures) =>
        model.Sum(l => (long)l.In * l.Out + l.Out) + 2L * batchNormFeatures;

    public static string Format(IReadOnlyDictionary<string, int> launches) =>
        string.Join("\n", launches.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value,3} {kv.Key}")));
}
