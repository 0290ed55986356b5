using System.Buffers.Binary;
using IlgpuGan.Engine.Backends.Cpu;
using IlgpuGan.Engine.Checkpoints;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Host.Data;
using IlgpuGan.Host.Training;
using IlgpuGan.Tests.Data;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// One file format under fuzzing: a valid example, where its structure lies, and the app's own
/// loader for it. <see cref="Load"/> gets the file's path (the bytes are written there first) and
/// must either succeed or throw a GanException.
/// </summary>
public sealed record FuzzFormat(string Name, string FileName, byte[] Valid, int Head, LengthField[] Fields,
    (int Start, int Length)? Json, bool SafetensorsHeader, bool Gzip, Action<string> Load)
{
    public override string ToString() => Name;
}

/// <summary>The formats the app reads from disk: IDX images and labels (raw and gz), G, D and optimizer safetensors, config.json and state.json.</summary>
public sealed class FuzzFormats : IDisposable
{
    readonly CpuBackend backend = new(threads: 1);
    readonly GanTrainer trainer;
    readonly IdxFixtures.TempFolder seeds = new();

    public FuzzFormats()
    {
        // A small image size keeps the files (and so each load) small; the model layout is the seed MLP's.
        const int features = 16, count = 8;
        var pixels = new byte[count * features];
        new Random(1).NextBytes(pixels);
        trainer = new GanTrainer(backend, new GanConfig { Batch = 4, Latent = 4 }, pixels, count, features);
        trainer.TrainStep();
        Checkpoint.Save(trainer, seeds.Path);
        new RunInfo { Config = trainer.Config, Steps = 10, Device = "cpu", DataDir = "/data" }.Save(seeds.Path);
        string ckpt = Path.Combine(seeds.Path, Checkpoint.FolderName);

        var images = IdxFixtures.ImageFile(count: 6, rows: 5, cols: 4);
        var labels = IdxFixtures.LabelFile(count: 6);
        LengthField[] imageFields = [new(0, 4, true), new(4, 4, true), new(8, 4, true), new(12, 4, true)];
        LengthField[] labelFields = [new(0, 4, true), new(4, 4, true)];
        All =
        [
            new("idx-images", "images-idx3-ubyte", images, 16, imageFields, null, false, false, p => Idx.ReadImages(p)),
            new("idx-images-gz", "images-idx3-ubyte.gz", images, 16, imageFields, null, false, true, p => Idx.ReadImages(p)),
            new("idx-labels", "labels-idx1-ubyte", labels, 8, labelFields, null, false, false, p => Idx.ReadLabels(p)),
            new("idx-labels-gz", "labels-idx1-ubyte.gz", labels, 8, labelFields, null, false, true, p => Idx.ReadLabels(p)),
            Safetensors("G", Path.Combine(ckpt, "G.safetensors"), p =>
            {
                var (t, _) = SafeTensors.Load(p);
                FiniteCheck.Require(t, p);
                trainer.G.LoadStateDict(t, p);
            }),
            Safetensors("D", Path.Combine(ckpt, "D.safetensors"), p =>
            {
                var (t, _) = SafeTensors.Load(p);
                FiniteCheck.Require(t, p);
                trainer.D.LoadStateDict(t, p);
            }),
            Safetensors("optimizer", Path.Combine(ckpt, "optimizer.safetensors"), p =>
            {
                var (t, _) = SafeTensors.Load(p);
                FiniteCheck.Require(t, p);
                trainer.OptG.LoadState(t, "G.", p);
                trainer.OptD.LoadState(t, "D.", p);
            }),
            JsonFile("state.json", File.ReadAllBytes(Path.Combine(ckpt, "state.json")), p =>
                CheckpointState.FitsTrainer(CheckpointState.Read(p), p, trainer.BatchesPerEpoch)),
            JsonFile("config.json", File.ReadAllBytes(Path.Combine(seeds.Path, RunInfo.FileName)), p => RunInfo.Load(Path.GetDirectoryName(p)!)),
        ];
    }

    public IReadOnlyList<FuzzFormat> All { get; }

    public FuzzFormat this[string name] => All.Single(f => f.Name == name);

    static FuzzFormat Safetensors(string name, string path, Action<string> load)
    {
        var bytes = File.ReadAllBytes(path);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return new($"safetensors-{name}", Path.GetFileName(path), bytes, 8 + n, [new(0, 8, false)], (8, n), true, false, load);
    }

    static FuzzFormat JsonFile(string name, byte[] bytes, Action<string> load) =>
        new(name, name, bytes, bytes.Length, [], (0, bytes.Length), false, false, load);

    public void Dispose()
    {
        trainer.Dispose();
        backend.Dispose();
        seeds.Dispose();
    }
}
