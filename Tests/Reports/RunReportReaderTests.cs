using IlgpuGan.Host.Reports;

namespace IlgpuGan.Tests.Reports;

/// <summary>The gatherer alone: a run folder in, a plain model out.</summary>
public sealed class RunReportReaderTests
{
    [Fact]
    public void Reads_config_metrics_and_the_latest_grid_into_the_model()
    {
        var dir = SyntheticRun.Create();
        try
        {
            var m = RunReportReader.Read(dir);
            Assert.Equal("run-α <1>", m.Name);
            Assert.Equal(Path.GetFullPath(dir), m.Folder);
            Assert.Equal("64", m.Config.Get("config.batch"));
            Assert.Null(m.Config.Error);

            Assert.Null(m.Metrics.Error);
            Assert.Equal(["step", "d_loss", "g_loss", "d_x", "d_g_z", "steps_per_s", "fid"], m.Metrics.Columns.Select(c => c.Name));
            Assert.Equal(10, m.Metrics.Rows.Count);
            Assert.Equal(100, m.Metrics.LastStep);
            Assert.Equal([30.0, 60, 90], m.Metrics.Columns.Single(c => c.Name == "fid").Points.Select(p => p.X));   // sparse column

            var sample = Assert.Single(m.Samples);
            Assert.Equal(("samples/step_000100.png", 100L, "image/png"), (sample.RelativePath, sample.Step, sample.Mime));
            Assert.Equal((120, 120), sample.Size);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "samples", "step_000100.png")), sample.Bytes);
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    [Fact]
    public void An_empty_folder_gives_a_model_of_sentences()
    {
        var dir = SyntheticRun.NewDir();
        try
        {
            var m = RunReportReader.Read(dir);
            Assert.NotNull(m.Config.Error);
            Assert.NotNull(m.Metrics.Error);
            Assert.Empty(m.Samples);
            Assert.Null(m.Metrics.LastStep);
        }
        finally { SyntheticRun.Cleanup(dir); }
    }
}
