using IlgpuGan.Kernels;

namespace IlgpuGan.Tests.Kernels;

/// <summary>
/// Pins the pixel mapping's forms to each other: the kernel/host form, the CPU backend's
/// multiply-add form, the float64 reference and the inverse used for PNGs and GIFs.
/// </summary>
public sealed class PixelsTests
{
    [Fact]
    public void Every_byte_maps_into_minus_one_to_one_like_the_reference()
    {
        for (int b = 0; b < 256; b++)
        {
            double reference = Pixels.ToUnitReference((byte)b);
            Assert.InRange(reference, -1.0, 1.0);
            Assert.Equal(reference, Pixels.ToUnit((byte)b), 1e-6);
        }
        Assert.Equal(-1f, Pixels.ToUnit(0));
        Assert.Equal(1f, Pixels.ToUnit(255));
    }

    [Fact]
    public void The_multiply_add_form_is_within_one_ulp_of_one_of_the_exact_form()
    {
        float ulpOfOne = MathF.BitIncrement(1f) - 1f;
        int differ = 0;
        for (int b = 0; b < 256; b++)
        {
            float exact = Pixels.ToUnit((byte)b), fused = b * Pixels.Scale + Pixels.Offset;
            Assert.True(MathF.Abs(exact - fused) <= ulpOfOne, $"byte {b}: {exact} vs {fused}");
            if (exact != fused) differ++;
        }
        // The two forms really are two roundings (why the CPU backend and the kernels differ in the last bits).
        Assert.InRange(differ, 1, 255);
    }

    [Fact]
    public void ToGray_inverts_both_forms_on_every_byte()
    {
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal((byte)b, Pixels.ToGray(Pixels.ToUnit((byte)b)));
            Assert.Equal((byte)b, Pixels.ToGray(b * Pixels.Scale + Pixels.Offset));
        }
    }

    [Fact]
    public void ToGray_clamps_and_shows_NaN_as_black()
    {
        Assert.Equal(0, Pixels.ToGray(float.NaN));
        Assert.Equal(0, Pixels.ToGray(-3f));
        Assert.Equal(255, Pixels.ToGray(3f));
        Assert.Equal(0, Pixels.ToGray(float.NegativeInfinity));
        Assert.Equal(255, Pixels.ToGray(float.PositiveInfinity));
    }
}
