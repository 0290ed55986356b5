using System.Text.Json;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;

namespace IlgpuGan.Tests.Cli;

/// <summary>
/// `train --preset pacgan` end to end: config.json holds every value the preset resolved to
/// (<see cref="PacGanPreset.Config"/>) and the run defaults it changes; flags given win; the
/// checkpoint holds the protocol's models; a resumed run keeps it all.
/// </summary>
public sealed class PacGanCliTests
{
    static JsonElement ConfigJson(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement;

    static string Json(GanConfig c) => JsonSerializer.Serialize(c, GanConfig.Json);

    [Fact]
    public void A_short_preset_run_applies_every_setting_and_resumes()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--pack", "2", "--steps", "4", "--eval-every", "2", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var json = ConfigJson(dir);
        // Every model and training value is the preset's, pack 2 included (batch 200 = 100 packed rows).
        var saved = JsonSerializer.Deserialize<GanConfig>(json.GetProperty("config").GetRawText(), GanConfig.Json)!;
        Assert.Equal(Json(PacGanPreset.Config("ring8", pack: 2)), Json(saved));
        Assert.Equal(200, saved.Batch);
        Assert.Equal(100_000, saved.TrainingSet);
        Assert.Contains("\"g_batch_norm\": \"per-slot\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.Equal((4L, 20_000, 10_000, 100, 2500), (json.GetProperty("steps").GetInt64(), json.GetProperty("sample_every").GetInt32(),
            json.GetProperty("checkpoint_every").GetInt32(), json.GetProperty("log_every").GetInt32(), json.GetProperty("eval_samples").GetInt32()));
        Assert.Contains("a fixed training set of 100,000 samples", r.Stderr);

        var g = SafeTensors.Load(Path.Combine(dir, "checkpoint", "G.safetensors")).Tensors;
        var d = SafeTensors.Load(Path.Combine(dir, "checkpoint", "D.safetensors")).Tensors;
        Assert.False(g.ContainsKey("0.bias"));
        Assert.Equal([400, 2], g["0.weight"].Shape);
        Assert.Equal([2, 400], g["12.weight"].Shape);
        Assert.Equal([1000, 4], d["0.weight"].Shape);
        Assert.Equal([1, 200], d["3.weight"].Shape);
        // Simultaneous updates: G runs in training mode once a step, on the fakes both gradients share.
        Assert.Equal(GanUpdates.Simultaneous, saved.Updates);
        Assert.Equal(4, g["1.num_batches_tracked"].Longs![0]);
        var opt = SafeTensors.Load(Path.Combine(dir, "checkpoint", "optimizer.safetensors"));
        Assert.Equal("4", opt.Metadata["step"]);
        var metrics = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.Contains("modes_captured", metrics[0]);

        var resumed = Ilgpugan.Run("train", "--resume", dir, "--steps", "6");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(Json(saved), Json(JsonSerializer.Deserialize<GanConfig>(ConfigJson(dir).GetProperty("config").GetRawText(), GanConfig.Json)!));
        Assert.Equal(6L, ConfigJson(dir).GetProperty("steps").GetInt64());

        // eval rebuilds PacGAN's G (no biases before its BatchNorms) from the checkpoint alone and
        // scores it as the run's own last evaluation did.
        var jsonPath = Path.Combine(Path.GetDirectoryName(dir)!, "eval.json");
        var ev = Ilgpugan.Run("eval", "--checkpoint", dir, "--device", "cpu", "--json", jsonPath);
        Assert.True(ev.ExitCode == 0, ev.ToString());
        var scores = JsonDocument.Parse(File.ReadAllText(jsonPath)).RootElement;
        if (scores.ValueKind == JsonValueKind.Array) scores = scores[0];
        var header = File.ReadLines(Path.Combine(dir, "metrics.csv")).First().Split(',');
        var last = File.ReadLines(Path.Combine(dir, "metrics.csv")).Last().Split(',');
        Assert.Equal("6", last[0]);
        Assert.Equal(int.Parse(last[Array.IndexOf(header, "modes_captured")]), scores.GetProperty("modes_captured").GetInt32());
        Assert.Equal(double.Parse(last[Array.IndexOf(header, "high_quality_pct")], System.Globalization.CultureInfo.InvariantCulture),
            scores.GetProperty("high_quality_pct").GetDouble(), 3);
    }

    [Fact]
    public void A_resumed_run_walks_the_fixed_set_as_the_uninterrupted_one_across_epochs()
    {
        var root = Ilgpugan.TempDir();
        string[] common = ["--dataset", "ring8", "--preset", "pacgan", "--training-set", "200", "--log-every", "1", "--device", "cpu"];
        var a = Path.Combine(root, "a");
        var b = Path.Combine(root, "b");
        Assert.Equal(0, Ilgpugan.Run(["train", .. common, "--steps", "5", "--out", a]).ExitCode);
        var resumed = Ilgpugan.Run("train", "--resume", a, "--steps", "9");   // 2 batches an epoch: epochs 2 to 4 after the resume
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(0, Ilgpugan.Run(["train", .. common, "--steps", "9", "--out", b]).ExitCode);
        foreach (var f in new[] { "G.safetensors", "D.safetensors", "optimizer.safetensors", "state.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(a, "checkpoint", f)).SequenceEqual(File.ReadAllBytes(Path.Combine(b, "checkpoint", f))), $"{f} differs");
        Assert.Contains("\"epoch\": 4", File.ReadAllText(Path.Combine(a, "checkpoint", "state.json")));
    }

    [Fact]
    public void Without_steps_a_preset_run_is_400000_steps_of_batch_100()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "grid25", "--preset", "pacgan", "--max-time", "1", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var json = ConfigJson(dir);
        Assert.Equal(400_000L, json.GetProperty("steps").GetInt64());
        var saved = JsonSerializer.Deserialize<GanConfig>(json.GetProperty("config").GetRawText(), GanConfig.Json)!;
        Assert.Equal(Json(PacGanPreset.Config("grid25")), Json(saved));
    }

    [Fact]
    public void Flags_given_override_the_preset()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--batch", "50", "--lr", "3e-4", "--beta1", "0.5", "--beta2", "0.9",
            "--init-std", "0.1", "--bn-momentum", "0.2", "--training-set", "1000", "--latent", "3", "--steps", "2", "--sample-every", "1",
            "--checkpoint-every", "1", "--log-every", "1", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var json = ConfigJson(dir);
        var saved = JsonSerializer.Deserialize<GanConfig>(json.GetProperty("config").GetRawText(), GanConfig.Json)!;
        var want = PacGanPreset.Config("ring8") with { Batch = 50, Lr = 3e-4, Beta1 = 0.5, Beta2 = 0.9, InitStd = 0.1, BnMomentum = 0.2, TrainingSet = 1000, Latent = 3 };
        Assert.Equal(Json(want), Json(saved));
        Assert.Equal((2L, 1, 1, 1), (json.GetProperty("steps").GetInt64(), json.GetProperty("sample_every").GetInt32(),
            json.GetProperty("checkpoint_every").GetInt32(), json.GetProperty("log_every").GetInt32()));
        var g = SafeTensors.Load(Path.Combine(dir, "checkpoint", "G.safetensors")).Tensors;
        Assert.Equal([400, 3], g["0.weight"].Shape);
    }

    [Fact]
    public void G_batch_norm_joint_overrides_the_presets_per_slot_and_per_slot_needs_packing()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--pack", "2", "--g-batch-norm", "joint", "--steps", "2", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var saved = JsonSerializer.Deserialize<GanConfig>(ConfigJson(dir).GetProperty("config").GetRawText(), GanConfig.Json)!;
        Assert.Equal(Json(PacGanPreset.Config("ring8", pack: 2) with { GBatchNorm = PackBatchNorm.Joint }), Json(saved));

        var bad = Ilgpugan.Run("train", "--dataset", "ring8", "--g-batch-norm", "per-slot", "--steps", "1", "--device", "cpu", "--out", Path.Combine(Ilgpugan.TempDir(), "run"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--g-batch-norm per-slot needs --pack above 1", bad.Stderr);
        // Outside the preset, per-slot applies to any MLP G with packing.
        var mlp = Ilgpugan.Run("train", "--dataset", "ring8", "--pack", "2", "--g-batch-norm", "per-slot", "--steps", "2", "--device", "cpu", "--out", Path.Combine(Ilgpugan.TempDir(), "mlp2d"));
        Assert.True(mlp.ExitCode == 0, mlp.ToString());
    }

    [Fact]
    public void A_run_from_before_g_batch_norm_resumes_as_joint()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--pack", "2", "--g-batch-norm", "joint", "--steps", "2", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var path = Path.Combine(dir, "config.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        node["config"]!.AsObject().Remove("g_batch_norm");
        File.WriteAllText(path, node.ToJsonString());
        Assert.DoesNotContain("g_batch_norm", File.ReadAllText(path));
        var resumed = Ilgpugan.Run("train", "--resume", dir, "--steps", "4");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var saved = JsonSerializer.Deserialize<GanConfig>(ConfigJson(dir).GetProperty("config").GetRawText(), GanConfig.Json)!;
        Assert.Equal(PackBatchNorm.Joint, saved.GBatchNorm);
        Assert.Equal(4L, ConfigJson(dir).GetProperty("steps").GetInt64());
    }

    [Fact]
    public void Updates_alternating_gives_the_preset_with_g_on_fresh_z()
    {
        var dir = Path.Combine(Ilgpugan.TempDir(), "run");
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--updates", "alternating", "--steps", "3", "--device", "cpu", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var saved = JsonSerializer.Deserialize<GanConfig>(ConfigJson(dir).GetProperty("config").GetRawText(), GanConfig.Json)!;
        Assert.Equal(Json(PacGanPreset.Config("ring8") with { Updates = GanUpdates.Alternating, FreshGeneratorZ = true }), Json(saved));
        // G runs in training mode twice a step: the D update's fakes, then its own fresh z.
        var g = SafeTensors.Load(Path.Combine(dir, "checkpoint", "G.safetensors")).Tensors;
        Assert.Equal(6, g["1.num_batches_tracked"].Longs![0]);
    }

    [Fact]
    public void Simultaneous_updates_need_one_d_step()
    {
        var r = Ilgpugan.Run("train", "--dataset", "ring8", "--updates", "simultaneous", "--d-steps", "2", "--steps", "1", "--device", "cpu", "--out", Path.Combine(Ilgpugan.TempDir(), "run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--d-steps must be 1 with simultaneous updates", r.Stderr);
        // A loss with several D steps keeps alternating under the preset.
        var dir = Path.Combine(Ilgpugan.TempDir(), "wgan");
        var w = Ilgpugan.Run("train", "--dataset", "ring8", "--preset", "pacgan", "--loss", "wgan", "--steps", "1", "--device", "cpu", "--out", dir);
        Assert.True(w.ExitCode == 0, w.ToString());
        Assert.Contains("\"updates\": \"alternating\"", File.ReadAllText(Path.Combine(dir, "config.json")));
    }

    [Fact]
    public void The_preset_on_an_image_dataset_is_a_usage_error()
    {
        var r = Ilgpugan.Run("train", "--dataset", "mnist", "--preset", "pacgan", "--steps", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--preset pacgan needs --dataset ring8 or grid25", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
