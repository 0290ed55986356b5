using ILGPU;
using ILGPU.Algorithms;

namespace IlgpuGan.Kernels;

/// <summary>
/// WGAN's weight clipping (Arjovsky et al. 2017): after every critic update each parameter is
/// clamped to [−c, c], as the reference code's p.data.clamp_(-c, c) over all of D's parameters.
/// One launch over the model's flat parameter buffer.
/// </summary>
public static class ClipKernels
{
    public static void Clamp(ArrayView<float> x, int n, float min, float max)
    {
        for (int i = Grid.GlobalIndex.X; i < n; i += GridStride.Step)
            x[i] = XMath.Clamp(x[i], min, max);
    }

    public static double ClampReference(double x, double min, double max) => Math.Min(Math.Max(x, min), max);
}
