namespace IlgpuGan.Host.Cli;

/// <summary>Options several commands share, defined once so their help reads the same everywhere.</summary>
public static class CommonOptions
{
    public static readonly OptionSpec Device = new("device", "D", "auto, cuda[:N], opencl[:N], cpu or ilgpu-cpu", "auto");

    public static readonly OptionSpec GeneratorCheckpoint = new("checkpoint", "RUN", "a run folder, its checkpoint folder, or a G.safetensors file");
}
