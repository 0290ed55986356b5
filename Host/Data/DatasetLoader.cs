using System.Security.Cryptography;
using IlgpuGan.Engine;
using Microsoft.Extensions.Logging;

namespace IlgpuGan.Host.Data;

/// <summary>One split of a dataset in memory: Count images of Rows×Cols bytes, and one label per image.</summary>
public sealed record MnistData(byte[] Pixels, byte[] Labels, int Count, int Rows, int Cols)
{
    /// <summary>
    /// Colour planes per image: 1 for MNIST, 3 for an RGB folder dataset. An image is
    /// Channels×Rows×Cols bytes, planes first (CHW), so that Count of them are NCHW rows.
    /// </summary>
    public int Channels { get; init; } = 1;

    /// <summary>Bytes (and network inputs) per image: Channels×Rows×Cols.</summary>
    public int ImageSize => Channels * Rows * Cols;

    /// <summary>False for a folder dataset: it has no classes (Labels is empty).</summary>
    public bool HasLabels => Labels.Length == Count;
}

/// <summary>Where the download cache lives and how files are fetched into it.</summary>
public sealed class DatasetDownloadOptions
{
    /// <summary>Cache root; each dataset gets a sub-folder named after it. Null: <see cref="DefaultCacheRoot"/>.</summary>
    public string? CacheDir { get; init; }

    /// <summary>Replaces the dataset's own mirrors (tests point this at a loopback server).</summary>
    public IReadOnlyList<Uri>? Mirrors { get; init; }

    /// <summary>How long to wait for a mirror to answer, and then for each further chunk of data.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Optional transport for the HTTP client; null uses the default one.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>ILGPUGAN_CACHE, else $XDG_CACHE_HOME/ilgpugan, else ~/.cache/ilgpugan.</summary>
    public static string DefaultCacheRoot()
    {
        var explicitDir = Environment.GetEnvironmentVariable("ILGPUGAN_CACHE");
        if (!string.IsNullOrEmpty(explicitDir))
            return explicitDir;
        // The XDG spec says to ignore a relative XDG_CACHE_HOME.
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "ilgpugan");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ilgpugan");
    }
}

/// <summary>
/// Loads a dataset split either from a folder the user names (no network, ever) or from the
/// download cache, fetching missing files first. Every cached file is MD5-checked before use:
/// hashing a few megabytes is cheap next to training on a silently damaged file.
/// </summary>
public static class DatasetLoader
{
    const long ProgressEvery = 8L << 20;

    public static MnistData Load(string dataset, string? dataDir, bool train, DatasetDownloadOptions options, ILogger log) =>
        Load(DatasetCatalog.Get(dataset), dataDir, train, options, log);

    /// <summary>Loads the train (train-*) or test (t10k-*) split of <paramref name="info"/>.</summary>
    public static MnistData Load(DatasetInfo info, string? dataDir, bool train, DatasetDownloadOptions options, ILogger log)
    {
        var (imagesFile, labelsFile) = info.Split(train);
        string imagesPath, labelsPath;
        if (dataDir != null)
        {
            imagesPath = FindInDataDir(dataDir, imagesFile);
            labelsPath = FindInDataDir(dataDir, labelsFile);
        }
        else
        {
            var dir = CacheFolder(info, options);
            EnsureCached(info, [imagesFile, labelsFile], dir, options, log);
            imagesPath = Path.Combine(dir, imagesFile.GzName);
            labelsPath = Path.Combine(dir, labelsFile.GzName);
        }

        var images = Idx.ReadImages(imagesPath);
        var labels = Idx.ReadLabels(labelsPath);
        string split = train ? "train" : "test";
        Idx.CheckPair(images, labels, $"{info.DisplayName} {split}");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= info.Classes)
                throw new GanException($"{labelsPath}: label {labels[i]} at index {i} is outside 0..{info.Classes - 1}");
        }
        log.LogInformation("{Dataset} {Split}: {Count} images of {Rows}x{Cols}", info.DisplayName, split, images.Count, images.Rows, images.Cols);
        return new MnistData(images.Pixels, labels, images.Count, images.Rows, images.Cols);
    }

    /// <summary>The folder holding one dataset's downloaded .gz files.</summary>
    public static string CacheFolder(DatasetInfo info, DatasetDownloadOptions options) =>
        Path.GetFullPath(Path.Combine(options.CacheDir ?? DatasetDownloadOptions.DefaultCacheRoot(), info.Name));

    static string FindInDataDir(string dataDir, DatasetFile file)
    {
        if (!Directory.Exists(dataDir))
            throw new GanException($"data folder {dataDir} does not exist");
        // Users often unpack the .gz files; either form is fine because Idx sniffs gzip itself.
        var gz = Path.Combine(dataDir, file.GzName);
        if (File.Exists(gz))
            return gz;
        var raw = Path.Combine(dataDir, file.Name);
        if (File.Exists(raw))
            return raw;
        throw new GanException($"{file.GzName} (or unpacked {file.Name}) is missing in {dataDir}");
    }

    static void EnsureCached(DatasetInfo info, IReadOnlyList<DatasetFile> files, string dir, DatasetDownloadOptions options, ILogger log)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot create cache folder {dir}: {e.Message}");
        }

        var missing = new List<DatasetFile>();
        foreach (var file in files)
        {
            var path = Path.Combine(dir, file.GzName);
            if (!File.Exists(path))
            {
                missing.Add(file);
            }
            else if (!string.Equals(Md5OfFile(path), file.GzMd5, StringComparison.OrdinalIgnoreCase))
            {
                // Most likely an interrupted copy by hand; our own downloads never land unverified.
                log.LogWarning("{Path}: checksum mismatch, downloading it again", path);
                TryDelete(path);
                missing.Add(file);
            }
        }
        if (missing.Count == 0)
            return;

        var mirrors = options.Mirrors ?? info.Mirrors;
        using var client = options.Handler is null ? new HttpClient() : new HttpClient(options.Handler, disposeHandler: false);
        // The per-request token below enforces the timeout, also while the body streams in.
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        foreach (var file in missing)
            Download(client, info, file, missing, dir, mirrors, options.Timeout, log);
    }

    /// <summary>Tries each mirror in turn; a file only ever appears in the cache with the right MD5.</summary>
    static void Download(HttpClient client, DatasetInfo info, DatasetFile file, IReadOnlyList<DatasetFile> wanted,
        string dir, IReadOnlyList<Uri> mirrors, TimeSpan timeout, ILogger log)
    {
        var target = Path.Combine(dir, file.GzName);
        var failures = new List<string>();
        bool anyMirrorAnswered = false;
        foreach (var mirror in mirrors)
        {
            var url = new Uri(WithTrailingSlash(mirror), file.GzName);
            // Same folder as the target so the final rename is atomic; the dot hides it from listings.
            var temp = Path.Combine(dir, $".{file.GzName}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
            try
            {
                log.LogInformation("downloading {File} from {Url}", file.GzName, url);
                var (bytes, md5) = FetchAsync(client, url, temp, timeout, file.GzName, log).GetAwaiter().GetResult();
                if (string.Equals(md5, file.GzMd5, StringComparison.OrdinalIgnoreCase))
                {
                    MoveIntoPlace(temp, target);
                    log.LogInformation("{File}: {Bytes} bytes, checksum ok", file.GzName, bytes);
                    return;
                }
                anyMirrorAnswered = true;
                failures.Add($"checksum mismatch from {url}");
            }
            catch (HttpRequestException e) when (e.StatusCode is { } status)
            {
                anyMirrorAnswered = true;
                failures.Add($"HTTP {(int)status} from {url}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                failures.Add(e is OperationCanceledException ? $"{url}: timed out" : $"{url}: {e.Message}");
            }
            finally
            {
                TryDelete(temp);
            }
            log.LogWarning("{File}: {Failure}", file.GzName, failures[^1]);
        }

        if (!anyMirrorAnswered)
        {
            var names = wanted.Where(f => !File.Exists(Path.Combine(dir, f.GzName))).Select(f => f.GzName);
            throw new GanException($"cannot download {info.DisplayName} (offline?): put {string.Join(", ", names)} into {dir} or pass --data DIR");
        }
        throw new GanException($"could not download {file.GzName} ({string.Join("; ", failures)}); put it into {dir} or pass --data DIR");
    }

    /// <summary>Streams the body to <paramref name="temp"/>, hashing as it goes.</summary>
    static async Task<(long Bytes, string Md5)> FetchAsync(HttpClient client, Uri url, string temp, TimeSpan timeout, string name, ILogger log)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        long? expected = response.Content.Headers.ContentLength;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var body = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long done = 0, nextReport = ProgressEvery;
                while (true)
                {
                    cts.CancelAfter(timeout); // an idle timeout: a slow but moving download may take longer
                    int n = await body.ReadAsync(buffer, cts.Token).ConfigureAwait(false);
                    if (n == 0)
                        break;
                    md5.AppendData(buffer, 0, n);
                    await WriteChunkAsync(file, buffer.AsMemory(0, n), temp, cts.Token).ConfigureAwait(false);
                    done += n;
                    if (done >= nextReport)
                    {
                        log.LogInformation("{File}: {Done} of {Total} bytes", name, done, expected?.ToString() ?? "?");
                        nextReport += ProgressEvery;
                    }
                }
                if (expected is long total && done != total)
                    throw new IOException($"connection closed after {done} of {total} bytes");
                try
                {
                    file.Flush(flushToDisk: true);
                }
                catch (IOException e)
                {
                    throw new GanException($"cannot write {temp}: {e.Message}");
                }
                return (done, Convert.ToHexStringLower(md5.GetHashAndReset()));
            }
        }
    }

    // Local disk errors become GanException so they are never mistaken for an unreachable mirror.
    static async Task WriteChunkAsync(FileStream file, ReadOnlyMemory<byte> chunk, string temp, CancellationToken ct)
    {
        try
        {
            await file.WriteAsync(chunk, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new GanException($"cannot write {temp}: {e.Message}");
        }
    }

    static void MoveIntoPlace(string temp, string target)
    {
        try
        {
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"cannot write {target}: {e.Message}");
        }
    }

    static string Md5OfFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Convert.ToHexStringLower(MD5.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GanException($"{path}: cannot read: {e.Message}");
        }
    }

    static Uri WithTrailingSlash(Uri mirror) =>
        mirror.AbsoluteUri.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/");

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
