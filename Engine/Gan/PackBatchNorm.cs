using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Gan;

/// <summary>How G's BatchNorm layers see a packed batch; config.json and `--g-batch-norm` name them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PackBatchNorm>))]
public enum PackBatchNorm
{
    /// <summary>G runs once on the whole batch: every BatchNorm normalises all Batch samples together.</summary>
    [JsonStringEnumMemberName("joint")] Joint,
    /// <summary>
    /// As if G ran once per pack slot (PacGAN's code): each BatchNorm normalises the Batch/Pack
    /// samples of each slot apart (G's row i is in slot i mod Pack, as D's packs read the rows),
    /// sharing γ, β and the running statistics (<see cref="Nn.BatchNorm1dSpec.Groups"/>).
    /// </summary>
    [JsonStringEnumMemberName("per-slot")] PerSlot,
}
