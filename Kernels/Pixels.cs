namespace IlgpuGan.Kernels;

/// <summary>
/// The one mapping between stored pixels and what the networks see: byte b in [0, 255] becomes
/// (b/255 − 0.5)/0.5 in [-1, 1], as torchvision's ToTensor + Normalize((0.5,), (0.5,)) does, and a
/// generator output in [-1, 1] becomes a gray level again for PNGs and GIFs. The gather kernel,
/// the CPU backend, the feature classifier and the evaluator all call this class, so the scale
/// cannot drift between the data a GAN trains on and the data its metrics compare against.
/// </summary>
public static class Pixels
{
    /// <summary>b ↦ (b/255 − 0.5)/0.5: the exact form, used by the kernel and by host code.</summary>
    public static float ToUnit(byte b) => (b / 255f - 0.5f) / 0.5f;

    /// <summary>
    /// The same map as a multiply-add, b·<see cref="Scale"/> + <see cref="Offset"/>, for the CPU
    /// backend's SIMD passes. It differs from <see cref="ToUnit"/> by at most 2⁻²³ (one ulp of 1) on
    /// some bytes; that is the CPU backend's numerics, kept as they are (a test pins the bound).
    /// </summary>
    public const float Scale = 2f / 255f;
    public const float Offset = -1f;

    /// <summary>float64 reference of <see cref="ToUnit"/>.</summary>
    public static double ToUnitReference(byte b) => (b / 255.0 - 0.5) / 0.5;

    /// <summary>
    /// [-1, 1] ↦ gray level: -1 → 0, 1 → 255, rounded and clamped; NaN (a diverged generator) shows
    /// as black rather than noise. Inverts <see cref="ToUnit"/> on every byte.
    /// </summary>
    public static byte ToGray(float v)
    {
        if (float.IsNaN(v)) return 0;
        float g = MathF.Round((v + 1f) * 127.5f);
        return (byte)Math.Clamp(g, 0f, 255f);
    }
}
