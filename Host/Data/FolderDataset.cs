using System.Diagnostics;
using IlgpuGan.Engine;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace IlgpuGan.Host.Data;

/// <summary>A loaded folder dataset and how it was obtained.</summary>
/// <param name="Data">Count rows of Channels×Size×Size bytes (CHW); no labels.</param>
/// <param name="FromCache">True when the cache was valid and nothing was decoded.</param>
/// <param name="Decoded">Images decoded by this call (0 from the cache).</param>
/// <param name="Skips">Files passed over when the cache was built.</param>
public sealed record FolderLoad(MnistData Data, bool FromCache, int Decoded, FolderSkips Skips);

/// <summary>
/// <c>--dataset folder --data DIR</c>: every PNG, JPEG, BMP, GIF and WebP under DIR, resized and
/// centre-cropped to S×S (<see cref="FolderImageTransform"/>), as RGB or grayscale uint8 planes.
/// The result goes to a cache file first, image by image, and the dataset is then that file's
/// pixels: memory never exceeds the cache's size, whatever the number of images, and a second run
/// on an unchanged folder reads the cache without decoding anything.
/// </summary>
public static class FolderDataset
{
    /// <summary>A header declaring more pixels than this is skipped without decoding (decompression bombs).</summary>
    public const long MaxPixels = 50_000_000;

    static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>The cache's file name for these settings; the command decides the folder (e.g. &lt;run&gt;/data).</summary>
    public static string CacheFileName(int size, int channels) => $"folder-{size}-{channels}.u8";

    /// <summary>
    /// Loads <paramref name="folder"/> as <paramref name="channels"/>×<paramref name="size"/>×<paramref name="size"/>
    /// images through the cache at <paramref name="cachePath"/>, which is built or rebuilt as needed.
    /// </summary>
    /// <param name="parallelism">Images decoded at once; null: one per processor.</param>
    public static FolderLoad Load(string folder, string cachePath, int size, int channels, ILogger log, int? parallelism = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 (grayscale) or 3 (RGB)");
        var (files, others) = FolderScan.Scan(folder, exclude: cachePath);
        if (files.Count == 0)
        {
            throw new GanException(others == 0
                ? $"data folder {folder} holds no files"
                : $"data folder {folder} holds no images (PNG, JPEG, BMP, GIF or WebP), only {others} other file{(others == 1 ? "" : "s")}");
        }
        long bytes = (long)files.Count * channels * size * size;
        if (bytes > Array.MaxLength)
            throw new GanException($"{files.Count} images of {channels}×{size}×{size} need {bytes / (1 << 20)} MiB, more than the {Array.MaxLength / (1 << 20)} MiB one dataset can hold; use a smaller image size or fewer images");

        var fingerprint = FolderScan.Fingerprint(files, size, channels);
        if (File.Exists(cachePath))
        {
            if (FolderCache.TryRead(cachePath, channels, size, fingerprint, out var why, out bool stale) is var (header, pixels))
            {
                log.LogInformation("{Folder}: {Count} images of {C}×{S}×{S} from the cache {Cache}{Skipped}", folder, header.Count, channels, size, size, cachePath,
                    header.Skips.Total == 0 ? "" : $" ({header.Skips.Total} files were skipped when it was built: {header.Skips})");
                return new FolderLoad(Data(pixels, header.Count, channels, size), true, 0, header.Skips);
            }
            if (stale) log.LogInformation("{Cache}: {Why}; rebuilding it", cachePath, why);
            else log.LogWarning("{Cache}: {Why}; rebuilding it", cachePath, why);
        }

        var (count, skips) = Build(folder, files, new FolderSkips(others, 0, 0, 0), cachePath, size, channels, fingerprint, log,
            parallelism ?? Environment.ProcessorCount);
        LogSummary(log, folder, count, skips);
        if (count == 0)
        {
            // An empty cache would only be found damaged next time; the error says all there is.
            try { File.Delete(cachePath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new GanException($"data folder {folder} holds no readable images ({skips})");
        }

        // The dataset is the cache's bytes, read back: one copy in memory, checked like any cache.
        var read = FolderCache.TryRead(cachePath, channels, size, fingerprint, out var problem, out _)
            ?? throw new GanException($"{cachePath}: the cache just written cannot be read back: {problem}");
        return new FolderLoad(Data(read.Pixels, count, channels, size), false, count, skips);
    }

    static MnistData Data(byte[] pixels, int count, int channels, int size) =>
        new(pixels, [], count, size, size) { Channels = channels };

    static void LogSummary(ILogger log, string folder, int count, FolderSkips skips)
    {
        if (skips.BadImages > 0)
            log.LogWarning("{Folder}: {Count} images, {Skipped} files skipped ({Skips})", folder, count, skips.Total, skips);
        else
            log.LogInformation("{Folder}: {Count} images{Skipped}", folder, count, skips.Total == 0 ? "" : $", {skips.Total} files skipped ({skips})");
    }

    /// <summary>Decodes in ordered batches, in parallel within a batch, appending each to the cache.</summary>
    static (int Count, FolderSkips Skips) Build(string folder, List<FolderFile> files, FolderSkips skips, string cachePath, int size, int channels,
        byte[] fingerprint, ILogger log, int parallelism)
    {
        log.LogInformation("{Folder}: decoding {Count} images to {C}×{S}×{S}, cache {Cache}", folder, files.Count, channels, size, size, cachePath);
        parallelism = Math.Max(1, parallelism);
        int batch = 4 * parallelism;
        int imageBytes = channels * size * size;
        var buffers = new byte[batch][];
        for (int i = 0; i < batch; i++) buffers[i] = new byte[imageBytes];
        var outcomes = new Outcome[batch];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism };
        var config = DecoderConfiguration();

        int count = FolderCache.Write(cachePath, channels, size, fingerprint, writer =>
        {
            var clock = Stopwatch.StartNew();
            var nextReport = ProgressInterval;
            for (int start = 0; start < files.Count; start += batch)
            {
                int n = Math.Min(batch, files.Count - start);
                Parallel.For(0, n, options, i => outcomes[i] = Decode(config, files[start + i], size, channels, buffers[i]));
                for (int i = 0; i < n; i++)
                {
                    var o = outcomes[i];
                    if (o.Reason is null)
                    {
                        writer.Append(buffers[i]);
                        continue;
                    }
                    skips = o.Reason switch
                    {
                        SkipReason.NotAnImage => skips with { NotAnImage = skips.NotAnImage + 1 },
                        SkipReason.Unreadable => skips with { Unreadable = skips.Unreadable + 1 },
                        SkipReason.TooLarge => skips with { TooLarge = skips.TooLarge + 1 },
                        _ => skips with { Corrupt = skips.Corrupt + 1 },
                    };
                    log.LogDebug("{File}: skipped, {Detail}", files[start + i].RelativePath, o.Detail);
                }
                if (clock.Elapsed >= nextReport)
                {
                    int done = start + n;
                    log.LogInformation("{Folder}: {Done} of {Count} files ({Rate:F0}/s), {Skipped} skipped", folder, done, files.Count,
                        done / clock.Elapsed.TotalSeconds, skips.Total);
                    nextReport = clock.Elapsed + ProgressInterval;
                }
            }
            return skips;
        });
        // The decoders' pooled buffers are not needed again; training wants that memory.
        config.MemoryAllocator.ReleaseRetainedResources();
        return (count, skips);
    }

    enum SkipReason { NotAnImage, Unreadable, Corrupt, TooLarge }

    readonly record struct Outcome(SkipReason? Reason, string Detail);

    /// <summary>
    /// One file: the header first (size only, no pixels), then the decode. A file that cannot be
    /// opened is "unreadable"; anything the decoder throws on its bytes makes it "corrupt".
    /// </summary>
    static Outcome Decode(Configuration config, FolderFile file, int size, int channels, byte[] chw)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(SkipReason.Unreadable, e.Message);
        }
        using (stream)
        {
            Image<Rgb24> image;
            try
            {
                var info = Image.Identify(config, stream);
                if (info is null) return new(SkipReason.NotAnImage, "not a PNG, JPEG, BMP, GIF or WebP file");
                if ((long)info.Width * info.Height > MaxPixels)
                    return new(SkipReason.TooLarge, $"{info.Width}×{info.Height} is over {MaxPixels / 1_000_000} megapixels");
                stream.Position = 0;
                image = Image.Load<Rgb24>(config, stream);
            }
            catch (UnknownImageFormatException e)
            {
                return new(SkipReason.NotAnImage, e.Message);
            }
            // Decoders meeting damaged data throw more than ImageFormatException (end of stream,
            // index out of range, ...); one bad file must not end the scan of a large folder.
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new(SkipReason.Corrupt, $"{e.GetType().Name}: {e.Message}");
            }
            using (image)
                FolderImageTransform.ToChw(image, size, channels, chw);
            return new(null, "");
        }
    }

    /// <summary>
    /// The five formats only, each image decoded on one thread (we decode several at once), and
    /// only a GIF's first frame, as PIL shows it.
    /// </summary>
    static Configuration DecoderConfiguration()
    {
        var config = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule(),
            new GifConfigurationModule(), new WebpConfigurationModule())
        {
            MaxDegreeOfParallelism = 1,
        };
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        return config;
    }
}
