using Engine.Data;
using Engine.Tests.Helpers;

namespace Engine.Tests.Data;

/// <summary>
/// The published files, found through $ENGINE_DATASETS (CI sets it and requires them). Expected values come from
/// datasets/README.md of the shared data folder, which quotes the original distributions.
/// </summary>
public class RealDatasetTests
{
    /// <summary>Loads a dataset once per test run (see <see cref="TestData"/> for what happens when it is missing).</summary>
    private static TrainTestSplit Load(string dataset) => TestData.Load(dataset);

    private static float[] Scaled(params int[] bytes) => bytes.Select(b => b / 255f).ToArray();

    [Test]
    public void MnistCountsShapeAndFirstLabels()
    {
        TrainTestSplit data = Load("mnist");

        Assert.Multiple(() =>
        {
            Assert.That(data.Train.Count, Is.EqualTo(60000));
            Assert.That(data.Test.Count, Is.EqualTo(10000));
            Assert.That(data.Train.SampleShape, Is.EqualTo(new Shape(1, 28, 28)));
            Assert.That(data.Test.SampleShape, Is.EqualTo(new Shape(1, 28, 28)));
            Assert.That(data.Train.Classes, Is.EqualTo(10));
            Assert.That(data.Train.Name, Is.EqualTo("mnist/train"));
            Assert.That(data.Train.Labels[..10].ToArray(), Is.EqualTo(new[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }));
            Assert.That(data.Train.Take(10).Labels.ToArray(), Is.EqualTo(new[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }));
        });
    }

    [Test]
    public void MnistLabelCounts()
    {
        TrainTestSplit data = Load("mnist");

        Assert.That(data.Train.ClassCounts(), Is.EqualTo(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }));
        Assert.That(data.Test.ClassCounts(), Is.EqualTo(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }));
    }

    [Test]
    public void MnistPixelsSpanZeroToOne()
    {
        TrainTestSplit data = Load("mnist");
        foreach (Dataset part in new[] { data.Train, data.Test })
        {
            float min = float.MaxValue, max = float.MinValue;
            foreach (float value in part.Images) { min = Math.Min(min, value); max = Math.Max(max, value); }
            Assert.That(min, Is.EqualTo(0f), part.Name);
            Assert.That(max, Is.EqualTo(1f), part.Name);
        }
        // Corner pixels of a digit image are background.
        Assert.That(data.Train.Image(0)[0], Is.EqualTo(0f));
        Assert.That(data.Train.Image(0)[783], Is.EqualTo(0f));
    }

    [Test]
    public void FashionMnistCountsAndBalancedClasses()
    {
        TrainTestSplit data = Load("fashion-mnist");

        Assert.That(data.Train.Count, Is.EqualTo(60000));
        Assert.That(data.Test.Count, Is.EqualTo(10000));
        Assert.That(data.Train.SampleShape, Is.EqualTo(new Shape(1, 28, 28)));
        Assert.That(data.Train.Name, Is.EqualTo("fashion-mnist/train"));
        Assert.That(data.Train.ClassCounts(), Is.All.EqualTo(6000));
        Assert.That(data.Test.ClassCounts(), Is.All.EqualTo(1000));
    }

    [Test]
    public void CifarSubsetCountsAndFirstLabels()
    {
        TrainTestSplit data = Load("cifar10");

        Assert.Multiple(() =>
        {
            Assert.That(data.Train.Count, Is.EqualTo(4000));
            Assert.That(data.Test.Count, Is.EqualTo(1000));
            Assert.That(data.Train.SampleShape, Is.EqualTo(new Shape(3, 32, 32)));
            Assert.That(data.Train.Name, Is.EqualTo("cifar10/train"));
            Assert.That(data.Train.Labels[..10].ToArray(), Is.EqualTo(new[] { 6, 9, 9, 4, 1, 1, 2, 7, 8, 3 }));
            Assert.That(data.Test.Labels[..10].ToArray(), Is.EqualTo(new[] { 3, 8, 8, 0, 6, 6, 1, 6, 3, 1 }));
            Assert.That(data.Train.ClassCounts(), Is.EqualTo(new[] { 396, 366, 420, 384, 422, 393, 414, 385, 407, 413 }));
            Assert.That(data.Test.ClassCounts(), Is.EqualTo(new[] { 103, 89, 100, 103, 90, 86, 112, 102, 106, 109 }));
        });
    }

    [Test]
    public void CifarFirstPixelsAreThePublishedOnes()
    {
        TrainTestSplit data = Load("cifar10");
        ReadOnlySpan<float> first = data.Train.Image(0);

        Assert.That(first[..6].ToArray(), Is.EqualTo(Scaled(59, 43, 50, 68, 98, 119)));      // red plane starts
        Assert.That(first[^3..].ToArray(), Is.EqualTo(Scaled(140, 84, 72)));                // blue plane ends
        Assert.That(data.Train.Image(1)[..3].ToArray(), Is.EqualTo(Scaled(154, 126, 105)));
        Assert.That(data.Test.Image(0)[..6].ToArray(), Is.EqualTo(Scaled(158, 159, 165, 166, 160, 156)));
        Assert.That(data.Train.Take(2).Image(1)[..3].ToArray(), Is.EqualTo(Scaled(154, 126, 105)));
    }
}
