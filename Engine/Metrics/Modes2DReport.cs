namespace IlgpuGan.Engine.Metrics;

/// <summary>Result of <see cref="Modes2D.Evaluate"/>; see there for the exact definitions.</summary>
/// <param name="ModesCaptured">Modes that are the nearest mode of at least one high-quality sample.</param>
/// <param name="HighQualityPct">Percentage (0–100) of samples within 3σ of their nearest mode.</param>
/// <param name="ReverseKl">KL(uniform over modes ‖ floored high-quality histogram), in nats.</param>
/// <param name="HighQualityPerMode">High-quality samples per mode, in mode order.</param>
/// <param name="SampleCount">Number of samples evaluated.</param>
public sealed record Modes2DReport(int ModesCaptured, double HighQualityPct, double ReverseKl, int[] HighQualityPerMode, int SampleCount);
