using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Host.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using System.Buffers.Binary;
using System.Text.Json;

namespace IlgpuGan.Tests.Cli;

/// <summary>One uninterrupted 4-step run on the simulator, shared by the tests below.</summary>
public sealed class ShortRunFixture
{
    public const int Steps = 4;
    public readonly string Dir = Path.Combine(Ilgpugan.TempDir(), "run");
    public readonly CliResult Result;

    public ShortRunFixture() =>
        Result = Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "cpu", "--steps", $"{Steps}", "--batch", "4",
            "--sample-every", "2", "--checkpoint-every", "2", "--log-every", "1", "--seed", "3", "--out", Dir);
}

public sealed class TrainCliTests(ShortRunFixture run) : IClassFixture<ShortRunFixture>
{
    [Fact]
    public void Train_writes_grids_metrics_config_and_checkpoint()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        foreach (var step in new[] { 2, 4 })
        {
            using var grid = Image.Load(Path.Combine(run.Dir, "samples", $"step_{step:D6}.png"));
            Assert.Equal((8 * 28 + 9 * 2, 8 * 28 + 9 * 2), (grid.Width, grid.Height));   // 8×8 digits
        }
        var rows = File.ReadAllLines(Path.Combine(run.Dir, "metrics.csv"));
        Assert.Equal("step,d_steps,d_loss,g_loss,d_x,d_g_z,gp,steps_per_s,fid,is_mean,is_std,modes_covered,kl_uniform,precision,recall", rows[0]);
        Assert.Equal(["1", "2", "3", "4"], rows.Skip(1).Select(r => r.Split(',')[0]));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Dir, "config.json")));
        Assert.Equal("cpu", config.RootElement.GetProperty("device").GetString());
        Assert.Equal(4, config.RootElement.GetProperty("config").GetProperty("batch").GetInt32());
        foreach (var f in new[] { "G.safetensors", "D.safetensors", "optimizer.safetensors", "state.json" })
            Assert.True(File.Exists(Path.Combine(run.Dir, "checkpoint", f)), f);
        Assert.Contains("step 4/4", run.Result.Stderr);   // progress went to the log
    }

    [Fact]
    public void Train_writes_a_timeline_gif_of_its_sample_grids()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        var samples = Path.Combine(run.Dir, "samples");
        var grids = Directory.GetFiles(samples, "step_*.png").Order().ToArray();
        Assert.Equal(2, grids.Length);   // steps 2 and 4
        using var gif = Image.Load<L8>(Path.Combine(samples, "timeline.gif"));
        Assert.Equal(grids.Length, gif.Frames.Count);
        // In step order: frame k is grid k, pixel for pixel (the GIF palette holds every gray level).
        for (int k = 0; k < grids.Length; k++)
        {
            using var grid = Image.Load<L8>(grids[k]);
            Assert.Equal((grid.Width, grid.Height), (gif.Width, gif.Height));
            for (int y = 0; y < grid.Height; y += 3)
                for (int x = 0; x < grid.Width; x += 3)
                    Assert.Equal(grid[x, y].PackedValue, gif.Frames[k][x, y].PackedValue);
        }
        Assert.True(gif.Frames[^1].Metadata.GetGifMetadata().FrameDelay > gif.Frames[0].Metadata.GetGifMetadata().FrameDelay, "the last frame holds");
    }

    /// <summary>
    /// Parses G.safetensors by the format's own rules, as safetensors.torch.load_file would, and
    /// checks that its names, dtypes and shapes are those of torch's nn.Sequential state_dict.
    /// </summary>
    [Fact]
    public void Checkpoint_is_a_pytorch_loadable_safetensors_state_dict()
    {
        var bytes = File.ReadAllBytes(Path.Combine(run.Dir, "checkpoint", "G.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var expected = new (string Name, string Dtype, int[] Shape)[]
        {
            ("0.weight", "F32", [256, 64]), ("0.bias", "F32", [256]),
            ("2.weight", "F32", [256]), ("2.bias", "F32", [256]), ("2.running_mean", "F32", [256]), ("2.running_var", "F32", [256]), ("2.num_batches_tracked", "I64", []),
            ("3.weight", "F32", [512, 256]), ("3.bias", "F32", [512]),
            ("5.weight", "F32", [512]), ("5.bias", "F32", [512]), ("5.running_mean", "F32", [512]), ("5.running_var", "F32", [512]), ("5.num_batches_tracked", "I64", []),
            ("6.weight", "F32", [784, 512]), ("6.bias", "F32", [784]),
        };
        var entries = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        Assert.Equal(expected.Select(e => e.Name).Order(), entries.Select(e => e.Name).Order());
        var spans = new List<(long Begin, long End)>();
        foreach (var (name, dtype, shape) in expected)
        {
            var e = header.RootElement.GetProperty(name);
            Assert.Equal(dtype, e.GetProperty("dtype").GetString());
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()));
            var offs = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            Assert.Equal(shape.Aggregate(1L, (a, b) => a * b) * (dtype == "I64" ? 8 : 4), offs[1] - offs[0]);
            spans.Add((offs[0], offs[1]));
        }
        // The data section is exactly covered, without gaps or overlaps.
        spans.Sort();
        Assert.Equal(0, spans[0].Begin);
        for (int i = 1; i < spans.Count; i++) Assert.Equal(spans[i - 1].End, spans[i].Begin);
        Assert.Equal(bytes.Length - 8 - n, spans[^1].End);
        // BatchNorm counted one training forward per step.
        var g = SafeTensors.Load(Path.Combine(run.Dir, "checkpoint", "G.safetensors")).Tensors;
        Assert.Equal(ShortRunFixture.Steps, g["2.num_batches_tracked"].Longs![0]);
    }

    [Fact]
    public void Resume_continues_the_step_count_and_reproduces_the_uninterrupted_run()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        string[] common = ["--data", Ilgpugan.Mnist, "--device", "cpu", "--sample-every", "2", "--checkpoint-every", "2", "--log-every", "1"];
        var first = Ilgpugan.Run(["train", .. common, "--steps", "2", "--batch", "4", "--seed", "3", "--out", dir]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = Ilgpugan.Run(["train", "--resume", dir, "--steps", $"{ShortRunFixture.Steps}"]);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("resumed", second.Stderr);
        using (var timeline = Image.Load(Path.Combine(dir, "samples", "timeline.gif")))
            Assert.Equal(2, timeline.Frames.Count);   // the first session's grid (step 2) and the second's (step 4)

        foreach (var f in new[] { "G.safetensors", "D.safetensors", "optimizer.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(run.Dir, "checkpoint", f)).SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "checkpoint", f))),
                $"{f} differs from the uninterrupted run");
        static IEnumerable<string> Losses(string d) => File.ReadAllLines(Path.Combine(d, "metrics.csv")).Select(l => string.Join(',', l.Split(',')[..7]));
        Assert.Equal(Losses(run.Dir), Losses(dir));
    }

    [Fact]
    public void Sample_writes_png_and_npy()
    {
        var dir = Ilgpugan.TempDir();
        var png = Ilgpugan.Run("sample", "--checkpoint", run.Dir, "--count", "10", "--out", Path.Combine(dir, "g.png"), "--device", "ilgpu-cpu");
        Assert.True(png.ExitCode == 0, png.ToString());
        using (var img = Image.Load(Path.Combine(dir, "g.png")))
            Assert.Equal((4 * 28 + 5 * 2, 3 * 28 + 4 * 2), (img.Width, img.Height));   // 10 images, 4 columns
        var npy = Ilgpugan.Run("sample", "--checkpoint", run.Dir, "--count", "10", "--out", Path.Combine(dir, "g.npy"), "--device", "ilgpu-cpu");
        Assert.True(npy.ExitCode == 0, npy.ToString());
        var (data, shape) = Npy.ReadFloat32(Path.Combine(dir, "g.npy"));
        Assert.Equal([10, 28, 28], shape);
        Assert.All(data, v => Assert.InRange(v, -1f, 1f));   // the Tanh output
        Assert.True(data.Distinct().Count() > 100, "samples should not be constant");
    }

    [Fact]
    public void A_finished_run_refuses_a_second_train_into_the_same_folder()
    {
        var r = Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "ilgpu-cpu", "--out", run.Dir);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("already holds a run", r.Stderr);
    }

    /// <summary>A copy of the shared run, for tests that resume or edit it.</summary>
    string CopyOfRun()
    {
        var copy = Path.Combine(Ilgpugan.TempDir(), "run");
        foreach (var f in Directory.EnumerateFiles(run.Dir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(run.Dir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return copy;
    }

    [Fact]
    public void Verbose_turns_on_debug_lines()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        Assert.DoesNotContain("dbug:", run.Result.Stderr);
        var dir = CopyOfRun();
        var quiet = Ilgpugan.Run("train", "--resume", dir);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.DoesNotContain("dbug:", quiet.Stderr);
        var verbose = Ilgpugan.Run("train", "--resume", dir, "-v");
        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        Assert.Contains("dbug: train", verbose.Stderr);
        Assert.Contains("\"loss\": \"bce\"", verbose.Stderr);   // the config it resolved
    }

    [Fact]
    public void A_bad_value_in_a_resumed_config_json_is_a_data_error_naming_the_file_and_key()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        var dir = CopyOfRun();
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"d_steps\": 1", "\"d_steps\": 0"));
        var r = Ilgpugan.Run("train", "--resume", dir, "--steps", "6");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"ilgpugan: error: {path}: key d_steps must be at least 1, got 0", r.Stderr);
        Assert.DoesNotContain("--help", r.Stderr);
    }
}
