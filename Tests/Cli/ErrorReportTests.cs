using System.Text.Json;
using System.Text.RegularExpressions;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine.Optim;
using IlgpuGan.Host.Cli;
using IlgpuGan.Host.Training;

namespace IlgpuGan.Tests.Cli;

/// <summary>
/// The engine reports in its own words (config fields, bytes, devices); the app names flags, config.json
/// keys and exit codes. One test per mapping, each on an error the engine really throws.
/// </summary>
public sealed class ErrorReportTests
{
    static (int Code, string Message) Report(Action engineCall, string command = "train")
    {
        var e = Record.Exception(engineCall);
        Assert.NotNull(e);
        return ErrorReport.Describe(e, command);
    }

    [Fact]
    public void A_config_field_is_named_as_its_flag_with_exit_2()
    {
        var (code, message) = Report(() => new GanConfig { Batch = 1 }.Validate());
        Assert.Equal(2, code);
        Assert.Equal("train: --batch must be at least 2 (BatchNorm needs two samples), got 1\nsee 'ilgpugan train --help'", message);
    }

    [Theory]
    [InlineData(nameof(GanConfig.DSteps), "--d-steps", "d_steps")]
    [InlineData(nameof(GanConfig.GLr), "--g-lr", "g_lr")]
    [InlineData(nameof(GanConfig.GpLambda), "--gp-lambda", "gp_lambda")]
    [InlineData(nameof(GanConfig.RealLabel), "--real-label", "real_label")]
    [InlineData(nameof(GanConfig.Beta1), "--beta1", "beta1")]
    [InlineData("fixedClass", "--class", "fixed_class")]
    public void Setting_names_map_to_flags_and_config_keys(string setting, string flag, string key)
    {
        Assert.Equal(flag, ErrorReport.Flag(setting));
        Assert.Equal(key, ErrorReport.ConfigKey(setting));
    }

    [Fact]
    public void Every_config_field_that_a_flag_sets_maps_to_an_existing_train_flag()
    {
        var flags = new Host.Commands.TrainCommand().Options.Select(o => o.Name).ToHashSet();
        string[] fields = [nameof(GanConfig.Batch), nameof(GanConfig.Latent), nameof(GanConfig.Pack), nameof(GanConfig.DSteps), nameof(GanConfig.Loss),
            nameof(GanConfig.Optimizer), nameof(GanConfig.Generator), nameof(GanConfig.Lr), nameof(GanConfig.GLr), nameof(GanConfig.DLr),
            nameof(GanConfig.Beta1), nameof(GanConfig.Beta2), nameof(GanConfig.Momentum), nameof(GanConfig.Alpha), nameof(GanConfig.RealLabel),
            nameof(GanConfig.FakeLabel), nameof(GanConfig.Clip), nameof(GanConfig.GpLambda), nameof(GanConfig.Conditional), nameof(GanConfig.Dataset), nameof(GanConfig.Seed)];
        foreach (var f in fields) Assert.Contains(ErrorReport.Flag(f), flags);
    }

    [Fact]
    public void A_rule_that_names_another_field_names_its_flag_too()
    {
        var (_, message) = Report(() => new GanConfig { Batch = 64, Pack = 3 }.Validate());
        Assert.StartsWith("train: --pack must divide --batch (64), got 3", message);
        var (_, clip) = Report(() => new GanConfig { Clip = 0.5f }.Validate());
        Assert.StartsWith("train: --clip applies to --loss wgan only", clip);
    }

    [Fact]
    public void A_resumed_configs_field_is_named_as_its_json_key_and_is_a_data_error()
    {
        var e = Assert.Throws<GanConfigException>(() => new GanConfig { DSteps = 0 }.Validate());
        var mapped = ErrorReport.ForConfigFile(e, "runs/a/config.json");
        var (code, message) = ErrorReport.Describe(mapped, "train");
        Assert.Equal(1, code);
        Assert.Equal("runs/a/config.json: key d_steps must be at least 1, got 0", message);
    }

    [Fact]
    public void Out_of_memory_suggests_a_smaller_batch_with_exit_1()
    {
        var (code, message) = Report(() => new CpuBuffer<float>((long)int.MaxValue + 10).Dispose());
        Assert.Equal(1, code);
        Assert.Equal("out of memory: could not allocate 8192.0 MiB on host memory; try a smaller --batch", message);
    }

    [Fact]
    public void A_missing_device_points_to_the_devices_command_with_exit_1()
    {
        var (code, message) = Report(() => throw new DeviceNotFoundException("no CUDA device #3 found (devices here: none)"));
        Assert.Equal(1, code);
        Assert.Equal("no CUDA device #3 found (devices here: none); see 'ilgpugan devices' or use --device auto", message);
    }

    [Fact]
    public void A_bad_device_name_is_named_as_the_device_flag()
    {
        var (code, message) = Report(() => DeviceSpec.Parse("tpu"), "bench");
        Assert.Equal(2, code);
        Assert.StartsWith("bench: --device must be one of auto, cuda, opencl, cpu, ilgpu-cpu", message);
        Assert.Contains("got 'tpu'", message);
    }

    [Fact]
    public void An_optimizer_setting_is_named_as_its_flag()
    {
        using var b = new CpuBackend();
        using var m = new Sequential(b, [new LinearSpec(2, 1)], 2, 2, 0);
        var (code, message) = Report(() => Optimizers.Create(OptimizerKind.Adam, b, m, new OptimizerSettings { Lr = 1e-3, Beta2 = 1 }));
        Assert.Equal(2, code);
        Assert.StartsWith("train: --beta2 must be in [0, 1), got 1", message);
    }

    [Fact]
    public void Divergence_suggests_a_lower_learning_rate()
    {
        var (code, message) = Report(() => throw new TrainingDivergedException(12, new StepStats(float.NaN, 1, 0, 0, 0)));
        Assert.Equal(1, code);
        Assert.Equal("training diverged at step 12 (loss is NaN/1); try a lower --lr", message);
    }

    [Fact]
    public void Anything_else_is_one_line_that_points_to_the_debug_switch()
    {
        var (code, message) = Report(() => throw new InvalidDataException("first\nsecond"));
        Assert.Equal(1, code);
        Assert.Equal("unexpected InvalidDataException: first (set ILGPUGAN_DEBUG=1 for details)", message);
    }

    /// <summary>The "done": no string in Engine names a command-line flag.</summary>
    [Fact]
    public void No_engine_string_names_a_flag()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "Engine"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var literal = new Regex("\"[^\"\\n]*--[a-z][^\"\\n]*\"");
        var hits = Directory.EnumerateFiles(Path.Combine(dir!.FullName, "Engine"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => !x.line.TrimStart().StartsWith("//") && literal.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, string.Join("\n", hits));
    }
}

/// <summary>config.json keeps today's strings for the enums, so runs written before them still resume.</summary>
public sealed class ConfigJsonTests
{
    [Fact]
    public void Old_config_strings_read_into_the_enums_and_are_written_back_the_same()
    {
        const string json = """{"dataset":"ring8","generator":"mlp2d","loss":"wgan-gp","optimizer":"rmsprop","batch":"32"}""";
        var c = JsonSerializer.Deserialize<GanConfig>(json, GanConfig.Json)!;
        Assert.Equal((GeneratorKind.Mlp2d, GanLoss.WganGp, OptimizerKind.Rmsprop, 32), (c.Generator, c.Loss, c.Optimizer, c.Batch));
        var back = JsonSerializer.Serialize(c, GanConfig.Json);
        Assert.Contains("\"loss\": \"wgan-gp\"", back);
        Assert.Contains("\"optimizer\": \"rmsprop\"", back);
        Assert.Contains("\"generator\": \"mlp2d\"", back);
    }

    [Fact]
    public void Every_enum_name_round_trips_through_the_command_line_parser_and_json()
    {
        foreach (var loss in Enum.GetValues<GanLoss>())
        {
            Assert.True(Kinds.TryParse<GanLoss>(Kinds.Name(loss), out var parsed));
            Assert.Equal(loss, parsed);
            Assert.Equal($"\"{Kinds.Name(loss)}\"", JsonSerializer.Serialize(loss, GanConfig.Json));
        }
        Assert.Equal(["adam", "rmsprop", "sgd"], Kinds.Names<OptimizerKind>());
        Assert.False(Kinds.TryParse<OptimizerKind>("adamw", out _));
    }

    [Fact]
    public void An_unknown_loss_in_config_json_is_a_json_error()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<GanConfig>("""{"loss":"kl"}""", GanConfig.Json));
    }
}
