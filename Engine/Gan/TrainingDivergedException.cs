namespace IlgpuGan.Engine.Gan;

/// <summary>
/// The run left the finite numbers: a loss, a weight, a running statistic or an optimizer value
/// became NaN or infinite at <see cref="Step"/>. Nothing is saved after it (the last good checkpoint
/// stays as it was); the app suggests a lower --lr.
/// </summary>
public sealed class TrainingDivergedException(long step, string detail) : GanException($"training diverged at step {step} ({detail})")
{
    public TrainingDivergedException(long step, StepStats stats) : this(step, $"loss is {stats.DLoss}/{stats.GLoss}") { }

    public long Step { get; } = step;
}
