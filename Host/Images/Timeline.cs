using IlgpuGan.Engine.Gan;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Host.Images;

/// <summary>
/// samples/timeline.gif: the run's fixed-z sample grids as one animation, in step order. It is
/// built from the step_*.png files on disk rather than from memory, so a resumed run's timeline
/// includes the grids of its earlier sessions.
/// </summary>
public static class Timeline
{
    public const string FileName = RunFolder.TimelineFileName;
    public const int MaxFrames = 100;   // ~6 MB of 242×242 frames in memory at most, and a GIF one can watch
    public const int FrameDelay = 15;   // 1/100 s
    public const int LastFrameDelay = 200;   // hold the final samples before the loop restarts

    /// <summary>
    /// Writes samples/timeline.gif from samples/step_*.png; returns its path, or null when there are
    /// no PNG grids (2D runs plot SVG scatters, which have no frames to animate).
    /// </summary>
    public static string? Write(string samplesDir)
    {
        var grids = Directory.Exists(samplesDir)
            ? Directory.EnumerateFiles(samplesDir)
                .Select(p => (Path: p, IsGrid: RunFolder.TryParseSampleFileName(Path.GetFileName(p), out long step, out string ext) && ext == "png", Step: step))
                .Where(g => g.IsGrid)
                .OrderBy(g => g.Step)
                .Select(g => g.Path)
                .ToList()
            : [];
        if (grids.Count == 0) return null;

        var chosen = EvenlySpaced(grids, MaxFrames);
        var delays = Enumerable.Repeat(FrameDelay, chosen.Count).ToArray();
        delays[^1] = LastFrameDelay;
        var path = Path.Combine(samplesDir, FileName);
        // RGB runs' grids are RGB PNGs; gray ones keep the exact gray palette.
        if (IsColor(chosen[0])) WithFrames<Rgb24>(chosen, frames => AnimatedGif.Save(path, frames, delays));
        else WithFrames<L8>(chosen, frames => AnimatedGif.Save(path, frames, delays));
        return path;
    }

    static bool IsColor(string png) =>
        Image.Identify(png)?.Metadata.GetPngMetadata().ColorType is PngColorType.Rgb or PngColorType.RgbWithAlpha or PngColorType.Palette;

    static void WithFrames<TPixel>(IReadOnlyList<string> paths, Action<IReadOnlyList<Image<TPixel>>> use) where TPixel : unmanaged, IPixel<TPixel>
    {
        var frames = new List<Image<TPixel>>(paths.Count);
        try
        {
            foreach (var p in paths) frames.Add(Image.Load<TPixel>(p));
            use(frames);
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    /// <summary>At most max items, evenly spaced in order, always with the first and the last.</summary>
    public static IReadOnlyList<T> EvenlySpaced<T>(IReadOnlyList<T> items, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        if (items.Count <= max) return items;
        // Index round(i·(n−1)/(max−1)): steps of (n−1)/(max−1) > 1, so no index repeats.
        return Enumerable.Range(0, max).Select(i => items[(int)Math.Round((double)i * (items.Count - 1) / (max - 1))]).ToList();
    }
}
