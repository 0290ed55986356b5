using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Engine.Gan;

/// <summary>
/// A conditional model's input rows [n, features + classes·plane]: the features (z for G, an image
/// for D) followed by a one-hot class block, as PyTorch-GAN's cgan concatenates them. With plane
/// H·W (a conv D) the block is the one-hot maps: a row is the NCHW sample [C + classes, H, W] of
/// torch.cat([x, onehot[:, :, None, None].expand(-1, -1, H, W)], 1). The buffer is allocated once
/// for up to maxRows rows; building an input only launches copies.
/// </summary>
public sealed class ConditionalInput : IDisposable
{
    readonly IBackend b;
    readonly DeviceBuffer<float> rows;
    readonly DeviceBuffer<int> classBuffer, identity;
    readonly int maxRows;

    public ConditionalInput(IBackend backend, int features, int classes, int maxRows, int plane = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(plane);
        b = backend;
        Features = features;
        Classes = classes;
        Plane = plane;
        this.maxRows = maxRows;
        rows = backend.Allocate<float>((long)maxRows * Width);
        classBuffer = backend.Allocate<int>(maxRows);
        identity = backend.Allocate<int>(maxRows);
        identity.CopyFromHost(Enumerable.Range(0, maxRows).ToArray(), 0);
    }

    public int Features { get; }
    public int Classes { get; }
    /// <summary>Values per class in a row's block: 1, or H·W for one-hot maps.</summary>
    public int Plane { get; }
    public int Width => Features + Classes * Plane;

    /// <summary>The first n rows [n, Width].</summary>
    public Tensor Rows(int n) => Tensor.Whole(rows).Slice(0, n * Width);

    /// <summary>The one-hot class columns (or maps) of the first n rows.</summary>
    ColumnBlock ClassBlock(int n) => new(Rows(n), Width, Features);

    /// <summary>Copies x [n, Features] into the feature columns.</summary>
    public void SetFeatures(Tensor x, int n) => b.CopyColumns(new(x, Features, 0), new(Rows(n), Width, 0), new(n, Features));

    /// <summary>Classes of the dataset rows a minibatch gathered: labels[batch row r].</summary>
    public void SetLabels(DeviceBuffer<int> labels, BatchIndices batch, int n) =>
        b.OneHotLabels(labels, batch, ClassBlock(n), Shape(n));

    /// <summary>Random classes from a Philox stream, counter offset + r: the same call gives the same classes.</summary>
    public void SetRandomClasses(int n, PhiloxCounter rng) =>
        b.OneHotRandom(ClassBlock(n), Shape(n), rng);

    /// <summary>Given classes (sampling, not training: it uploads them).</summary>
    public void SetClasses(ReadOnlySpan<int> classes)
    {
        if (classes.Length > maxRows) throw new ArgumentOutOfRangeException(nameof(classes));
        foreach (var c in classes)
            if (c < 0 || c >= Classes) throw new InvalidSettingException(nameof(classes), $"must be 0..{Classes - 1}", $"{c}");
        classBuffer.CopyFromHost(classes, 0);
        b.OneHotLabels(classBuffer, new(identity, 0), ClassBlock(classes.Length), Shape(classes.Length));
    }

    OneHotShape Shape(int n) => new(n, Classes, Plane);

    /// <summary>Sample i of a conditional draw gets class i mod classes unless one class is asked for.</summary>
    public static int ClassOf(long sample, int classes, int fixedClass) => fixedClass >= 0 ? fixedClass : (int)(sample % classes);

    public void Dispose()
    {
        rows.Dispose();
        classBuffer.Dispose();
        identity.Dispose();
    }
}
