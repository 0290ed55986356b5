using IlgpuGan.Engine.Classifier;
using IlgpuGan.Engine.Gan;

namespace IlgpuGan.Host.Evaluation;

/// <summary>
/// How often the feature classifier agrees with the class a conditional generator was asked for:
/// sample i was drawn for class i mod classes (<see cref="ConditionalInput.ClassOf"/>).
/// </summary>
public static class ConditionalAccuracy
{
    public static (double Overall, double[] PerClass) Measure(FeatureClassifier classifier, float[] images, int count, int classes)
    {
        var (_, probs) = classifier.Embed(images, count);
        var hits = new int[classes];
        var totals = new int[classes];
        for (int i = 0; i < count; i++)
        {
            int asked = ConditionalInput.ClassOf(i, classes, -1);
            totals[asked]++;
            if (FeatureClassifier.ArgMax(probs.AsSpan(i * FeatureClassifier.Classes, FeatureClassifier.Classes)) == asked) hits[asked]++;
        }
        var perClass = hits.Select((h, k) => totals[k] == 0 ? double.NaN : (double)h / totals[k]).ToArray();
        return ((double)hits.Sum() / count, perClass);
    }
}
