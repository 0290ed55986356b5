using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Tests.Engine;

public sealed class LatentPathTests
{
    static float[] Gaussian(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
    }

    static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (var x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

    static float[] Slerp(float[] a, float[] b, double t)
    {
        var r = new float[a.Length];
        LatentPath.Slerp(a, b, t, r);
        return r;
    }

    [Fact]
    public void Endpoints_are_exact()
    {
        var a = Gaussian(64, 1);
        var b = Gaussian(64, 2);
        Assert.Equal(a, Slerp(a, b, 0));
        Assert.Equal(b, Slerp(a, b, 1));
    }

    [Fact]
    public void Norm_is_preserved_between_equal_norm_vectors_where_lerp_would_shrink_it()
    {
        var a = Gaussian(64, 3);
        var b = Gaussian(64, 4);
        double scale = Norm(a) / Norm(b);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(b[i] * scale);
        foreach (var t in new[] { 0.1, 0.25, 0.5, 0.9 })
            Assert.Equal(Norm(a), Norm(Slerp(a, b, t)), 1e-4 * Norm(a));
        // The midpoint of two near-orthogonal vectors is far off the shell on the straight line: ~0.71 of the norm.
        var lerp = a.Zip(b, (x, y) => 0.5f * x + 0.5f * y).ToArray();
        Assert.True(Norm(lerp) < 0.85 * Norm(a), $"lerp norm {Norm(lerp)} vs {Norm(a)}");
    }

    [Fact]
    public void Slerp_follows_the_great_circle()
    {
        // Unit vectors 90° apart: at t the result is at angle t·90° from a.
        float[] a = [1, 0], b = [0, 1];
        var m = Slerp(a, b, 1.0 / 3);
        Assert.Equal(Math.Cos(Math.PI / 6), m[0], 1e-6);
        Assert.Equal(Math.Sin(Math.PI / 6), m[1], 1e-6);
    }

    [Fact]
    public void Parallel_and_zero_vectors_fall_back_to_lerp()
    {
        float[] a = [1, 2, 3], b = [2, 4, 6];   // sin Ω = 0: the slerp weights would be 0/0
        var r = Slerp(a, b, 0.25);
        Assert.All(r, v => Assert.True(float.IsFinite(v)));
        Assert.Equal([1.25f, 2.5f, 3.75f], r);
        Assert.Equal([0.5f, 1f, 1.5f], Slerp([0, 0, 0], a, 0.5));
    }

    [Fact]
    public void Between_starts_and_ends_at_its_endpoints()
    {
        var a = Gaussian(8, 5);
        var b = Gaussian(8, 6);
        var path = LatentPath.Between(a, b, 5);
        Assert.Equal(5 * 8, path.Length);
        Assert.Equal(a, path[..8]);
        Assert.Equal(b, path[^8..]);
        Assert.Equal(Slerp(a, b, 0.5), path[16..24]);
    }

    [Fact]
    public void Loop_visits_every_key_and_leaves_out_the_return_to_the_first()
    {
        var keys = Gaussian(3 * 8, 7);   // 3 keys
        var path = LatentPath.Loop(keys, 8, 6);   // 2 frames per segment
        Assert.Equal(6 * 8, path.Length);
        for (int k = 0; k < 3; k++) Assert.Equal(keys[(k * 8)..((k + 1) * 8)], path[(2 * k * 8)..((2 * k + 1) * 8)]);
        // The last frame is halfway from key 2 back to key 0, so repeating the path has no doubled frame.
        Assert.Equal(Slerp(keys[16..24], keys[..8], 0.5), path[^8..]);
    }

    [Fact]
    public void Paths_reject_fewer_than_two_frames()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LatentPath.Between(new float[4], new float[4], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatentPath.Loop(new float[8], 4, 1));
        Assert.Throws<ArgumentException>(() => LatentPath.Loop(new float[4], 4, 5));   // one key is no loop
    }

    /// <summary>Generate on the z of Noise draws what Sample draws, in chunks of any size.</summary>
    [Fact]
    public void Sampler_generate_on_its_noise_reproduces_sample()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ilgpugan-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using var backend = DeviceCatalog.Open("cpu");
            var file = Path.Combine(dir, "G.safetensors");
            using (var g = new Sequential(backend, Presets.Generator(GeneratorKind.Mlp, 16), 16, 8, initSeed: 11))
                SafeTensors.Save(file, g.StateDict());
            using var sampler = new Sampler(backend, file, chunk: 3);   // 7 rows: chunks of 3, 3, 1
            var z = sampler.Noise(7, seed: 5);
            Assert.Equal(7 * 16, z.Length);
            var images = sampler.Generate(z, 7);
            var sampled = sampler.Sample(7, seed: 5);
            Assert.Equal(sampled.Length, images.Length);
            for (int i = 0; i < images.Length; i++) Assert.Equal(sampled[i], images[i], 1e-5f);
            Assert.NotEqual(images[..784], images[784..1568]);   // rows come from different z
            Assert.Throws<ArgumentException>(() => sampler.Generate(z, 6));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
