using System.Globalization;
using System.Text;
using IlgpuGan.Engine.IO;

namespace IlgpuGan.Host.Images;

/// <summary>
/// The 2D runs' equivalent of the sample grid: an SVG scatter of generated points (blue) over the
/// true mode centres (red rings of radius 3σ, the high-quality radius), on fixed axes.
/// </summary>
public static class Scatter
{
    public static void SaveSvg(string path, ReadOnlySpan<float> points, double[] modes, double sigma, double extent, string title)
    {
        const int size = 480, pad = 24;
        double scale = (size - 2 * pad) / (2 * extent);
        string X(double x) => (pad + (x + extent) * scale).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double y) => (pad + (extent - y) * scale).ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size + 20}\" viewBox=\"0 0 {size} {size + 20}\">");
        sb.Append($"<rect width=\"{size}\" height=\"{size + 20}\" fill=\"white\"/>");
        sb.Append($"<rect x=\"{pad}\" y=\"{pad}\" width=\"{size - 2 * pad}\" height=\"{size - 2 * pad}\" fill=\"none\" stroke=\"#bbb\"/>");
        sb.Append("<g fill=\"#1f77b4\" fill-opacity=\"0.35\">");
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            double x = points[i], y = points[i + 1];
            if (!double.IsFinite(x) || !double.IsFinite(y) || Math.Abs(x) > extent || Math.Abs(y) > extent) continue;
            sb.Append($"<circle cx=\"{X(x)}\" cy=\"{Y(y)}\" r=\"1.6\"/>");
        }
        sb.Append("</g><g fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.2\">");
        string r = Math.Max(2, 3 * sigma * scale).ToString("F1", CultureInfo.InvariantCulture);
        for (int m = 0; m + 1 < modes.Length; m += 2)
            sb.Append($"<circle cx=\"{X(modes[m])}\" cy=\"{Y(modes[m + 1])}\" r=\"{r}\"/>");
        sb.Append("</g>");
        sb.Append($"<text x=\"{pad}\" y=\"{size + 12}\" font-family=\"sans-serif\" font-size=\"13\">{System.Net.WebUtility.HtmlEncode(title)}</text>");
        sb.Append("</svg>");
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
