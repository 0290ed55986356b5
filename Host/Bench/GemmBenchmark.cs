using System.Diagnostics;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Profiling;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Kernels;

namespace IlgpuGan.Host.Bench;

/// <summary>
/// One GEMM shape: C[m,n] = op(A)·op(B) in the named form; with an <paramref name="Epilogue"/>
/// activation, a Linear forward (A·Bᵀ plus bias and that activation, as the step runs it); with a
/// <paramref name="Mask"/> activation, a Linear input gradient (A·B times that activation's
/// derivative from an M×N activation output, as the step runs a dX over a fused lower layer).
/// </summary>
public sealed record GemmShape(string Label, int M, int N, int K, bool TransA, bool TransB, Activation? Epilogue = null, Activation? Mask = null)
{
    public string Form => (TransA ? "Aᵀ" : "A") + "·" + (TransB ? "Bᵀ" : "B");

    /// <summary>"bias+Tanh" and the like for a Linear forward; "LeakyReLU'" and the like for a masked input gradient; "none" for a plain GEMM.</summary>
    public string EpilogueName => Epilogue is { } act ? $"bias+{act}" : Mask is { } m ? $"{m}'" : "none";

    /// <summary>The GEMM's 2mnk: the epilogue's few FLOPs per output are left out, so rates compare with plain GEMMs.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>The kernel as `bench --profile` names it.</summary>
    public KernelKey Key => Epilogue is { } act
        ? KernelKey.LinearForward(M, N, K, act, bias: true)
        : Mask is { } m
            ? KernelKey.LinearInputGrad(M, N, K, m)
            : KernelKey.Gemm(M, N, K, TransA, TransB, accumulate: false);
}

public sealed record GemmResult(GemmShape Shape, double Ms, double Gflops);

/// <summary>
/// GEMM throughput over a grid of shapes: the square 1024³ (and 4096³ on request), and every GEMM
/// the seed GAN's step issues, at batch 64 and 4096, in the form the engine issues it: forward
/// GEMMs as Linear forwards, with their bias and activation epilogue, and input gradients over a
/// Linear with a fused activation as Linear input gradients, with that activation's derivative.
/// </summary>
public static class GemmBenchmark
{
    public static List<GemmShape> Shapes(bool large)
    {
        var list = new List<GemmShape>
        {
            new("square", 1024, 1024, 1024, false, false),
            new("square", 1024, 1024, 1024, false, true),
            new("square", 1024, 1024, 1024, true, false),
        };
        if (large) list.Add(new("square", 4096, 4096, 4096, false, false));
        foreach (int b in new[] { 64, 4096 }) list.AddRange(SeedStepShapes(b));
        return list;
    }

    /// <summary>
    /// The GEMMs of one seed-GAN step (Engine/Gan/GanTrainer.cs, Engine/Nn/Linear.cs) at batch b:
    /// forward x·Wᵀ (A·Bᵀ, rows×out×in), input gradient dy·W (A·B, rows×in×out) and weight
    /// gradient dyᵀ·x (Aᵀ·B, out×in×rows); the forward carries the layer's bias and the activation
    /// fused into it (Identity for the last layer of D); the input gradient carries the derivative
    /// of the activation fused into the Linear below, when there is one (D's, not G's, whose
    /// Linears are separated by BatchNorm). G runs on b rows and never needs dL/dz. D runs twice:
    /// in the D step on real and fake as one batch of 2b rows (weight gradients, and input
    /// gradients only between its layers), and in the G step on b rows (input gradients only).
    /// </summary>
    public static IEnumerable<GemmShape> SeedStepShapes(int b)
    {
        var g = Linears(Presets.Generator(GeneratorKind.Mlp, 64));
        for (int i = 0; i < g.Count; i++)
        {
            var (inF, outF, act, below) = g[i];
            yield return new($"G L{i + 1} fwd, B={b}", b, outF, inF, false, true, act);
            if (i > 0) yield return new($"G L{i + 1} dX, B={b}", b, inF, outF, false, false, Mask: below);
            yield return new($"G L{i + 1} dW, B={b}", outF, inF, b, true, false);
        }
        var d = Linears(Presets.Discriminator());
        for (int i = 0; i < d.Count; i++)
        {
            var (inF, outF, act, below) = d[i];
            yield return new($"D L{i + 1} fwd, 2B={2 * b}", 2 * b, outF, inF, false, true, act);
            if (i > 0) yield return new($"D L{i + 1} dX, 2B={2 * b}", 2 * b, inF, outF, false, false, Mask: below);
            yield return new($"D L{i + 1} dW, 2B={2 * b}", outF, inF, 2 * b, true, false);
            yield return new($"D L{i + 1} fwd, B={b}", b, outF, inF, false, true, act);
            yield return new($"D L{i + 1} dX, B={b}", b, inF, outF, false, false, Mask: below);
        }
    }

    /// <summary>
    /// Each Linear with the activation the model fuses into it (the spec's next layer, when that is
    /// an activation), and the one fused into the layer below when that is a Linear (its input
    /// gradient's mask: Sequential fuses it into this Linear's dX GEMM).
    /// </summary>
    static List<(int In, int Out, Activation Act, Activation? Below)> Linears(IReadOnlyList<LayerSpec> spec) =>
        spec.Select((layer, i) => (layer, i, next: i + 1 < spec.Count ? spec[i + 1] : null))
            .Where(p => p.layer is LinearSpec)
            .Select(p => (((LinearSpec)p.layer).InFeatures, ((LinearSpec)p.layer).OutFeatures, p.next is ActivationSpec a ? a.Kind : Activation.Identity,
                p.i >= 2 && spec[p.i - 2] is LinearSpec && spec[p.i - 1] is ActivationSpec { Kind: not Activation.Identity } below ? below.Kind : (Activation?)null))
            .ToList();

    public static List<GemmResult> Run(IBackend backend, IReadOnlyList<GemmShape> shapes, TimeSpan minTime)
    {
        long maxA = shapes.Max(s => (long)s.M * s.K), maxB = shapes.Max(s => (long)s.K * s.N), maxC = shapes.Max(s => (long)s.M * s.N);
        using var a = backend.Allocate<float>(maxA);
        using var b = backend.Allocate<float>(maxB);
        using var c = backend.Allocate<float>(maxC);
        using var bias = backend.Allocate<float>(shapes.Max(s => s.N));
        using var mask = backend.Allocate<float>(shapes.Any(s => s.Mask is not null) ? maxC : 1);   // zeros: a valid activation output
        var results = new List<GemmResult>();
        foreach (var s in shapes)
        {
            var ta = Tensor.Whole(a).Slice(0, s.M * s.K);
            var tb = Tensor.Whole(b).Slice(0, s.K * s.N);
            var tc = Tensor.Whole(c).Slice(0, s.M * s.N);
            var tbias = Tensor.Whole(bias).Slice(0, s.N);
            var tmask = s.Mask is null ? default : Tensor.Whole(mask).Slice(0, s.M * s.N);
            void Once()
            {
                if (s.Epilogue is { } act) backend.LinearForward(ta, tb, tbias, tc, new(Rows: s.M, In: s.K, Out: s.N), new(act, 0.2f));
                else if (s.Mask is { } m) backend.LinearInputGrad(ta, tb, tc, new(Rows: s.M, In: s.N, Out: s.K), tmask, new(m, 0.2f));
                else backend.Gemm(ta, tb, tc, new(s.M, s.N, s.K, s.TransA, s.TransB));
            }
            Once();   // warm-up (and JIT/compile)
            backend.Synchronize();
            int reps = 0;
            var clock = Stopwatch.StartNew();
            while (reps < 3 || clock.Elapsed < minTime)
            {
                Once();
                reps++;
                if (reps % 8 == 0) backend.Synchronize();
            }
            backend.Synchronize();
            double ms = clock.Elapsed.TotalMilliseconds / reps;
            results.Add(new GemmResult(s, ms, s.Flops / (ms * 1e6)));
        }
        return results;
    }
}
