namespace IlgpuGan.Engine.Backends.Profiling;

/// <summary>What a profile has seen of one kernel: launches and their summed time.</summary>
public sealed class KernelStats(KernelKey key, KernelCostInfo cost)
{
    public KernelKey Key { get; } = key;
    public string Name => Cost.Name;
    public KernelCostInfo Cost { get; } = cost;
    public long Launches { get; internal set; }
    public double Seconds { get; internal set; }
}
