using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Host.Evaluation;

/// <summary>
/// How often the feature classifier agrees with the class a conditional generator was asked for:
/// sample i was drawn for class i mod classes (<see cref="ConditionalInput.ClassOf"/>). It reads the
/// predictions <see cref="ImageEvaluator"/> already made, so the samples are classified once.
/// </summary>
public static class ConditionalAccuracy
{
    public static (double Overall, double[] PerClass) Measure(IReadOnlyList<int> predictions, int classes)
    {
        var hits = new int[classes];
        var totals = new int[classes];
        for (int i = 0; i < predictions.Count; i++)
        {
            int asked = ConditionalInput.ClassOf(i, classes, -1);
            totals[asked]++;
            if (predictions[i] == asked) hits[asked]++;
        }
        var perClass = hits.Select((h, k) => totals[k] == 0 ? double.NaN : (double)h / totals[k]).ToArray();
        return ((double)hits.Sum() / predictions.Count, perClass);
    }
}
