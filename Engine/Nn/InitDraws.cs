namespace IlgpuGan.Engine.Nn;

/// <summary>
/// Host-side initial values from a layer's Philox init stream (<see cref="RngStreams.LayerInit"/>):
/// uniform draws are counter k; normal draws take counters 2k and 2k + 1 (Box–Muller), so a layer's
/// values are a pure function of (init seed, layer index, element).
/// </summary>
public static class InitDraws
{
    /// <summary>N(mean, std²) for element k from a uniform [0, 1) source.</summary>
    public static float Normal(Func<int, double> uniform01, int k, double mean, double std)
    {
        double u1 = 1.0 - uniform01(2 * k), u2 = uniform01(2 * k + 1);   // u1 in (0, 1]
        return (float)(mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
