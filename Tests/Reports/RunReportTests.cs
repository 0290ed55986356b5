using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using IlgpuGan.Engine;
using IlgpuGan.Host.Reports;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Tests.Reports;

/// <summary>A run folder as `ilgpugan train` leaves it, written by hand, plus helpers to read a report.</summary>
internal static class SyntheticRun
{
    public const string ConfigJson = """
        {
          "config": {
            "dataset": "mnist",
            "generator": "dcgan",
            "batch": 64,
            "latent": 64,
            "lr": 0.0002,
            "beta1": 0.5,
            "beta2": 0.999,
            "seed": 3,
            "real_label": 1,
            "fake_label": 0
          },
          "steps": 100,
          "device": "cuda",
          "device_description": "GPU <b>\"fast\" & 'loud'</b>",
          "data_dir": "/data/mnist",
          "sample_every": 50,
          "checkpoint_every": 50,
          "log_every": 10,
          "tags": ["a", "b"],
          "version": "1.0.0.0",
          "created": "2026-01-02T03:04:05+00:00"
        }
        """;

    public static string NewDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "ilgpugan-report-" + Guid.NewGuid().ToString("N")[..8], "run-α <1>");
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>config.json, 10 metric rows with a sparse fid column, grids at steps 50 and 100.</summary>
    public static string Create()
    {
        var dir = NewDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson);
        var csv = new StringBuilder("step,d_loss,g_loss,d_x,d_g_z,steps_per_s,fid\n");
        for (int s = 10; s <= 100; s += 10)
        {
            double t = s / 100.0;
            string fid = s % 30 == 0 ? (300 - 2 * s).ToString(CultureInfo.InvariantCulture) : "";
            csv.Append(CultureInfo.InvariantCulture,
                $"{s},{1.4 - 0.5 * t:G6},{0.7 + 1.2 * t:G6},{0.5 + 0.3 * t:G6},{0.5 - 0.3 * t:G6},{40 + s % 7},{fid}\n");
        }
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "samples"));
        SaveGrid(Path.Combine(dir, "samples", "step_000050.png"), 60, seed: 1);
        SaveGrid(Path.Combine(dir, "samples", "step_000100.png"), 120, seed: 2);
        return dir;
    }

    /// <summary>A grayscale checker-and-gradient grid, different per seed.</summary>
    public static void SaveGrid(string path, int size, int seed)
    {
        using var image = new Image<L8>(size, size);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                image[x, y] = new L8((byte)((((x / 10) + (y / 10) + seed) % 2 == 0) ? (x * 255 / size) : 255 - (y * 255 / size)));
        image.SaveAsPng(path);
    }

    public static string DataUri(string pngPath) => "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(pngPath));

    /// <summary>The report parsed as XML: it is written to be well-formed markup throughout.</summary>
    public static XDocument Parse(string html)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(html), settings);
        return XDocument.Load(reader);
    }

    public static void Cleanup(string dir)
    {
        try { Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true); } catch (IOException) { }
    }
}

public sealed class RunReportTests
{
    [Fact]
    public void Report_has_charts_latest_grid_config_and_final_metrics()
    {
        var dir = SyntheticRun.Create();
        try
        {
            var path = RunReport.Write(dir);
            Assert.Equal(Path.Combine(dir, "report.html"), path);
            Assert.True(File.Exists(path));
            var html = File.ReadAllText(path);
            var doc = SyntheticRun.Parse(html);

            Assert.Contains("<svg", html);
            var svgs = doc.Descendants("svg").ToList();
            Assert.Equal(4, svgs.Count);   // losses, D outputs, steps/s, fid
            var legend = svgs.SelectMany(s => s.Descendants("g")).Where(g => (string?)g.Attribute("class") == "legend")
                .Select(g => g.Value).ToList();
            foreach (var name in new[] { "d_loss", "g_loss", "d_x", "d_g_z", "steps_per_s", "fid" })
                Assert.Contains(name, legend);
            Assert.All(svgs, s => Assert.NotEmpty(s.Descendants("path")));   // each has a drawn line

            Assert.Contains(SyntheticRun.DataUri(Path.Combine(dir, "samples", "step_000100.png")), html);
            Assert.DoesNotContain(SyntheticRun.DataUri(Path.Combine(dir, "samples", "step_000050.png")), html);
            Assert.Contains("step_000100.png", html);
            Assert.DoesNotContain("step_000050", html);
            Assert.DoesNotContain("http://", html);
            Assert.DoesNotContain("https://", html);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

            var title = doc.Descendants("title").First().Value;
            Assert.Contains("run-α <1>", title);   // decoded text: the folder name, escaped in the markup
            Assert.Contains("run-α &lt;1&gt;", html);

            var cells = doc.Descendants("tr").Select(tr => tr.Elements("td").Select(td => td.Value).ToArray())
                .Where(r => r.Length > 0).ToList();
            string Value(string key) => cells.Single(r => r[0] == key)[1];
            Assert.Equal("64", Value("config.batch"));
            Assert.Equal("0.0002", Value("config.lr"));
            Assert.Equal("mnist", Value("config.dataset"));
            Assert.Equal("b", Value("tags[1]"));
            Assert.Equal("GPU <b>\"fast\" & 'loud'</b>", Value("device_description"));   // round-trips: escaped, not markup
            Assert.DoesNotContain("<b>\"fast\"", html);

            // Final metrics: the last row's values; fid (empty on the last row) from the last row that has it.
            Assert.Equal("100", Value("step"));
            Assert.Equal("0.9", Value("d_loss"));
            Assert.Equal("1.9", Value("g_loss"));
            var fid = cells.Single(r => r[0] == "fid");
            Assert.Equal(("120", "from step 90"), (fid[1], fid[2]));
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    [Fact]
    public void Empty_run_folder_still_yields_a_valid_page()
    {
        var dir = SyntheticRun.NewDir();
        try
        {
            var html = File.ReadAllText(RunReport.Write(dir));
            var doc = SyntheticRun.Parse(html);
            Assert.Empty(doc.Descendants("svg"));
            Assert.Empty(doc.Descendants("img"));
            Assert.Contains("No metrics.csv yet", html);
            Assert.Contains("No sample grid yet", html);
            Assert.Contains("No config.json", html);
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    [Fact]
    public void Header_only_metrics_and_empty_samples_folder_say_so()
    {
        var dir = SyntheticRun.NewDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), SyntheticRun.ConfigJson);
            File.WriteAllText(Path.Combine(dir, "metrics.csv"), "step,d_loss,g_loss,d_x,d_g_z,steps_per_s\n");
            Directory.CreateDirectory(Path.Combine(dir, "samples"));
            var html = File.ReadAllText(RunReport.Write(dir));
            var doc = SyntheticRun.Parse(html);
            Assert.Empty(doc.Descendants("svg"));
            Assert.Contains("no rows yet", html);
            Assert.Contains("No sample grid yet", html);
            Assert.Contains("config.batch", html);
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    [Fact]
    public void Long_series_with_non_finite_values_and_2d_columns_stay_small_and_well_formed()
    {
        var dir = SyntheticRun.NewDir();
        try
        {
            var csv = new StringBuilder("step,d_loss,g_loss,d_x,d_g_z,steps_per_s,modes_captured,modes_total,high_quality_pct,reverse_kl,note\n");
            for (int s = 1; s <= 50_000; s++)
            {
                string dl = s == 777 ? "NaN" : s == 778 ? "inf" : (1 + Math.Sin(s / 500.0)).ToString("G6", CultureInfo.InvariantCulture);
                string eval = s % 1000 == 0 ? $"{s / 1000 % 9},8,{s % 97},{1.0 / s:G4}" : ",,,";
                csv.Append(CultureInfo.InvariantCulture, $"{s},{dl},0.7,0.5,0.5,100.5,{eval},x\n");
            }
            csv.Append("garbage line\n");
            File.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString());
            Directory.CreateDirectory(Path.Combine(dir, "samples"));
            const string plot = """<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>""";
            File.WriteAllText(Path.Combine(dir, "samples", "step_049000.svg"), "<svg/>");
            File.WriteAllText(Path.Combine(dir, "samples", "step_050000.svg"), plot);

            var html = File.ReadAllText(RunReport.Write(dir));
            var doc = SyntheticRun.Parse(html);
            Assert.True(html.Length < 1_000_000, $"report is {html.Length} chars");
            Assert.Equal(7, doc.Descendants("svg").Count());   // losses, D outputs, steps/s and the four 2D metrics
            Assert.Contains("non-finite value", html);
            Assert.Contains("data:image/svg+xml;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes(plot)), html);
            Assert.DoesNotContain("http://", html);   // the sample SVG's namespace stays inside its data URI
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    [Fact]
    public void Missing_run_folder_is_an_error()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ilgpugan-report-missing-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<GanException>(() => RunReport.Write(dir));
        Assert.False(Directory.Exists(dir));
    }
}

public sealed class SvgChartTests
{
    static XElement Chart(params (string Name, (double X, double Y)[] Points)[] series) =>
        XElement.Parse(SvgChart.Lines("T <&>", series.Select(s => (s.Name, (IReadOnlyList<(double X, double Y)>)s.Points)).ToList()));

    [Fact]
    public void Single_point_is_a_dot_and_constant_series_a_line()
    {
        var one = Chart(("a", [(5, 1.25)]));
        Assert.Single(one.Descendants("circle"));
        Assert.Empty(one.Descendants("path"));
        var flat = Chart(("b", [(0, 2), (10, 2), (20, 2)]));
        Assert.Single(flat.Descendants("path"));
        Assert.Equal("T <&>", flat.Element("title")!.Value);
    }

    [Fact]
    public void Non_finite_values_break_the_line_and_never_reach_the_markup()
    {
        var svg = Chart(("a", [(0, 1), (1, 2), (2, double.NaN), (3, double.PositiveInfinity), (4, 3), (5, 1)]), ("b", [(0, double.NaN)]));
        var d = (string)svg.Descendants("path").Single().Attribute("d")!;
        Assert.Equal(2, d.Count(c => c == 'M'));
        var text = svg.ToString();
        Assert.DoesNotContain("NaN", text);
        Assert.DoesNotContain("Infinity", text);
        Assert.DoesNotContain("∞", text);
        Assert.Contains("3 non-finite values not drawn", text);   // two in a, one in b (which is all-NaN)
        var empty = Chart(("c", [(0, double.NaN)]));
        Assert.Contains("no data", empty.ToString());
    }

    [Fact]
    public void Long_series_are_decimated_but_keep_their_extremes()
    {
        var pts = Enumerable.Range(0, 100_000).Select(i => ((double)i, i == 54_321 ? 1000.0 : Math.Sin(i / 100.0))).ToArray();
        var reduced = SvgChart.Decimate(pts);
        Assert.InRange(reduced.Count, 100, SvgChart.MaxPoints);
        Assert.Contains((54_321.0, 1000.0), reduced);
        Assert.Equal(reduced.OrderBy(p => p.X), reduced);
    }

    [Fact]
    public void Ticks_are_round_numbers_in_invariant_culture()
    {
        var ticks = SvgChart.NiceTicks(0.13, 0.87, 4, out double step);
        Assert.Equal(0.2, step, 12);
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], ticks.Select(t => SvgChart.Tick(t, step)));
        var prev = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("0.5", SvgChart.Tick(0.5, 0.1));
            var svg = XElement.Parse(SvgChart.Lines("x", [("a", [(0.5, 0.5), (1.5, 2.5)])]));
            Assert.All(svg.Descendants("text"), t => Assert.DoesNotContain(",", t.Value));
            Assert.All(svg.Descendants().Attributes().Where(a => a.Name != "d"), a => Assert.DoesNotContain(",", a.Value));
        }
        finally { CultureInfo.CurrentCulture = prev; }
    }
}

public sealed class ReportScreenshotTests
{
    const string Chromium = "/usr/bin/chromium";

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tools", "screenshot-report.sh"))) return d.FullName;
        throw new InvalidOperationException("tools/screenshot-report.sh not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Headless_chromium_renders_the_report()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is not installed (apt-get install -y chromium)");
        var dir = SyntheticRun.Create();
        try
        {
            RunReport.Write(dir);
            var png = Path.Combine(Path.GetDirectoryName(dir)!, "report.png");
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(RepoRoot(), "tools", "screenshot-report.sh"));
            psi.ArgumentList.Add(dir);
            psi.ArgumentList.Add(png);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            try { await p.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail("chromium did not finish in 2 minutes");
            }
            string output = await stdout + "\n" + await stderr;
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{output}");

            Assert.True(File.Exists(png), png);
            Assert.True(new FileInfo(png).Length > 10_000, $"screenshot is only {new FileInfo(png).Length} bytes");
            using var image = Image.Load<Rgba32>(png);
            var colors = new HashSet<Rgba32>();
            int blue = 0, red = 0;
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                    foreach (var c in rows.GetRowSpan(y))
                    {
                        if (colors.Count < 10_000) colors.Add(c);
                        if (Near(c, 0x1f, 0x77, 0xb4)) blue++;   // d_loss line
                        if (Near(c, 0xd6, 0x27, 0x28)) red++;    // g_loss line
                    }
            });
            Assert.True(colors.Count > 50, $"only {colors.Count} colours: blank page?");
            Assert.True(blue > 50 && red > 50, $"chart lines not visible: {blue} blue, {red} red pixels");
        }
        finally { SyntheticRun.Cleanup(dir); }
    }

    static bool Near(Rgba32 c, int r, int g, int b) => Math.Abs(c.R - r) + Math.Abs(c.G - g) + Math.Abs(c.B - b) < 40;
}
