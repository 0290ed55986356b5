using ILGPU;

namespace IlgpuGan.Kernels;

/// <summary>
/// Element-wise kernels walk their range with a grid-sized stride instead of one thread per
/// element. On a GPU that changes nothing; on ILGPU's CPU accelerator, where every simulated thread
/// costs microseconds, it turns a launch over a million parameters from seconds into milliseconds.
/// </summary>
public static class GridStride
{
    public static int Step => Grid.DimX * Group.DimX;
}
