using IlgpuGan.Host.Data;
using IlgpuGan.Host.Evaluation;
using IlgpuGan.Tests.Kernels;
using Microsoft.Extensions.Logging.Abstractions;

namespace IlgpuGan.Tests.Data;

/// <summary>One read per split per command: training, a first-use classifier and the evaluator share the arrays.</summary>
public sealed class DatasetSplitsTests(CpuFixture cpu) : IClassFixture<CpuFixture>
{
    sealed class CountingLoader
    {
        public int TrainLoads, TestLoads;

        public MnistData Load(bool train)
        {
            if (train) TrainLoads++; else TestLoads++;
            int count = train ? 96 : 48;
            var rng = new Random(train ? 1 : 2);
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            // 4×4 images whose brightest pixel is the label: learnable, so training does real work.
            var pixels = new byte[count * 16];
            for (int i = 0; i < count; i++)
                for (int p = 0; p < 16; p++) pixels[i * 16 + p] = p == labels[i] ? (byte)255 : (byte)rng.Next(0, 60);
            return new MnistData(pixels, labels, count, 4, 4);
        }
    }

    [Fact]
    public void Each_split_is_read_once_and_the_same_arrays_come_back()
    {
        var loader = new CountingLoader();
        var splits = new DatasetSplits("mnist", loader.Load);
        Assert.Equal((0, 0), (loader.TrainLoads, loader.TestLoads));   // nothing is read before it is needed
        var train = splits.Train;
        Assert.Same(train, splits.Train);
        Assert.Same(train.Pixels, splits.Train.Pixels);
        Assert.Equal((1, 0), (loader.TrainLoads, loader.TestLoads));
        Assert.Same(splits.Test, splits.Test);
        Assert.Equal((1, 1), (loader.TrainLoads, loader.TestLoads));
        Assert.Equal("mnist", splits.Dataset);
    }

    [Fact]
    public void Classifier_training_and_evaluation_share_one_read_of_each_split()
    {
        var loader = new CountingLoader();
        var splits = new DatasetSplits("mnist", loader.Load);
        var training = splits.Train;   // what `train` hands the GAN
        var (classifier, accuracy) = ClassifierStore.Train(cpu.Backend, splits, epochs: 2, batch: 16, lr: 1e-2, seed: 0, savePath: null, NullLogger.Instance);
        using (classifier)
        {
            Assert.InRange(accuracy, 0, 1);
            var evaluator = new ImageEvaluator(classifier, splits.Train, splits.Test, samples: 32);
            Assert.Equal(32, evaluator.RealReference().Samples);
        }
        Assert.Same(training, splits.Train);
        Assert.Equal((1, 1), (loader.TrainLoads, loader.TestLoads));
    }
}
