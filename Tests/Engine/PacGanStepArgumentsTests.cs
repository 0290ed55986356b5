using IlgpuGan.Engine.Backends;
using IlgpuGan.Engine.Gan;
using IlgpuGan.Engine.Nn;
using IlgpuGan.Tests.Kernels;

namespace IlgpuGan.Tests.Engine;

/// <summary>
/// The PacGAN preset's step (maxout D, the fixed training set; simultaneous, or alternating with G's
/// update on fresh z) issues the same ops with the same arguments every step, across an epoch
/// boundary, as <see cref="StepArgumentsTests"/> checks for the other variants: G's fresh z reads
/// its Philox offset from the device counter.
/// </summary>
public sealed class PacGanStepArgumentsTests(CpuFixture fixture) : IClassFixture<CpuFixture>
{
    [Theory]
    [InlineData(GanUpdates.Simultaneous, false, 1)]   // one z batch for both gradients
    [InlineData(GanUpdates.Alternating, true, 2)]     // the D update's z and G's own
    public void Every_step_issues_the_same_ops_with_the_same_arguments(GanUpdates updates, bool freshZ, int draws)
    {
        var (backend, recorder) = RecordingBackend.Wrap(fixture.Backend);
        var config = PacGanPreset.Config("grid25", pack: 2) with { Batch = 8, TrainingSet = 48, Updates = updates, FreshGeneratorZ = freshZ };   // 6 batches an epoch
        using var trainer = new GanTrainer(backend, config, null, 0, 2);
        trainer.TrainStep();
        var steps = new List<List<(string Op, object?[] Args)>>();
        for (int i = 0; i < 8; i++)
        {
            recorder.Calls = [];
            trainer.TrainStep();
            steps.Add(recorder.Calls);
        }
        recorder.Calls = null;
        Assert.True(trainer.Epoch >= 1, "the steps should cross an epoch boundary");
        Assert.Contains(steps[0], c => c.Op == nameof(IBackend.MaxoutBackward));
        Assert.Equal(draws, steps[0].Count(c => c.Op == nameof(IBackend.RandomNormal)));
        for (int s = 1; s < steps.Count; s++)
        {
            Assert.Equal(steps[0].Select(c => c.Op), steps[s].Select(c => c.Op));
            for (int i = 0; i < steps[0].Count; i++)
                Assert.True(steps[0][i].Args.SequenceEqual(steps[s][i].Args),
                    $"step {s + 2}, op {i} ({steps[0][i].Op}): arguments differ from step 2's");
        }
    }
}
