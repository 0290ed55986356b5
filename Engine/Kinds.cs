using System.Reflection;
using System.Text.Json.Serialization;

namespace IlgpuGan.Engine;

/// <summary>
/// The names of the engine's enums (<see cref="Gan.GanLoss"/>, <see cref="Optim.OptimizerKind"/>,
/// <see cref="Nn.GeneratorKind"/>) as people and config.json write them ("wgan-gp", "rmsprop"):
/// each member's <see cref="JsonStringEnumMemberNameAttribute"/>, so that the JSON converter and
/// the command line read the same strings from one place.
/// </summary>
public static class Kinds
{
    public static string Name<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString().ToLowerInvariant();

    public static IReadOnlyList<string> Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            if (string.Equals(Name(v), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>"a, b or c", for messages.</summary>
    public static string List<T>() where T : struct, Enum
    {
        var n = Names<T>();
        return n.Count == 1 ? n[0] : $"{string.Join(", ", n.Take(n.Count - 1))} or {n[^1]}";
    }
}
