using IlgpuGan.Engine.Backends;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Convolution geometries that break tiling and indexing assumptions, shared by the conv tests of
/// every backend: odd and non-square H/W, channel counts that are multiples of nothing, kernels
/// 1/3/4/5/7, stride 1 and 2, padding 0/1/2, dilation 2, output padding, batch 1, the DCGAN's own
/// layer kinds (k4 s2 p1 and the k7 1×1 ↔ 7×7 ends). Small: the simulator runs them too.
/// </summary>
public static class ConvShapes
{
    public static readonly Conv2dGeometry[] Conv =
    [
        Conv2dGeometry.Conv(1, 3, 7, 9, 5, k: 3, stride: 1, pad: 1),
        Conv2dGeometry.Conv(2, 5, 9, 7, 3, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.Conv(3, 1, 11, 10, 7, k: 5, stride: 2, pad: 2),
        Conv2dGeometry.Conv(2, 3, 13, 11, 2, k: 3, stride: 1, pad: 2, dilation: 2),
        Conv2dGeometry.Conv(1, 7, 5, 6, 3, k: 1, stride: 2, pad: 0),
        Conv2dGeometry.Conv(2, 3, 7, 7, 1, k: 7, stride: 1, pad: 0),          // dense: the DCGAN D's last layer
        Conv2dGeometry.Conv(1, 2, 9, 8, 3, k: 7, stride: 1, pad: 1),
        Conv2dGeometry.Conv(2, 3, 8, 7, 5, k: 4, stride: 2, pad: 1, dilation: 2),
        new Conv2dGeometry(2, 3, 9, 8, 4, KH: 3, KW: 5, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilationH: 1, DilationW: 2),
    ];

    public static readonly Conv2dGeometry[] Transposed =
    [
        Conv2dGeometry.ConvTranspose(2, 3, 4, 5, 5, k: 4, stride: 2, pad: 1),
        Conv2dGeometry.ConvTranspose(1, 5, 3, 3, 3, k: 3, stride: 2, pad: 1, outputPad: 1),
        Conv2dGeometry.ConvTranspose(2, 4, 1, 1, 3, k: 7, stride: 1, pad: 0), // dense: the DCGAN G's first layer
        Conv2dGeometry.ConvTranspose(1, 3, 2, 3, 2, k: 7, stride: 1, pad: 1),
        Conv2dGeometry.ConvTranspose(2, 3, 5, 4, 2, k: 5, stride: 1, pad: 2),
        Conv2dGeometry.ConvTranspose(1, 2, 3, 4, 3, k: 3, stride: 2, pad: 2, dilation: 2, outputPad: 1),
        Conv2dGeometry.ConvTranspose(2, 3, 5, 5, 2, k: 1, stride: 2, pad: 0, outputPad: 1),
        new Conv2dGeometry(1, 3, 4, 3, 2, KH: 4, KW: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilationH: 1, DilationW: 2, OutputPadH: 1, Transposed: true).Validated(),
    ];

    public static TheoryData<int> ConvIndices() => Indices(Conv.Length);
    public static TheoryData<int> TransposedIndices() => Indices(Transposed.Length);

    static TheoryData<int> Indices(int n)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < n; i++) data.Add(i);
        return data;
    }

    /// <summary>BatchNorm2d shapes (n, channels, plane): batch 1, one position per channel, odd planes.</summary>
    public static readonly (int N, int C, int Plane)[] BatchNorm = [(1, 3, 35), (2, 5, 1), (3, 7, 99), (4, 2, 49), (64, 3, 7)];

    public static float[] Uniform(Random rng, int length, double lo = -1, double hi = 1)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return x;
    }

    public static float[] NaNs(int length)
    {
        var x = new float[length];
        Array.Fill(x, float.NaN);
        return x;
    }

    /// <summary>max|got − want| / max(1, max|want|), NaN-propagating: the kernel checks' measure.</summary>
    public static double Error(ReadOnlySpan<float> got, ReadOnlySpan<double> want)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = 1, err = 0;
        for (int i = 0; i < want.Length; i++) scale = Math.Max(scale, Math.Abs(want[i]));
        for (int i = 0; i < want.Length; i++)
        {
            double e = Math.Abs(got[i] - want[i]);
            if (double.IsNaN(e)) return double.NaN;
            err = Math.Max(err, e);
        }
        return err / scale;
    }

    /// <summary>Fails unless got matches want to within tolerance (relative to the largest reference value).</summary>
    public static void Near(string what, ReadOnlySpan<float> got, ReadOnlySpan<double> want, double tolerance = 1e-5)
    {
        double e = Error(got, want);
        Assert.True(!double.IsNaN(e) && e <= tolerance, $"{what}: error {e:E2} > {tolerance:E2}");
    }

    public static double[] Plus(double[] a, float[] b)
    {
        var r = (double[])a.Clone();
        for (int i = 0; i < r.Length; i++) r[i] += b[i];
        return r;
    }
}
