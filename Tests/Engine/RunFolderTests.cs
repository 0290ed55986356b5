using IlgpuGan.Engine.Nn;
using IlgpuGan.Engine;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>The run-folder layout: names, checkpoint discovery, and what --checkpoint may point at.</summary>
public sealed class RunFolderTests(CpuFixture cpu) : IClassFixture<CpuFixture>, IDisposable
{
    readonly string root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "ilgpugan-runfolder-" + Guid.NewGuid().ToString("N")[..8], "run")).FullName;

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);

    static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x");
    }

    [Theory]
    [InlineData(50, "png")]
    [InlineData(0, "svg")]
    [InlineData(1234567, "png")]   // past six digits the name just grows
    public void Sample_file_names_round_trip(long step, string ext)
    {
        var path = new RunFolder(root).SampleFile(step, ext);
        Assert.Equal(Path.Combine(root, "samples"), Path.GetDirectoryName(path));
        Assert.True(RunFolder.TryParseSampleFileName(Path.GetFileName(path), out long parsed, out string parsedExt));
        Assert.Equal((step, ext), (parsed, parsedExt));
    }

    [Fact]
    public void Sample_names_sort_by_step_and_other_files_are_not_samples()
    {
        Assert.True(string.CompareOrdinal(RunFolder.SampleFileName(950, "png"), RunFolder.SampleFileName(1000, "png")) < 0);
        Assert.True(RunFolder.TryParseSampleFileName("STEP_000010.PNG", out long s, out string e));
        Assert.Equal((10L, "png"), (s, e));
        foreach (var name in new[] { RunFolder.TimelineFileName, "step_.png", "step_12.gif", "step_12.png.tmp", "xstep_12.png", "step_99999999999999999999.png" })
            Assert.False(RunFolder.TryParseSampleFileName(name, out _, out _), name);
    }

    [Fact]
    public void The_newest_complete_checkpoint_wins()
    {
        var run = new RunFolder(root);
        Assert.Null(run.FindCheckpoint());
        Touch(Path.Combine(run.PreviousCheckpoint, RunFolder.StateFileName));
        Assert.Equal(run.PreviousCheckpoint, run.FindCheckpoint());
        Touch(Path.Combine(run.Checkpoint, RunFolder.GeneratorFileName));   // a folder without state.json is incomplete
        Assert.Equal(run.PreviousCheckpoint, run.FindCheckpoint());
        Touch(Path.Combine(run.Checkpoint, RunFolder.StateFileName));
        Assert.Equal(run.Checkpoint, run.FindCheckpoint());
    }

    [Fact]
    public void The_generator_is_found_from_a_file_a_checkpoint_folder_or_a_run_folder()
    {
        var run = new RunFolder(root);
        var g = Path.Combine(run.Checkpoint, RunFolder.GeneratorFileName);
        Touch(g);
        Touch(Path.Combine(run.Checkpoint, RunFolder.StateFileName));
        Assert.Equal(g, RunFolder.ResolveGenerator(g));
        Assert.Equal(g, RunFolder.ResolveGenerator(run.Checkpoint));
        Assert.Equal(g, RunFolder.ResolveGenerator(root));

        var missing = Assert.Throws<GanException>(() => RunFolder.ResolveGenerator(Path.Combine(root, "nope")));
        Assert.Contains("not found", missing.Message);
        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        var none = Assert.Throws<GanException>(() => RunFolder.ResolveGenerator(empty));
        Assert.Contains("no checkpoint in", none.Message);
    }

    [Fact]
    public void The_run_folder_behind_a_checkpoint_is_never_the_checkpoint_folder()
    {
        var run = new RunFolder(root);
        var g = Path.Combine(run.Checkpoint, RunFolder.GeneratorFileName);
        Touch(g);
        Touch(Path.Combine(run.PreviousCheckpoint, RunFolder.GeneratorFileName));
        Touch(Path.Combine(root, RunFolder.GeneratorFileName));
        foreach (var source in new[] { root, root + Path.DirectorySeparatorChar, run.Checkpoint, run.Checkpoint + Path.DirectorySeparatorChar,
                     run.PreviousCheckpoint, g, Path.Combine(root, RunFolder.GeneratorFileName) })
            Assert.Equal(Path.Combine(root, RunFolder.MorphFileName), RunFolder.Containing(source).Morph);
    }

    [Fact]
    public void Checkpoint_writes_the_layout_RunFolder_names_and_reads_it_back()
    {
        var config = new GanConfig { Dataset = "ring8", Generator = GeneratorKind.Mlp2d, Latent = 2, Batch = 8 };
        using var trainer = new GanTrainer(cpu.Backend, config, null, 0, 2);
        trainer.TrainStep();
        Checkpoint.Save(trainer, root);
        var run = new RunFolder(root);
        Assert.Equal(run.Checkpoint, run.FindCheckpoint());
        Assert.Equal(
            new[] { RunFolder.DiscriminatorFileName, RunFolder.GeneratorFileName, RunFolder.OptimizerFileName, RunFolder.StateFileName }.Order(),
            Directory.EnumerateFiles(run.Checkpoint).Select(Path.GetFileName).Order());
        Assert.Equal([RunFolder.CheckpointFolderName], Directory.EnumerateDirectories(root).Select(Path.GetFileName));   // no staging or .prev left

        using var again = new GanTrainer(cpu.Backend, config, null, 0, 2);
        Assert.Equal(1, Checkpoint.Load(again, root).Step);
        Assert.Equal(1, again.Step);
    }
}
