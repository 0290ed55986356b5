using System.Diagnostics.CodeAnalysis;
using IlgpuGan.Engine;

namespace IlgpuGan.Host.Data;

/// <summary>One file of a dataset: its name without ".gz" and the MD5 of the published .gz file.</summary>
public sealed record DatasetFile(string Name, string GzMd5)
{
    public string GzName => Name + ".gz";
}

/// <summary>
/// What the loader needs to know about a dataset. It is a plain record rather than a fixed enum
/// so that tests can describe small generated datasets served from a loopback mirror.
/// </summary>
/// <param name="Name">Short name used on the command line and as the cache sub-folder.</param>
/// <param name="DisplayName">Name for messages.</param>
/// <param name="Mirrors">Base URLs (ending in '/') tried in order.</param>
public sealed record DatasetInfo(
    string Name,
    string DisplayName,
    DatasetFile TrainImages,
    DatasetFile TrainLabels,
    DatasetFile TestImages,
    DatasetFile TestLabels,
    IReadOnlyList<Uri> Mirrors)
{
    /// <summary>Labels must lie in 0..Classes-1; both built-in datasets have ten classes.</summary>
    public int Classes { get; init; } = 10;

    public IReadOnlyList<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];

    public (DatasetFile Images, DatasetFile Labels) Split(bool train) =>
        train ? (TrainImages, TrainLabels) : (TestImages, TestLabels);
}

/// <summary>The datasets the app knows how to fetch. MD5s are the published sums of the .gz files.</summary>
public static class DatasetCatalog
{
    public static DatasetInfo Mnist { get; } = new(
        "mnist", "MNIST",
        new("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        new("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
        new("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
        new("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
        // yann.lecun.com no longer serves the files reliably; these are the mirrors torchvision uses.
        [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
         new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/")]);

    public static DatasetInfo FashionMnist { get; } = new(
        "fashion-mnist", "Fashion-MNIST",
        new("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        new("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
        new("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
        new("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
        [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")]);

    public static IReadOnlyList<DatasetInfo> All { get; } = [Mnist, FashionMnist];

    public static bool TryGet(string name, [NotNullWhen(true)] out DatasetInfo? info)
    {
        foreach (var d in All)
        {
            if (string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                info = d;
                return true;
            }
        }
        info = null;
        return false;
    }

    /// <summary>An unknown name is a mistake in the command line, hence a usage error (exit code 2).</summary>
    public static DatasetInfo Get(string name) =>
        TryGet(name, out var info)
            ? info
            : throw new UsageException($"unknown dataset '{name}'; known datasets: {string.Join(", ", All.Select(d => d.Name))}");
}
