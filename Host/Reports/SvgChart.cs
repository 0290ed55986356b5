using System.Globalization;
using System.Net;
using System.Text;

namespace IlgpuGan.Host.Reports;

/// <summary>
/// Small self-contained SVG line charts for the run report: axes, "nice" tick labels, a light grid
/// and a legend; no scripts, no external resources, no namespace URL (the SVG is meant to be
/// inlined into an HTML page). Non-finite values break a line and are left out of the axis range;
/// isolated points are drawn as dots; long series are min/max-decimated to a bounded size.
/// </summary>
public static class SvgChart
{
    /// <summary>Series longer than this are decimated (min and max per bucket, in x order).</summary>
    public const int MaxPoints = 2000;

    static readonly string[] Palette =
        ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    const int MarginLeft = 64, MarginRight = 16, MarginBottom = 40, TitleHeight = 24, LegendRow = 18;

    /// <param name="title">Shown above the plot.</param>
    /// <param name="series">Named point lists; X is usually the training step.</param>
    /// <param name="xLabel">Caption of the x axis.</param>
    public static string Lines(string title, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series,
        int width = 640, int height = 280, string xLabel = "step")
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(series);
        width = Math.Max(width, 200);
        height = Math.Max(height, 120);

        // Legend entries flow left to right and wrap; the plot starts below them.
        var legend = new List<(string Name, string Color, double X, int Row)>();
        double lx = MarginLeft;
        int row = 0;
        for (int i = 0; i < series.Count; i++)
        {
            double w = 28 + 7 * series[i].Name.Length + 14;
            if (lx + w > width - MarginRight && lx > MarginLeft) { row++; lx = MarginLeft; }
            legend.Add((series[i].Name, Palette[i % Palette.Length], lx, row));
            lx += w;
        }
        int legendRows = series.Count == 0 ? 0 : row + 1;
        int top = TitleHeight + legendRows * LegendRow + 8;
        double plotW = width - MarginLeft - MarginRight;
        double plotH = Math.Max(height - top - MarginBottom, 40);
        height = (int)(top + plotH + MarginBottom);

        var reduced = series.Select(s => Decimate(s.Points)).ToList();
        int nonFinite = series.Sum(s => s.Points.Count(p => !double.IsFinite(p.X) || !double.IsFinite(p.Y)));
        var finite = reduced.SelectMany(s => s).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append("<title>").Append(Enc(title)).Append("</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
        sb.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{MarginLeft}\" y=\"17\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{Enc(title)}</text>");
        foreach (var (name, color, x, r) in legend)
        {
            double y = TitleHeight + r * LegendRow + 10;
            sb.Append(CultureInfo.InvariantCulture,
                $"<g class=\"legend\"><line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x + 22)}\" y2=\"{F(y)}\" stroke=\"{color}\" stroke-width=\"2.5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + 28)}\" y=\"{F(y + 4)}\" fill=\"#222\">{Enc(name)}</text></g>");
        }

        double bottom = top + plotH, right = MarginLeft + plotW;
        sb.Append(CultureInfo.InvariantCulture,
            $"<rect x=\"{MarginLeft}\" y=\"{top}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" fill=\"#fafafa\" stroke=\"none\"/>");

        if (finite.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(MarginLeft + plotW / 2)}\" y=\"{F(top + plotH / 2)}\" text-anchor=\"middle\" fill=\"#888\">no data</text>");
            Axes(sb, top, bottom, right);
            sb.Append("</svg>");
            return sb.ToString();
        }

        var (xMin, xMax) = Range(finite.Select(p => p.X));
        var (yMin, yMax) = Range(finite.Select(p => p.Y));
        var yTicks = NiceTicks(yMin, yMax, 5, out double yStep);
        yMin = Math.Min(yMin, yTicks[0]);
        yMax = Math.Max(yMax, yTicks[^1]);
        var xTicks = NiceTicks(xMin, xMax, 6, out double xStep).Where(t => t >= xMin - xStep * 1e-9 && t <= xMax + xStep * 1e-9).ToList();

        double Px(double x) => MarginLeft + (x - xMin) / (xMax - xMin) * plotW;
        double Py(double y) => bottom - (y - yMin) / (yMax - yMin) * plotH;

        // Grid and tick labels.
        foreach (var t in yTicks)
        {
            double y = Py(t);
            sb.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{MarginLeft}\" y1=\"{F(y)}\" x2=\"{F(right)}\" y2=\"{F(y)}\" stroke=\"#e3e3e3\"/>");
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{MarginLeft - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\" fill=\"#444\">{Enc(Tick(t, yStep))}</text>");
        }
        foreach (var t in xTicks)
        {
            double x = Px(t);
            sb.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{F(x)}\" y1=\"{top}\" x2=\"{F(x)}\" y2=\"{F(bottom)}\" stroke=\"#eeeeee\"/>");
            sb.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{F(x)}\" y1=\"{F(bottom)}\" x2=\"{F(x)}\" y2=\"{F(bottom + 4)}\" stroke=\"#444\"/>");
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(x)}\" y=\"{F(bottom + 16)}\" text-anchor=\"middle\" fill=\"#444\">{Enc(Tick(t, xStep))}</text>");
        }
        Axes(sb, top, bottom, right);
        sb.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{F(MarginLeft + plotW / 2)}\" y=\"{F(bottom + 32)}\" text-anchor=\"middle\" fill=\"#444\">{Enc(xLabel)}</text>");
        if (nonFinite > 0)
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(right)}\" y=\"{F(bottom + 32)}\" text-anchor=\"end\" fill=\"#b00\">{nonFinite} non-finite value{(nonFinite == 1 ? "" : "s")} not drawn</text>");

        // Lines: a path per series, broken at non-finite values; isolated points become dots.
        for (int i = 0; i < reduced.Count; i++)
        {
            var color = Palette[i % Palette.Length];
            var path = new StringBuilder();
            var dots = new List<(double X, double Y)>();
            var segment = new List<(double X, double Y)>();
            void Flush()
            {
                if (segment.Count == 1) dots.Add(segment[0]);
                else if (segment.Count > 1)
                {
                    for (int k = 0; k < segment.Count; k++)
                        path.Append(k == 0 ? 'M' : 'L').Append(F(Px(segment[k].X))).Append(',').Append(F(Py(segment[k].Y)));
                }
                segment.Clear();
            }
            foreach (var p in reduced[i])
            {
                if (double.IsFinite(p.X) && double.IsFinite(p.Y)) segment.Add(p);
                else Flush();
            }
            Flush();
            sb.Append("<g class=\"series\">");
            if (path.Length > 0)
                sb.Append(CultureInfo.InvariantCulture,
                    $"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>");
            foreach (var d in dots)
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(Px(d.X))}\" cy=\"{F(Py(d.Y))}\" r=\"3\" fill=\"{color}\"/>");
            sb.Append("</g>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    static void Axes(StringBuilder sb, double top, double bottom, double right)
    {
        sb.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{MarginLeft}\" y1=\"{F(top)}\" x2=\"{MarginLeft}\" y2=\"{F(bottom)}\" stroke=\"#444\"/>");
        sb.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{MarginLeft}\" y1=\"{F(bottom)}\" x2=\"{F(right)}\" y2=\"{F(bottom)}\" stroke=\"#444\"/>");
    }

    /// <summary>
    /// At most <see cref="MaxPoints"/> points: the series split into x-order buckets, each kept as
    /// its lowest and highest finite point (so spikes survive); a bucket holding a non-finite value
    /// also keeps a NaN so the line still shows the gap.
    /// </summary>
    internal static List<(double X, double Y)> Decimate(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count <= MaxPoints) return [.. points];
        int buckets = MaxPoints / 3;
        var result = new List<(double X, double Y)>(MaxPoints);
        for (int b = 0; b < buckets; b++)
        {
            int start = (int)((long)points.Count * b / buckets), end = (int)((long)points.Count * (b + 1) / buckets);
            int lo = -1, hi = -1;
            bool gap = false;
            for (int k = start; k < end; k++)
            {
                var p = points[k];
                if (!double.IsFinite(p.X) || !double.IsFinite(p.Y)) { gap = true; continue; }
                if (lo < 0 || p.Y < points[lo].Y) lo = k;
                if (hi < 0 || p.Y > points[hi].Y) hi = k;
            }
            if (lo >= 0)
            {
                result.Add(points[Math.Min(lo, hi)]);
                if (hi != lo) result.Add(points[Math.Max(lo, hi)]);
            }
            if (gap) result.Add((double.NaN, double.NaN));
        }
        return result;
    }

    static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
        double span = max - min;
        if (!(span > Math.Max(Math.Abs(min), Math.Abs(max)) * 1e-9) || !double.IsFinite(span))
        {
            // One value (or one point): centre it in a small window instead of dividing by zero.
            double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
            if (!double.IsFinite(span)) pad = 0;
            return (min - pad, max + pad);
        }
        return (min, max);
    }

    /// <summary>Multiples of 1, 2 or 5 × 10^k covering [min, max] with about <paramref name="count"/> intervals.</summary>
    internal static List<double> NiceTicks(double min, double max, int count, out double step)
    {
        double raw = (max - min) / Math.Max(count, 1);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / mag;
        step = (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
        if (!double.IsFinite(step) || step <= 0) { step = 1; return [min, max]; }
        double first = Math.Floor(min / step) * step, last = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (int i = 0; i <= 100; i++)
        {
            double t = first + i * step;
            if (t > last + step * 1e-9) break;
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        }
        return ticks;
    }

    /// <summary>Tick label with just enough decimals for the tick spacing.</summary>
    internal static string Tick(double value, double step)
    {
        double abs = Math.Abs(value);
        if (abs >= 1e6 || (abs > 0 && abs < 1e-4) || step < 1e-6)
            return value.ToString("0.###e0", CultureInfo.InvariantCulture);
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    static string Enc(string s) => WebUtility.HtmlEncode(s);
}
