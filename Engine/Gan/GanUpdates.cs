using System.Text.Json.Serialization;

namespace IlgpuGan.Engine.Gan;

/// <summary>How a step orders D's and G's updates; config.json and `--updates` name them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GanUpdates>))]
public enum GanUpdates
{
    /// <summary>
    /// D updates first; G's gradient then goes through the updated D (PyTorch's DCGAN example, and
    /// every GAN step here before PacGAN's protocol).
    /// </summary>
    [JsonStringEnumMemberName("alternating")] Alternating,
    /// <summary>
    /// One batch of fakes, D's and G's gradients both taken at the step's starting weights, then both
    /// applied: simultaneous gradient descent, as the ALI/Blocks `ali_algorithm` that PacGAN's code
    /// trains with (one Theano function computes both gradients from one graph). G runs forward
    /// once per step, so its BatchNorm running statistics move once per step, as Blocks' do.
    /// </summary>
    [JsonStringEnumMemberName("simultaneous")] Simultaneous,
}
