using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>Evaluation with <see cref="TestTimeAugmentation.Mirror"/>: each image's output averaged with its mirror image's.</summary>
public class TestTimeAugmentationTests
{
    /// <summary>images [n, C, H, W] with every row reversed, written out plainly.</summary>
    private static float[] Mirrored(Dataset data)
    {
        var s = data.SampleShape;
        int c = s[0], h = s[1], w = s[2];
        var result = new float[data.Images.Length];
        for (int i = 0; i < data.Count; i++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        result[((i * c + ch) * h + y) * w + x] = data.Images[((i * c + ch) * h + y) * w + (w - 1 - x)];
        return result;
    }

    [TestCase(16)]
    [TestCase(256)]
    public void MirrorAveragesEachOutputWithTheMirrorImagesOutput(int batchSize)
    {
        var net = NetworkTests.SmallNet();
        var data = NetworkTests.Bands(37, 3);   // 37: batches of 16 end with a short one
        int classes = 3, n = data.Count;
        var plain = new float[n * classes];
        var mirror = new float[n * classes];
        net.Predict(data.Images, plain, n);
        net.Predict(Mirrored(data), mirror, n);
        var averaged = plain.Zip(mirror, (a, b) => (a + b) * 0.5f).ToArray();
        var loss = new CrossEntropy();
        double lossSum = 0;
        int correct = 0;
        int bs = Math.Min(batchSize, n);
        for (int start = 0; start < n; start += bs)
        {
            int m = Math.Min(bs, n - start);
            lossSum += loss.Compute(averaged.AsSpan(start * classes, m * classes), data.Labels.Slice(start, m), m, classes) * m;
        }
        for (int i = 0; i < n; i++)
        {
            var row = averaged.AsSpan(i * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
            if (best == data.Labels[i]) correct++;
        }

        var metrics = net.Evaluate(data, TestTimeAugmentation.Mirror, loss, batchSize);
        var none = net.Evaluate(data, loss, batchSize);
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Loss, Is.EqualTo(lossSum / n));
            Assert.That(metrics.Accuracy, Is.EqualTo(correct / (double)n));
            Assert.That(Enumerable.Range(0, classes).Sum(k => metrics.ConfusionMatrix![k, k]), Is.EqualTo(correct));
            Assert.That(metrics.Loss, Is.Not.EqualTo(none.Loss), "the bands problem is not mirror-symmetric, so mirroring must show");
        });
    }

    [Test]
    public void NoneIsThePlainEvaluation()
    {
        var net = NetworkTests.SmallNet();
        var data = NetworkTests.Bands(29, 4);
        var plain = net.Evaluate(data, null, 8);
        var none = net.Evaluate(data, TestTimeAugmentation.None, null, 8);
        Assert.That((none.Loss, none.Accuracy), Is.EqualTo((plain.Loss, plain.Accuracy)));
    }

    [Test]
    public void MirrorGivesTheSameBitsForAnyThreadCount()
    {
        var data = NetworkTests.Bands(40, 6);
        Metrics one;
        using (Tiers.Threads(1)) one = NetworkTests.SmallNet().Evaluate(data, TestTimeAugmentation.Mirror);
        using (Tiers.Threads(2))
        {
            var two = NetworkTests.SmallNet().Evaluate(data, TestTimeAugmentation.Mirror);
            Assert.That((two.Loss, two.Accuracy), Is.EqualTo((one.Loss, one.Accuracy)));
        }
    }

    [Test]
    public void MirrorNeedsImageInputs()
    {
        var dense = new Network(new Shape(6), seed: 1).Add(new Dense(3)).Add(new Softmax());
        var data = new Dataset("flat", new float[4 * 6], new int[4], new Shape(6), 3);
        Assert.Multiple(() =>
        {
            Assert.That(() => dense.Evaluate(data, TestTimeAugmentation.Mirror),
                Throws.ArgumentException.With.Message.Contain("mirrors images [C, H, W]").And.Message.Contain("6"));
            Assert.That(() => dense.Fit(data, data, new TrainingOptions { ValidationAugmentation = TestTimeAugmentation.Mirror }),
                Throws.ArgumentException.With.Message.Contain("mirrors images"));
            Assert.That(dense.Evaluate(data, TestTimeAugmentation.None).Count, Is.EqualTo(4));
            Assert.That(() => NetworkTests.SmallNet().Evaluate(NetworkTests.Bands(4, 1), (TestTimeAugmentation)7),
                Throws.ArgumentException.With.Message.Contain("Unknown TestTimeAugmentation"));
            Assert.That(() => new TrainingOptions { ValidationAugmentation = (TestTimeAugmentation)7 }.Validate(),
                Throws.ArgumentException.With.Message.Contain("ValidationAugmentation"));
        });
    }

    [Test]
    public void ValidationAugmentationChangesTheValidationFiguresNotTheTraining()
    {
        var train = NetworkTests.Bands(60, 8);
        var val = NetworkTests.Bands(30, 9);
        TrainingOptions Options(TestTimeAugmentation a) =>
            new() { Epochs = 2, BatchSize = 16, Optimizer = new Adam(0.01f), ValidationAugmentation = a };
        var plainNet = NetworkTests.SmallNet();
        var plain = plainNet.Fit(train, val, Options(TestTimeAugmentation.None));
        var mirrorNet = NetworkTests.SmallNet();
        var mirror = mirrorNet.Fit(train, val, Options(TestTimeAugmentation.Mirror));
        var expected = mirrorNet.Evaluate(val, TestTimeAugmentation.Mirror);
        Assert.Multiple(() =>
        {
            Assert.That(mirrorNet.GetParameters(), Is.EqualTo(plainNet.GetParameters()).AsCollection);
            Assert.That(mirror.Last.ValidationLoss, Is.EqualTo(expected.Loss));
            Assert.That(mirror.Last.ValidationAccuracy, Is.EqualTo(expected.Accuracy));
            Assert.That(mirror.Last.ValidationLoss, Is.Not.EqualTo(plain.Last.ValidationLoss));
            Assert.That(mirror.Last.TrainLoss, Is.EqualTo(plain.Last.TrainLoss));
        });
    }
}
