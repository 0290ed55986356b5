using System.Text.Json.Nodes;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Host.Training;
using IlgpuGan.Tests.Cli;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// A damaged or hand-edited config.json is a data error: one line naming the file and the key,
/// exit 1 on --resume, never a flag, never a NullReferenceException or a division by zero.
/// </summary>
public sealed class ConfigFileTests
{
    static readonly RunInfo Valid = new() { Config = new GanConfig { Dataset = "ring8", Generator = GeneratorKind.Mlp2d, Latent = 2 }, Steps = 10, Device = "cpu" };

    /// <summary>config.json with one edit: a JSON path ("config.batch") set to a raw JSON value ("null", "-5", "\"x\"").</summary>
    static string Edited(string key, string json)
    {
        var dir = Ilgpugan.TempDir();
        Valid.Save(dir);
        var path = Path.Combine(dir, RunInfo.FileName);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var parts = key.Split('.');
        var parent = parts.Length == 1 ? root : root[parts[0]]!.AsObject();
        parent[parts[^1]] = JsonNode.Parse(json);
        File.WriteAllText(path, root.ToJsonString());
        return dir;
    }

    [Theory]
    [InlineData("config.latent", "0", "key latent must be at least 1, got 0")]
    [InlineData("config.batch", "-5", "key batch must be at least 2 (BatchNorm needs two samples), got -5")]
    [InlineData("config", "null", "key config is missing or null")]
    [InlineData("config", "[]", "key config: The JSON value could not be converted to")]
    [InlineData("config.batch", "\"many\"", "key config.batch: The JSON value could not be converted to")]
    [InlineData("config.batch", "1.5", "key config.batch: The JSON value could not be converted to")]
    [InlineData("config.lr", "true", "key config.lr: The JSON value could not be converted to")]
    [InlineData("config.loss", "\"nope\"", "key config.loss: The JSON value could not be converted to")]
    [InlineData("config.dataset", "null", "key config.dataset is missing or empty")]
    [InlineData("config.dataset", "\"cifar\"", "key config.dataset names no known dataset, got 'cifar'")]
    [InlineData("device", "null", "key device is missing or null")]
    [InlineData("device", "\"tpu\"", "key device must be one of")]
    [InlineData("steps", "0", "key steps must be at least 1, got 0")]
    [InlineData("log_every", "0", "key log_every must be at least 1, got 0")]
    [InlineData("checkpoint_every", "-1", "key checkpoint_every must be at least 1, got -1")]
    [InlineData("sample_every", "0", "key sample_every must be at least 1, got 0")]
    [InlineData("eval_every", "-3", "key eval_every must be at least 0, got -3")]
    [InlineData("eval_samples", "0", "key eval_samples must be at least 10, got 0")]
    public void A_bad_value_is_a_one_line_error_naming_the_file_and_key(string key, string json, string expected)
    {
        var dir = Edited(key, json);
        var e = Assert.Throws<GanException>(() => RunInfo.Load(dir));
        Assert.StartsWith($"{Path.Combine(dir, RunInfo.FileName)}: {expected}", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_null_document_is_refused()
    {
        var dir = Ilgpugan.TempDir();
        File.WriteAllText(Path.Combine(dir, RunInfo.FileName), "null");
        var e = Assert.Throws<GanException>(() => RunInfo.Load(dir));
        Assert.Contains(RunInfo.FileName, e.Message);
    }

    [Theory]
    [InlineData("config.latent", "0", "key latent must be at least 1, got 0")]
    [InlineData("config.batch", "-5", "key batch must be at least 2 (BatchNorm needs two samples), got -5")]
    [InlineData("config", "null", "key config is missing or null")]
    public void Resume_reports_it_as_a_data_error(string key, string json, string expected)
    {
        var dir = Edited(key, json);
        var r = Ilgpugan.Run("train", "--resume", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.StartsWith($"ilgpugan: error: {Path.Combine(dir, RunInfo.FileName)}: {expected}", r.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotContain("--help", r.Stderr);
    }
}
