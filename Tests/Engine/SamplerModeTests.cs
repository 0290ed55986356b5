using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// Sampling with G in train mode (batch statistics, as pytorch/examples draws its grids) or eval
/// mode (running statistics): which images a group shares its statistics with, and that the file
/// is only read.
/// </summary>
public sealed class SamplerModeTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    /// <summary>A dcgan G whose running statistics are far from any batch's, so the two modes must differ.</summary>
    static string SaveGenerator(IBackend b, string dir)
    {
        using var g = new Sequential(b, DcganPresets.Generator(100, 28, 1), 100, 2, initSeed: 5);
        var state = g.StateDict().Select(t => t.Name.EndsWith("running_var") ? t with { Floats = t.Floats!.Select(_ => 9f).ToArray() } : t).ToList();
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "G.safetensors");
        SafeTensors.Save(file, state, new Dictionary<string, string>
        {
            ["model"] = "dcgan", ["image_size"] = "28", ["channels"] = "1", ["latent"] = "100",
        });
        return file;
    }

    [Fact]
    public void Train_mode_normalises_each_group_of_64_by_its_own_statistics()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"sampler-mode-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            string file = SaveGenerator(fixture.Backend, dir);
            byte[] before = File.ReadAllBytes(file);
            using var eval = new Sampler(fixture.Backend, file);
            using var train = new Sampler(fixture.Backend, file, mode: GeneratorMode.Train);
            const int n = 130;   // groups of 64, 64 and 2
            var z = eval.Noise(n, seed: 3);
            var e = eval.Generate(z, n);
            var t = train.Generate(z, n);
            Assert.True(MaxDiff(e, t) > 0.05, "running and batch statistics should give different images here");

            // Each group of 64 is normalised alone: the same 64 z on their own give the same images.
            var second = train.Generate(z.AsSpan(64 * 100, 64 * 100), 64);
            Assert.True(MaxDiff(t.AsSpan(64 * 784, 64 * 784), second) < 1e-5);
            // New companions for image 0 (rows 1..63 of its group) change image 0 but not the
            // last, short group, which is its own batch.
            var shifted = (float[])z.Clone();
            z.AsSpan(64 * 100, 63 * 100).CopyTo(shifted.AsSpan(100));
            var t2 = train.Generate(shifted, n);
            Assert.True(MaxDiff(t.AsSpan(128 * 784), t2.AsSpan(128 * 784)) < 1e-5);
            Assert.True(MaxDiff(t.AsSpan(0, 784), t2.AsSpan(0, 784)) > 1e-3);

            // Eval mode: an image depends on its z alone.
            var one = eval.Generate(z.AsSpan(0, 100), 1);
            Assert.True(MaxDiff(e.AsSpan(0, 784), one) < 1e-5);

            Assert.Equal(before, File.ReadAllBytes(file));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Train_mode_refuses_a_last_group_of_one_before_any_work()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"sampler-mode-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using var train = new Sampler(fixture.Backend, SaveGenerator(fixture.Backend, dir), mode: GeneratorMode.Train);
            var e = Assert.Throws<GanException>(() => train.Sample(65, seed: 0));
            Assert.Contains("group", e.Message);
            Assert.Equal(66 * 784, train.Sample(66, seed: 0).Length);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
