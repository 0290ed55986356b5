using System.Buffers.Binary;
using IlgpuGan.Engine;
using IlgpuGan.Host.Data;
using IlgpuGan.Tests.Data;
using Xunit;

namespace IlgpuGan.Tests.Robustness;

/// <summary>
/// A gzipped IDX file's size says nothing about what its header claims: a few hundred bytes can
/// claim a million images. The reader must find the data missing before it allocates for it.
/// </summary>
public class IdxAllocationTests
{
    [Theory]
    [InlineData(1_000_000, 28, 28)]
    [InlineData(2_000, 1024, 1024)]
    public void ForgedGzipImageCountIsTruncationNotAnAllocation(int count, int rows, int cols)
    {
        using var tmp = new IdxFixtures.TempFolder();
        var bytes = IdxFixtures.ImageFile(count: 6, rows: 28, cols: 28);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        var path = tmp.Write("train-images-idx3-ubyte.gz", IdxFixtures.Gzip(bytes));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<GanException>(() => Idx.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"{path}: truncated: expected {16 + (long)count * rows * cols} bytes, got {bytes.Length}", e.Message);
        Assert.True(allocated < 8 << 20, $"allocated {allocated:N0} bytes for a {new FileInfo(path).Length}-byte file");
    }

    [Fact]
    public void ForgedGzipLabelCountIsTruncationNotAnAllocation()
    {
        using var tmp = new IdxFixtures.TempFolder();
        var bytes = IdxFixtures.LabelFile(count: 6);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 10_000_000);
        var path = tmp.Write("train-labels-idx1-ubyte.gz", IdxFixtures.Gzip(bytes));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<GanException>(() => Idx.ReadLabels(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20);
        Assert.Contains("truncated", e.Message);
    }
}
