using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using IlgpuGan.Engine;
using IlgpuGan.Host;
using IlgpuGan.Host.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace IlgpuGan.Tests.Data;

/// <summary>
/// The loader against a loopback HTTP server serving small generated datasets; nothing here
/// touches the internet, and every network wait is bounded by a short timeout.
/// </summary>
public class DownloadTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A tiny dataset: the .gz bytes of its four files and a matching DatasetInfo.</summary>
    sealed class TinyDataset
    {
        public Dictionary<string, byte[]> Files { get; } = new()
        {
            ["train-images-idx3-ubyte.gz"] = IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 12, rows: 4, cols: 3, seed: 1)),
            ["train-labels-idx1-ubyte.gz"] = IdxFixtures.Gzip(IdxFixtures.LabelFile(count: 12, seed: 1)),
            ["t10k-images-idx3-ubyte.gz"] = IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 5, rows: 4, cols: 3, seed: 2)),
            ["t10k-labels-idx1-ubyte.gz"] = IdxFixtures.Gzip(IdxFixtures.LabelFile(count: 5, seed: 2)),
        };

        public DatasetInfo Info(params Uri[] mirrors) => new(
            "tiny", "Tiny",
            File("train-images-idx3-ubyte"), File("train-labels-idx1-ubyte"),
            File("t10k-images-idx3-ubyte"), File("t10k-labels-idx1-ubyte"),
            mirrors);

        DatasetFile File(string name) => new(name, Convert.ToHexStringLower(MD5.HashData(Files[name + ".gz"])));
    }

    static DatasetDownloadOptions Options(string cacheRoot) => new() { CacheDir = cacheRoot, Timeout = Timeout };

    [Fact]
    public void DownloadsIntoTheCacheAndLoads()
    {
        var tiny = new TinyDataset();
        using var server = new LoopbackServer(tiny.Files);
        using var tmp = new IdxFixtures.TempFolder();
        var info = tiny.Info(server.BaseUri);

        var data = DatasetLoader.Load(info, dataDir: null, train: true, Options(tmp.Path), NullLogger.Instance);

        Assert.Equal((12, 4, 3), (data.Count, data.Rows, data.Cols));
        Assert.Equal(IdxFixtures.ImageFile(12, 4, 3, seed: 1).AsSpan(16).ToArray(), data.Pixels);
        Assert.Equal(IdxFixtures.LabelFile(12, seed: 1).AsSpan(8).ToArray(), data.Labels);
        var cache = Path.Combine(tmp.Path, "tiny");
        Assert.Equal(DatasetLoader.CacheFolder(info, Options(tmp.Path)), cache);
        Assert.Equal(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"], FilesIn(cache));

        // Cached and verified files are used without asking the network again.
        int requests = server.Requests;
        DatasetLoader.Load(info, null, train: true, Options(tmp.Path), NullLogger.Instance);
        Assert.Equal(requests, server.Requests);

        var test = DatasetLoader.Load(info, null, train: false, Options(tmp.Path), NullLogger.Instance);
        Assert.Equal(5, test.Count);
        Assert.Equal(4, FilesIn(cache).Length);
    }

    [Fact]
    public void FallsBackToTheNextMirror()
    {
        var tiny = new TinyDataset();
        using var server = new LoopbackServer(tiny.Files);
        using var tmp = new IdxFixtures.TempFolder();

        var data = DatasetLoader.Load(tiny.Info(ClosedPort(), server.BaseUri), null, train: false, Options(tmp.Path), NullLogger.Instance);

        Assert.Equal(5, data.Count);
    }

    [Fact]
    public void MirrorsOptionOverridesTheDatasetsMirrors()
    {
        var tiny = new TinyDataset();
        using var server = new LoopbackServer(tiny.Files);
        using var tmp = new IdxFixtures.TempFolder();
        var options = new DatasetDownloadOptions { CacheDir = tmp.Path, Timeout = Timeout, Mirrors = [server.BaseUri] };

        var data = DatasetLoader.Load(tiny.Info(ClosedPort()), null, train: false, options, NullLogger.Instance);

        Assert.Equal(5, data.Count);
    }

    [Fact]
    public void ChecksumMismatchLeavesNothingInTheCache()
    {
        var tiny = new TinyDataset();
        var info = tiny.Info();
        // The server now serves different bytes than the MD5s in info describe.
        tiny.Files["train-images-idx3-ubyte.gz"] = IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 12, rows: 4, cols: 3, seed: 9));
        using var server = new LoopbackServer(tiny.Files);
        using var tmp = new IdxFixtures.TempFolder();

        var e = Assert.Throws<GanException>(() =>
            DatasetLoader.Load(info with { Mirrors = [server.BaseUri] }, null, train: true, Options(tmp.Path), NullLogger.Instance));

        Assert.StartsWith("could not download train-images-idx3-ubyte.gz (checksum mismatch from http://127.0.0.1:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(FilesIn(Path.Combine(tmp.Path, "tiny"))); // neither the file nor its temporary copy
    }

    [Fact]
    public void UnreachableMirrorGivesTheOfflineMessage()
    {
        var tiny = new TinyDataset();
        using var tmp = new IdxFixtures.TempFolder();
        var cache = Path.Combine(tmp.Path, "tiny");

        var e = Assert.Throws<GanException>(() =>
            DatasetLoader.Load(tiny.Info(ClosedPort()), null, train: true, Options(tmp.Path), NullLogger.Instance));

        Assert.Equal($"cannot download Tiny (offline?): put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz into {cache} or pass --data DIR", e.Message);
        Assert.Empty(FilesIn(cache));
    }

    [Fact]
    public void HttpErrorIsReportedPerMirror()
    {
        using var server = new LoopbackServer(new Dictionary<string, byte[]>()); // 404 for everything
        using var tmp = new IdxFixtures.TempFolder();

        var e = Assert.Throws<GanException>(() =>
            DatasetLoader.Load(new TinyDataset().Info(server.BaseUri), null, train: true, Options(tmp.Path), NullLogger.Instance));

        Assert.Contains("could not download train-images-idx3-ubyte.gz (HTTP 404 from http://127.0.0.1:", e.Message);
    }

    [Fact]
    public void DamagedCachedFileIsDownloadedAgain()
    {
        var tiny = new TinyDataset();
        using var server = new LoopbackServer(tiny.Files);
        using var tmp = new IdxFixtures.TempFolder();
        var cache = Path.Combine(tmp.Path, "tiny");
        Directory.CreateDirectory(cache);
        var damaged = Path.Combine(cache, "t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(damaged, tiny.Files["t10k-images-idx3-ubyte.gz"].AsSpan(0, 20).ToArray());

        var data = DatasetLoader.Load(tiny.Info(server.BaseUri), null, train: false, Options(tmp.Path), NullLogger.Instance);

        Assert.Equal(5, data.Count);
        Assert.Equal(tiny.Files["t10k-images-idx3-ubyte.gz"], File.ReadAllBytes(damaged));
    }

    [Fact]
    public void DataFolderAcceptsGzipAndRawFilesWithoutNetwork()
    {
        using var tmp = new IdxFixtures.TempFolder();
        tmp.Write("t10k-images-idx3-ubyte", IdxFixtures.ImageFile(count: 5, rows: 4, cols: 3));
        tmp.Write("t10k-labels-idx1-ubyte.gz", IdxFixtures.Gzip(IdxFixtures.LabelFile(count: 5)));
        var options = new DatasetDownloadOptions { CacheDir = Path.Combine(tmp.Path, "cache"), Timeout = Timeout };

        var data = DatasetLoader.Load(new TinyDataset().Info(ClosedPort()), tmp.Path, train: false, options, NullLogger.Instance);

        Assert.Equal(5, data.Count);
        Assert.False(Directory.Exists(options.CacheDir));
    }

    [Fact]
    public void DataFolderReportsTheMissingFile()
    {
        using var tmp = new IdxFixtures.TempFolder();
        tmp.Write("train-images-idx3-ubyte.gz", IdxFixtures.Gzip(IdxFixtures.ImageFile(count: 5, rows: 4, cols: 3)));

        var e = Assert.Throws<GanException>(() =>
            DatasetLoader.Load(new TinyDataset().Info(), tmp.Path, train: true, Options(tmp.Path), NullLogger.Instance));

        Assert.Equal($"train-labels-idx1-ubyte.gz (or unpacked train-labels-idx1-ubyte) is missing in {tmp.Path}", e.Message);
    }

    [Fact]
    public void LabelsOutsideTheClassRangeAreRejected()
    {
        using var tmp = new IdxFixtures.TempFolder();
        tmp.Write("t10k-images-idx3-ubyte", IdxFixtures.ImageFile(count: 5, rows: 4, cols: 3));
        var labels = IdxFixtures.LabelFile(count: 5);
        labels[8 + 3] = 10;
        var labelPath = tmp.Write("t10k-labels-idx1-ubyte", labels);

        var e = Assert.Throws<GanException>(() =>
            DatasetLoader.Load(new TinyDataset().Info(), tmp.Path, train: false, Options(tmp.Path), NullLogger.Instance));

        Assert.Equal($"{labelPath}: label 10 at index 3 is outside 0..9", e.Message);
    }

    [Theory]
    [InlineData("mnist")]
    [InlineData("fashion-mnist")]
    public void CatalogChecksumsMatchTheOriginalFiles(string name)
    {
        var info = DatasetCatalog.Get(name);
        var dir = Path.Combine(IdxFixtures.SharedData(), name);
        foreach (var file in info.Files)
            Assert.Equal(file.GzMd5, Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(Path.Combine(dir, file.GzName)))));

        var test = DatasetLoader.Load(name, dir, train: false, new DatasetDownloadOptions(), NullLogger.Instance);
        Assert.Equal((10000, 28, 28), (test.Count, test.Rows, test.Cols));
    }

    [Fact]
    public void UnknownDatasetIsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => DatasetCatalog.Get("cifar10"));
        Assert.Equal("unknown dataset 'cifar10'; known datasets: mnist, fashion-mnist", e.Message);
        Assert.Same(DatasetCatalog.FashionMnist, DatasetCatalog.Get("Fashion-MNIST"));
    }

    static string[] FilesIn(string dir) =>
        Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>A loopback port nobody listens on: connecting is refused at once.</summary>
    static Uri ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>
    /// A minimal HTTP/1.1 server on 127.0.0.1: GET /name answers with the bytes for name, anything
    /// else with 404, one request per connection. Enough for HttpClient, small enough to trust.
    /// </summary>
    sealed class LoopbackServer : IDisposable
    {
        readonly TcpListener listener = new(IPAddress.Loopback, 0);
        readonly IReadOnlyDictionary<string, byte[]> files;
        int requests;

        public LoopbackServer(IReadOnlyDictionary<string, byte[]> files)
        {
            this.files = files;
            listener.Start();
            BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
            _ = Task.Run(AcceptLoop);
        }

        public Uri BaseUri { get; }

        public int Requests => Volatile.Read(ref requests);

        async Task AcceptLoop()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return; // stopped
                }
                _ = Task.Run(() => Serve(client));
            }
        }

        async Task Serve(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    stream.ReadTimeout = 10_000;
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n") && request.Length < 65536)
                    {
                        int n = await stream.ReadAsync(buffer);
                        if (n == 0) return;
                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    Interlocked.Increment(ref requests);
                    var target = request.ToString().Split(' ', 3)[1].TrimStart('/');
                    var found = files.TryGetValue(target, out var body);
                    body ??= "not found"u8.ToArray();
                    var head = $"HTTP/1.1 {(found ? "200 OK" : "404 Not Found")}\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                    await stream.WriteAsync(body);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    // The client hung up; nothing to report.
                }
            }
        }

        public void Dispose() => listener.Stop();
    }
}
