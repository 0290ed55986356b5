using System.Reflection;
using IlgpuGan.Engine;

namespace IlgpuGan.Tests.Engine;

/// <summary>The stream registry: unique ids under each seed, and only the documented repeats across seeds.</summary>
public sealed class RngStreamsTests
{
    /// <summary>(group, name, id) of every stream constant: the top level is the run seed's group.</summary>
    static List<(string Group, string Name, uint Id)> All()
    {
        var all = new List<(string, string, uint)>();
        foreach (var type in new[] { typeof(RngStreams) }.Concat(typeof(RngStreams).GetNestedTypes()))
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(uint)))
                all.Add((type.Name, f.Name, (uint)f.GetRawConstantValue()!));
        return all;
    }

    [Fact]
    public void Every_group_has_unique_ids()
    {
        var all = All();
        Assert.Contains(all, s => s.Group == nameof(RngStreams.Classifier));   // reflection sees the nested groups
        foreach (var group in all.GroupBy(s => s.Group))
        {
            var repeated = group.GroupBy(s => s.Id).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(s => s.Name))).ToList();
            Assert.True(repeated.Count == 0, $"{group.Key}: {string.Join("; ", repeated)}");
        }
    }

    [Fact]
    public void Ids_repeat_across_groups_only_where_the_registry_says_why()
    {
        var documented = new[] { $"{nameof(RngStreams)}.{nameof(RngStreams.PenaltyMix)}", $"{nameof(RngStreams.Classifier)}.{nameof(RngStreams.Classifier.Shuffle)}" };
        // Verification draws test data under the checks' own seeds and never meets training: its ids may repeat others.
        var repeats = All().Where(s => s.Group != nameof(RngStreams.Verification))
            .GroupBy(s => s.Id).Where(g => g.Select(s => s.Group).Distinct().Count() > 1)
            .Select(g => g.Select(s => $"{s.Group}.{s.Name}").Order().ToArray()).ToList();
        var only = Assert.Single(repeats);
        Assert.Equal(documented.Order(), only);
    }

    [Fact]
    public void Run_streams_keep_their_numbers()
    {
        // Checkpointed counters, golden files and resumed runs depend on these values: renumbering is a format change.
        Assert.Equal([1u, 2, 3, 4, 5, 6, 7, 8, 9],
            new[] { RngStreams.Noise, RngStreams.FixedGrid, RngStreams.Shuffle, RngStreams.Sample, RngStreams.Mixture, RngStreams.Labels, RngStreams.PenaltyMix,
                RngStreams.TrainingSet, RngStreams.GeneratorNoise });
        Assert.Equal(1u, RngStreams.LayerInit(0));
    }
}
