namespace IlgpuGan.Tests.Cli;

/// <summary>Bad input gets one line on stderr and exit code 2 (usage) or 1 (runtime), never a stack trace.</summary>
public sealed class CliErrorTests
{
    static void OneLineError(CliResult r, int code, string contains)
    {
        Assert.True(r.ExitCode == code, r.ToString());
        Assert.Contains(contains, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);   // no stack frames
        Assert.StartsWith("ilgpugan: error: ", r.Stderr.Split('\n').First(l => l.StartsWith("ilgpugan: error")));
    }

    [Theory]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--batch 0", "--batch must be at least 2 (BatchNorm needs two samples), got 0")]
    [InlineData("--batch -3", "--batch must be")]
    [InlineData("--batch 1", "at least 2")]
    [InlineData("--steps many", "--steps must be a whole number")]
    [InlineData("--lr -1", "--lr must be above 0")]
    [InlineData("--device tpu", "--device must be one of auto, cuda, opencl, cpu, ilgpu-cpu")]
    [InlineData("--dataset cifar", "unknown dataset")]
    [InlineData("--generator big", "--generator must be")]
    [InlineData("--loss kl", "--loss must be bce, wgan, wgan-gp, lsgan or hinge, got 'kl'")]
    [InlineData("--d-steps 0", "--d-steps must be at least 1")]
    [InlineData("--optimizer adagrad", "--optimizer must be adam, rmsprop or sgd")]
    [InlineData("--loss wgan --real-label 0.9", "--real-label applies to bce and lsgan only")]
    [InlineData("--loss hinge --fake-label 0.1", "--fake-label applies to bce and lsgan only")]
    [InlineData("--real-label 1.5", "--real-label must be at least 0 and at most 1")]
    [InlineData("--clip 0.02", "--clip applies to --loss wgan only")]
    [InlineData("--loss wgan --clip 0", "--clip must be above 0")]
    [InlineData("--gp-lambda 5", "--gp-lambda applies to --loss wgan-gp only")]
    [InlineData("--g-lr 0", "--g-lr must be above 0")]
    [InlineData("--dataset ring8 --conditional", "--conditional needs a labelled image dataset")]
    [InlineData("--pack 3", "--pack must divide --batch (64), got 3")]
    [InlineData("--dataset ring8 --generator notebook", "--generator must be mlp2d or pacgan for the 2D dataset ring8")]
    [InlineData("--beta2 1.5", "--beta2 must be at least 0 and at most 1, got 1.5")]
    [InlineData("--resume", "Required argument missing for option: '--resume'")]
    [InlineData("stray", "unexpected argument 'stray'")]
    public void Bad_train_flags_exit_2(string args, string message) =>
        OneLineError(Ilgpugan.Run(["train", .. args.Split(' ')]), 2, message);

    [Theory]
    [InlineData("sample --checkpoint runs/none --out x.png --count 65 --g-mode train", "sample: --count 65 leaves a last group of one image")]
    [InlineData("eval --checkpoint runs/none --samples 129 --g-mode train", "eval: --samples 129 leaves a last group of one image")]
    [InlineData("sample --checkpoint runs/none --out x.png --g-mode batch", "--g-mode must be eval or train, got 'batch'")]
    public void Bad_g_mode_use_exits_2_before_reading_the_checkpoint(string args, string message) =>
        OneLineError(Ilgpugan.Run(args.Split(' ')), 2, message);

    [Fact]
    public void Unknown_command_exits_2() => OneLineError(Ilgpugan.Run("fly"), 2, "unknown command 'fly' (commands: train, sample,");

    [Fact]
    public void A_command_group_alone_names_its_commands() =>
        OneLineError(Ilgpugan.Run("classifier"), 2, "'classifier' needs a command: classifier train");

    [Fact]
    public void Resume_refuses_to_change_the_model() =>
        OneLineError(Ilgpugan.Run("train", "--resume", Ilgpugan.TempDir(), "--batch", "32"), 2, "--batch cannot change when resuming");

    [Fact]
    public void Absent_device_is_a_runtime_error() =>
        OneLineError(Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "cuda:99", "--out", Path.Combine(Ilgpugan.TempDir(), "r")), 1, "no CUDA device #99 found");

    [Fact]
    public void Corrupt_idx_is_a_runtime_error()
    {
        var dir = Ilgpugan.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), [0, 0, 8, 3, 0, 0, 0, 9]);
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 9]);
        OneLineError(Ilgpugan.Run("train", "--data", dir, "--device", "ilgpu-cpu", "--out", Path.Combine(dir, "run")), 1, "train-images-idx3-ubyte");
    }

    [Fact]
    public void Missing_data_names_the_file() =>
        OneLineError(Ilgpugan.Run("train", "--data", Ilgpugan.TempDir(), "--device", "ilgpu-cpu", "--out", Path.Combine(Ilgpugan.TempDir(), "r")), 1, "train-images-idx3-ubyte");

    [Fact]
    public void Unwritable_out_is_a_runtime_error()
    {
        var file = Path.Combine(Ilgpugan.TempDir(), "a-file");
        File.WriteAllText(file, "");
        OneLineError(Ilgpugan.Run("train", "--data", Ilgpugan.Mnist, "--device", "ilgpu-cpu", "--out", Path.Combine(file, "run")), 1, $"{file} is a file, not a folder");
    }

    [Fact]
    public void Sample_without_checkpoint_is_a_runtime_error() =>
        OneLineError(Ilgpugan.Run("sample", "--checkpoint", Ilgpugan.TempDir(), "--out", "x.png", "--device", "ilgpu-cpu"), 1, "no checkpoint");

    [Fact]
    public void Eval_of_a_missing_checkpoint_fails_before_loading_anything() =>
        OneLineError(Ilgpugan.Run("eval", "--checkpoint", Path.Combine(Ilgpugan.TempDir(), "none"), "--device", "cpu"), 1, "not found");

    [Fact]
    public void Sample_rejects_unknown_output_types() =>
        OneLineError(Ilgpugan.Run("sample", "--checkpoint", "x", "--out", "x.jpg"), 2, "must end in .png or .npy");

    [Theory]
    [InlineData("--frames 1", "--frames must be at least 2")]
    [InlineData("--frames abc", "--frames must be a whole number")]
    [InlineData("--from-seed 1", "--from-seed and --to-seed go together")]
    [InlineData("--from-seed 1 --to-seed 2 --keys 3", "drop them with --from-seed")]
    [InlineData("--keys 1", "--keys must be at least 2")]
    [InlineData("--fps 0", "--fps must be at least 1")]
    [InlineData("--out m.png", "--out must end in .gif")]
    public void Bad_morph_flags_exit_2(string args, string message) =>
        OneLineError(Ilgpugan.Run(["morph", "--checkpoint", "x", .. args.Split(' ')]), 2, message);

    [Fact]
    public void Morph_of_a_missing_checkpoint_is_a_runtime_error() =>
        OneLineError(Ilgpugan.Run("morph", "--checkpoint", Path.Combine(Ilgpugan.TempDir(), "none"), "--device", "cpu"), 1, "not found");

    public static TheoryData<string> CommandNames() => new(Host.Program.Commands().Select(c => c.Name));

    /// <summary>Every command's --help exits 0 and lists every option the parser knows for it.</summary>
    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Every_command_has_help_listing_every_option(string command)
    {
        var r = Ilgpugan.Run([.. command.Split(' '), "--help"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains($"ilgpugan {command} [options]", r.Stdout);
        foreach (var o in Host.Program.Commands().Single(c => c.Name == command).Options)
            Assert.Contains(o.Name, r.Stdout);
        Assert.Contains("-v, --verbose", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void No_command_prints_the_command_list_and_exits_2()
    {
        var r = Ilgpugan.Run();
        Assert.Equal(2, r.ExitCode);
        foreach (var c in Host.Program.Commands()) Assert.Contains(c.Name.Split(' ')[0], r.Stdout);
    }

    [Fact]
    public void Devices_lists_the_simulator_and_the_auto_choice()
    {
        var r = Ilgpugan.Run("devices");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("ilgpu-cpu", r.Stdout);
        Assert.Contains("managed CPU backend", r.Stdout);
        Assert.Contains("--device auto picks", r.Stdout);
    }

    [Theory]
    [InlineData("--batches 64,x", "--batches takes batch sizes")]
    [InlineData("--batches 1", "--batches takes batch sizes")]
    [InlineData("--device gpu9", "--device must be one of")]
    public void Bad_bench_flags_exit_2(string args, string message) =>
        OneLineError(Ilgpugan.Run(["bench", .. args.Split(' ')]), 2, message);
}
