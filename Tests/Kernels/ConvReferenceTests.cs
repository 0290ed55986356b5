using IlgpuGan.Engine.Backends;
using IlgpuGan.Kernels;
using static IlgpuGan.Tests.Kernels.ConvShapes;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// The conv-family float64 references checked against what they must agree with: output sizes as
/// torch computes them, the geometry's rules, BatchNorm1d's reference as the plane = 1 case, and
/// im2col/col2im as adjoints.
/// </summary>
public sealed class ConvReferenceTests
{
    [Theory]
    // (H, k, s, p, d, op) → torch's output size.
    [InlineData(28, 4, 2, 1, 1, 0, 14)]
    [InlineData(14, 4, 2, 1, 1, 0, 7)]
    [InlineData(7, 7, 1, 0, 1, 0, 1)]
    [InlineData(10, 3, 2, 0, 2, 0, 3)]
    [InlineData(11, 5, 2, 2, 1, 0, 6)]
    public void Conv_output_size_follows_torch(int h, int k, int s, int p, int d, int op, int want)
    {
        _ = op;
        var g = Conv2dGeometry.Conv(1, 1, h, h, 1, k, s, p, d);
        Assert.Equal(want, g.OutH);
        Assert.Equal(want, g.OutW);
    }

    [Theory]
    [InlineData(1, 7, 1, 0, 1, 0, 7)]
    [InlineData(7, 4, 2, 1, 1, 0, 14)]
    [InlineData(14, 4, 2, 1, 1, 0, 28)]
    [InlineData(3, 3, 2, 1, 1, 1, 6)]
    [InlineData(4, 3, 1, 0, 2, 1, 9)]
    public void ConvTranspose_output_size_follows_torch(int h, int k, int s, int p, int d, int op, int want) =>
        Assert.Equal(want, Conv2dGeometry.ConvTranspose(1, 1, h, h, 1, k, s, p, d, op).OutH);

    [Fact]
    public void A_conv_transpose_is_the_conv_whose_input_gradient_it_is()
    {
        // ConvTranspose2d(C→C', k, s, p) on H×W is the adjoint of Conv2d(C'→C, k, s, p) on its output.
        var t = Conv2dGeometry.ConvTranspose(2, 3, 7, 7, 5, k: 4, stride: 2, pad: 1);
        var c = Conv2dGeometry.Conv(2, 5, t.OutH, t.OutW, 3, k: 4, stride: 2, pad: 1);
        Assert.Equal(t.Args, c.Args);
    }

    [Theory]
    [InlineData("the stride must be at least 1", 5, 3, 0, 0, 1, 0)]
    [InlineData("the dilation must be at least 1", 5, 3, 1, 0, 0, 0)]
    [InlineData("the padding cannot be negative", 5, 3, 1, -1, 1, 0)]
    [InlineData("is smaller than the dilated kernel", 5, 3, 1, 0, 3, 0)]
    [InlineData("is smaller than the dilated kernel", 2, 3, 1, 0, 1, 0)]
    public void Invalid_convolutions_are_refused_with_the_rule(string rule, int h, int k, int s, int p, int d, int _)
    {
        var e = Assert.Throws<ArgumentException>(() => Conv2dGeometry.Conv(1, 1, h, h, 1, k, s, p, d));
        Assert.Contains(rule, e.Message);
    }

    [Fact]
    public void Output_padding_must_be_below_stride_or_dilation()
    {
        var e = Assert.Throws<ArgumentException>(() => Conv2dGeometry.ConvTranspose(1, 1, 4, 4, 1, k: 3, stride: 2, pad: 1, outputPad: 2));
        Assert.Contains("must be smaller than the stride", e.Message);
        Assert.Equal(9, Conv2dGeometry.ConvTranspose(1, 1, 4, 4, 1, k: 3, stride: 1, pad: 0, dilation: 2, outputPad: 1).OutH);
        Assert.Throws<ArgumentException>(() => (Conv2dGeometry.Conv(1, 1, 4, 4, 1, 3) with { OutputPadH = 1 }).Validated());
        Assert.Throws<ArgumentException>(() => Conv2dGeometry.ConvTranspose(1, 1, 2, 2, 1, k: 1, stride: 1, pad: 1));
    }

    [Fact]
    public void Flops_count_every_multiply_add_twice()
    {
        // The DCGAN's D layer 2: 64 images, 128 outputs of 7×7, each a 64·4·4 dot product.
        var g = Conv2dGeometry.Conv(64, 64, 14, 14, 128, k: 4, stride: 2, pad: 1);
        Assert.Equal(2.0 * 64 * 128 * 49 * 64 * 16, g.Flops);
        Assert.Equal(64L * 16 * 64 * 49, g.ColumnFloats);
        // Its mirror in G costs the same.
        Assert.Equal(g.Flops, Conv2dGeometry.ConvTranspose(64, 128, 7, 7, 64, k: 4, stride: 2, pad: 1).Flops);
    }

    [Theory]
    [InlineData(5, 7)]
    [InlineData(1, 4)]
    public void BatchNorm2d_reference_with_one_position_is_BatchNorm1d(int rows, int cols)
    {
        var rng = new Random(rows + cols);
        var x = Uniform(rng, rows * cols); var dy = Uniform(rng, rows * cols);
        var g = Uniform(rng, cols); var b = Uniform(rng, cols); var rm = Uniform(rng, cols); var rv = Uniform(rng, cols, 0.5, 2);
        var one = BatchNormKernels.ForwardTrainReference(x, g, b, rm, rv, rows, cols, 0.1, 1e-5);
        var two = BatchNorm2dKernels.ForwardTrainReference(x, g, b, rm, rv, rows, cols, 1, 0.1, 1e-5);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.RunningVar, two.RunningVar);
        Assert.Equal(BatchNormKernels.BackwardReference(x, dy, g, rows, cols, 1e-5).Dx, BatchNorm2dKernels.BackwardReference(x, dy, g, rows, cols, 1, 1e-5).Dx);
    }

    [Theory]
    [MemberData(nameof(ConvShapes.ConvIndices), MemberType = typeof(ConvShapes))]
    public void Col2im_is_the_adjoint_of_im2col(int shape)
    {
        // <im2col(x), c> = <x, col2im(c)> for every x and c: the defining property of the pair.
        var a = Conv[shape].Args;
        var rng = new Random(shape);
        var x = Uniform(rng, a.N * a.ImC * a.ImH * a.ImW);
        var c = Uniform(rng, a.Rows * a.Cols);
        var cols = ConvReference.Im2Col(x, a);
        var back = ConvReference.Col2Im(c, a);
        double left = 0, right = 0;
        for (int i = 0; i < c.Length; i++) left += cols[i] * c[i];
        for (int i = 0; i < x.Length; i++) right += x[i] * back[i];
        Assert.Equal(left, right, 1e-9 * Math.Max(1, Math.Abs(left)));
    }
}
