using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;

namespace IlgpuGan.Engine.Verification;

/// <summary>
/// Checks of the device's step counters: the offsets a training step moves without a new kernel
/// argument (<see cref="DeviceCounter"/>), so a captured CUDA graph replays the next step's draws.
/// </summary>
public sealed partial class KernelChecks
{
    /// <summary>
    /// Increment moves the first <c>count</c> counters only; every op with an offset reads
    /// offset + scale·counters[slot]: the RNG ops, the gather and the two one-hot ops. Counter 1
    /// starts above 2³², so the 64-bit arithmetic is checked too.
    /// </summary>
    public CheckResult DeviceCounters(int rows, int cols, int classes)
    {
        ulong[] start = [5, (1UL << 32) + 3, 9];
        using var counters = backend.Allocate<ulong>(start.Length);
        counters.CopyFromHost(start, 0);
        backend.Increment(counters, 2);
        backend.Increment(counters, 2);
        var moved = new ulong[start.Length];
        counters.CopyToHost(moved, 0);
        bool countedRight = moved[0] == start[0] + 2 && moved[1] == start[1] + 2 && moved[2] == start[2];

        const ulong rngSeed = 42;
        const uint rngStream = RngStreams.Verification.RandomOps;
        ulong normalAt = 11 + 3 * moved[1], uniformAt = 11 + 1000 * moved[0], classesAt = 17 + (ulong)rows * moved[0];
        int batchAt = 1 + rows * (int)moved[0];
        Tensor normal = Poisoned(rows * cols), uniform = Poisoned(rows * cols), gathered = Poisoned(rows * cols);
        backend.RandomNormal(normal, new(rngSeed, rngStream, 11, new(counters, 1, 3)));
        backend.RandomUniform(uniform, new(rngSeed, rngStream, 11, new(counters, 0, 1000)));

        var data = new byte[2 * rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(Philox.UniformDouble(seed, RngStreams.Verification.GatherBytes, (ulong)i) * 256);
        var idx = new int[batchAt + rows];
        for (int i = 0; i < idx.Length; i++) idx[i] = (int)(Philox.UniformDouble(seed, RngStreams.Verification.GatherIndices, (ulong)i) * 2 * rows);
        var labels = Enumerable.Range(0, 2 * rows).Select(i => (int)(Philox.UniformDouble(seed, RngStreams.Verification.VariantLabels, (ulong)i) * classes)).ToArray();
        using var td = backend.Allocate<byte>(data.Length);
        using var ti = backend.Allocate<int>(idx.Length);
        using var tl = backend.Allocate<int>(labels.Length);
        td.CopyFromHost(data, 0); ti.CopyFromHost(idx, 0); tl.CopyFromHost(labels, 0);
        var batch = new BatchIndices(ti, 1, new(counters, 0, (ulong)rows));
        backend.GatherRows(td, batch, new(rows, cols), gathered);
        Tensor fromLabels = Poisoned(rows * classes), random = Poisoned(rows * classes);
        backend.OneHotLabels(tl, batch, new(fromLabels, classes, 0), new(rows, classes));
        backend.OneHotRandom(new(random, classes, 0), new(rows, classes), new(rngSeed, rngStream, 17, new(counters, 0, (ulong)rows)));

        var wantNormal = Enumerable.Range(0, rows * cols).Select(i => RandomKernels.NormalReference(rngSeed, rngStream, normalAt + (ulong)i)).ToArray();
        var wantUniform = Enumerable.Range(0, rows * cols).Select(i => RandomKernels.UniformReference(rngSeed, rngStream, uniformAt + (ulong)i)).ToArray();
        var wantLabels = new float[rows * classes];
        ConditionalKernels.OneHotReference(Enumerable.Range(0, rows).Select(r => labels[idx[batchAt + r]]).ToArray(), wantLabels, classes, classes, 0);
        var wantRandom = new float[rows * classes];
        ConditionalKernels.OneHotReference(Enumerable.Range(0, rows).Select(r => ConditionalKernels.RandomClass(rngSeed, rngStream, classesAt + (ulong)r, classes)).ToArray(),
            wantRandom, classes, classes, 0);
        double err = Worst(countedRight ? 0 : double.PositiveInfinity,
            Error(normal.ToArray(), wantNormal) / 20,   // normals are good to 2e-5 (as in Random), the rest to 1e-6
            Error(uniform.ToArray(), wantUniform),
            Error(gathered.ToArray(), DataKernels.GatherRowsReference(data, idx, batchAt, rows, cols)),
            Error(fromLabels.ToArray(), wantLabels.Select(v => (double)v).ToArray()),
            Error(random.ToArray(), wantRandom.Select(v => (double)v).ToArray()));
        Free(normal, uniform, gathered, fromLabels, random);
        return new("device counters", $"{rows}x{cols}, {classes} classes", err, 1e-6);
    }
}
