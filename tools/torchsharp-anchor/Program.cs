// The TorchSharp anchor for `ilgpugan bench`: one GAN training step (PyTorch's DCGAN example
// order, BCE with logits, Adam 2e-4 (0.5, 0.999)) of the seed MLP or the 28x28 DCGAN, timed on
// the CPU. Prints one JSON line per batch: {"model":..,"batch":..,"steps_per_s":..}.
//
//   dotnet run -c Release --project tools/torchsharp-anchor -- --model dcgan --batches 64 --seconds 10 --threads 2
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

string model = "mlp";
int[] batches = [64];
double seconds = 5;
int threads = Environment.ProcessorCount;
bool layers = false;
int reps = 30;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--model": model = Value(); break;
            case "--batches": batches = Value().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
            case "--seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
            case "--threads": threads = int.Parse(Value(), CultureInfo.InvariantCulture); break;
            case "--layers": layers = true; break;
            case "--reps": reps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
            default: throw new FormatException($"unknown argument {args[i]}");
        }
    }
}
catch (FormatException e) { Console.Error.WriteLine($"torchsharp-anchor: {e.Message}"); return 2; }
if (batches.Any(b => b < 1) || threads < 1 || reps < 1 || seconds <= 0) { Console.Error.WriteLine("torchsharp-anchor: --batches, --threads, --reps and --seconds must be positive"); return 2; }
if (model is not ("mlp" or "dcgan")) { Console.Error.WriteLine("torchsharp-anchor: --model must be mlp or dcgan"); return 2; }
torch.set_num_threads(threads);
torch.manual_seed(0);
if (layers)
{
    foreach (int batch in batches) Layers(batch, reps);
    return 0;
}

foreach (int batch in batches)
{
    var (G, D, latentShape, imageShape) = model == "mlp" ? Mlp(batch) : Dcgan(batch);
    var optD = torch.optim.Adam(D.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    var optG = torch.optim.Adam(G.parameters(), lr: 2e-4, beta1: 0.5, beta2: 0.999);
    var crit = BCEWithLogitsLoss();
    var real = torch.rand(imageShape) * 2 - 1;
    var ones = torch.ones(batch);
    var zeros = torch.zeros(batch);

    void Step()
    {
        using var scope = torch.NewDisposeScope();
        var z = torch.randn(latentShape);
        var fake = G.call(z);
        optD.zero_grad();
        var lossD = crit.call(D.call(real).view(-1), ones) + crit.call(D.call(fake.detach()).view(-1), zeros);
        lossD.backward();
        optD.step();
        optG.zero_grad();
        var lossG = crit.call(D.call(fake).view(-1), ones);
        lossG.backward();
        optG.step();
    }

    for (int w = 0; w < 3; w++) Step();
    var sw = Stopwatch.StartNew();
    int steps = 0;
    while (sw.Elapsed.TotalSeconds < seconds) { Step(); steps++; }
    double rate = steps / sw.Elapsed.TotalSeconds;
    Console.WriteLine(FormattableString.Invariant(
        $"{{\"anchor\":\"torchsharp-cpu 0.107\",\"model\":\"{model}\",\"batch\":{batch},\"threads\":{threads},\"steps\":{steps},\"steps_per_s\":{rate:G5},\"ms_per_step\":{1000 / rate:G5}}}"));
}
return 0;

// Each conv of the 28x28 DCGAN alone: y = conv(x), then y.backward(dy) for dx and dw (x requires
// grad), best and median of reps timed runs after warm-up; GFLOP/s counts 3 products (fwd, dx, dw)
// of 2*N*Cout*Hout*Wout*Cin*KH*KW each (for the transpose, Cin/Cout and the image sides swapped).
static void Layers(int batch, int reps)
{
    var convs = new (string Name, Module<Tensor, Tensor> Op, long[] X, double Flops)[]
    {
        ("G convT1 100→128 k7 1→7", ConvTranspose2d(100, 128, 7, stride: 1, padding: 0, bias: false), [batch, 100, 1, 1], 2.0 * batch * 100 * 128 * 49),
        ("G convT2 128→64 k4s2p1 7→14", ConvTranspose2d(128, 64, 4, stride: 2, padding: 1, bias: false), [batch, 128, 7, 7], 2.0 * batch * 128 * 49 * 64 * 16),
        ("G convT3 64→1 k4s2p1 14→28", ConvTranspose2d(64, 1, 4, stride: 2, padding: 1, bias: false), [batch, 64, 14, 14], 2.0 * batch * 64 * 196 * 1 * 16),
        ("D conv1 1→64 k4s2p1 28→14", Conv2d(1, 64, 4, 2, 1, bias: false), [batch, 1, 28, 28], 2.0 * batch * 64 * 196 * 1 * 16),
        ("D conv2 64→128 k4s2p1 14→7", Conv2d(64, 128, 4, 2, 1, bias: false), [batch, 64, 14, 14], 2.0 * batch * 128 * 49 * 64 * 16),
        ("D conv3 128→1 k7 7→1", Conv2d(128, 1, 7, 1, 0, bias: false), [batch, 128, 7, 7], 2.0 * batch * 128 * 49),
    };
    foreach (var (name, op, xShape, flops) in convs)
    {
        var x = torch.randn(xShape).requires_grad_(true);
        Tensor dy;
        using (torch.no_grad()) { using var y0 = op.call(x); dy = torch.randn(y0.shape); }
        void Once()
        {
            using var scope = torch.NewDisposeScope();
            x.grad?.zero_();
            foreach (var p in op.parameters()) p.grad?.zero_();
            var y = op.call(x);
            y.backward([dy]);
        }
        var sw = Stopwatch.StartNew();
        for (int w = 0; w < 200 && (w < 5 || sw.Elapsed.TotalSeconds < 1); w++) Once();
        var ms = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Once();
            ms[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        double best = ms[0], median = ms[reps / 2];
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"anchor\":\"torchsharp-cpu 0.107\",\"layer\":\"{name}\",\"batch\":{batch},\"threads\":{torch.get_num_threads()},\"reps\":{reps},\"best_ms\":{best:F3},\"median_ms\":{median:F3},\"gflops_best\":{3 * flops / 1e6 / best:F1},\"gflops_median\":{3 * flops / 1e6 / median:F1}}}"));
    }
}

static (Module<Tensor, Tensor> G, Module<Tensor, Tensor> D, long[] z, long[] x) Mlp(int batch)
{
    var G = Sequential(Linear(64, 256), LeakyReLU(0.2), BatchNorm1d(256), Linear(256, 512), LeakyReLU(0.2),
        BatchNorm1d(512), Linear(512, 784), Tanh());
    var D = Sequential(Linear(784, 512), LeakyReLU(0.2), Linear(512, 256), LeakyReLU(0.2), Linear(256, 64),
        LeakyReLU(0.2), Linear(64, 1));
    return (G, D, [batch, 64], [batch, 784]);
}

static (Module<Tensor, Tensor> G, Module<Tensor, Tensor> D, long[] z, long[] x) Dcgan(int batch)
{
    var G = Sequential(
        ConvTranspose2d(100, 128, 7, stride: 1, padding: 0, bias: false), BatchNorm2d(128), ReLU(),
        ConvTranspose2d(128, 64, 4, stride: 2, padding: 1, bias: false), BatchNorm2d(64), ReLU(),
        ConvTranspose2d(64, 1, 4, stride: 2, padding: 1, bias: false), Tanh());
    var D = Sequential(
        Conv2d(1, 64, 4, 2, 1, bias: false), LeakyReLU(0.2),
        Conv2d(64, 128, 4, 2, 1, bias: false), BatchNorm2d(128), LeakyReLU(0.2),
        Conv2d(128, 1, 7, 1, 0, bias: false));
    return (G, D, [batch, 100, 1, 1], [batch, 1, 28, 28]);
}
