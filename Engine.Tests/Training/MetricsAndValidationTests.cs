using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// What Evaluate and Fit report: the confusion matrix and per-class accuracy against a count made here from Predict's outputs,
/// and Fit's validation figures against Evaluate in evaluation mode on a network whose training mode differs (batch norm, dropout).
/// </summary>
public class MetricsAndValidationTests
{
    private const int Classes = 5, Absent = 3;

    /// <summary>Images of 2×6×6 in [−3, 3) with labels from 0..4 except <see cref="Absent"/>.</summary>
    private static Dataset WithoutClassThree(int count, int seed)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * 72];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(6 * rng.NextDouble() - 3);
        int[] present = [0, 1, 2, 4];
        var labels = Enumerable.Range(0, count).Select(_ => present[rng.NextInt(present.Length)]).ToArray();
        return new Dataset("no class 3", images, labels, new Shape(2, 6, 6), Classes);
    }

    private static Network Small(long seed) => new Network(new Shape(2, 6, 6), seed)
        .Add(new Conv2D(4, 3)).Add(new ReLU()).Add(new Flatten()).Add(new Dense(Classes)).Add(new Softmax());

    [TestCase(1, 256), TestCase(2, 8), TestCase(3, 5)]
    public void TheConfusionMatrixCountsPredictsArgmaxAgainstTheLabels(long seed, int batchSize)
    {
        var net = Small(seed);
        var data = WithoutClassThree(37, (int)seed + 10);
        var output = new float[data.Count * Classes];
        net.Predict(data.Images, output, data.Count);
        var expected = new long[Classes, Classes];
        for (int i = 0; i < data.Count; i++)
        {
            int best = 0; // the first of equal maxima
            for (int k = 1; k < Classes; k++) if (output[i * Classes + k] > output[i * Classes + best]) best = k;
            expected[data.Labels[i], best]++;
        }

        var metrics = net.Evaluate(data, batchSize: batchSize);
        var matrix = metrics.ConfusionMatrix!;
        Assert.That(matrix, Is.Not.Null);
        Assert.That(matrix.Classes, Is.EqualTo(Classes));
        int predictedClasses = Enumerable.Range(0, Classes).Count(p => Enumerable.Range(0, Classes).Any(a => expected[a, p] > 0));
        Assert.That(predictedClasses, Is.GreaterThanOrEqualTo(2), "the random network predicts more than one class");
        long trace = 0;
        for (int a = 0; a < Classes; a++)
        {
            for (int p = 0; p < Classes; p++) Assert.That(matrix[a, p], Is.EqualTo(expected[a, p]), $"label {a}, predicted {p}");
            long total = data.Labels.ToArray().Count(l => l == a);
            Assert.That(matrix.Total(a), Is.EqualTo(total), $"images of class {a}");
            if (total == 0) Assert.That(metrics.PerClassAccuracy[a], Is.NaN, $"class {a} has no images");
            else Assert.That(metrics.PerClassAccuracy[a], Is.EqualTo(expected[a, a] / (double)total), $"accuracy of class {a}");
            trace += expected[a, a];
        }
        Assert.That(matrix.Total(Absent), Is.Zero);
        Assert.That(metrics.PerClassAccuracy, Is.EqualTo(matrix.PerClassAccuracy).AsCollection);
        Assert.That(metrics.Accuracy, Is.EqualTo(trace / (double)data.Count));
        Assert.That(metrics.Count, Is.EqualTo(data.Count));
        Assert.That(matrix, Is.EqualTo(net.Evaluate(data, batchSize: 256).ConfusionMatrix), "the same counts whatever the batch size");
        Assert.That(() => matrix[Classes, 0], Throws.TypeOf<IndexOutOfRangeException>());
        Assert.That(() => matrix[0, -1], Throws.TypeOf<IndexOutOfRangeException>());
    }

    /// <summary>Training mode differs from evaluation: batch statistics and a dropout.</summary>
    private static Network WithBatchNormAndDropout() => new Network(new Shape(3, 9, 9), seed: 21)
        .Add(new Conv2D(6, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D()).Add(new ReLU()).Add(new MaxPool2D(2))
        .Add(new Flatten()).Add(new Dense(16)).Add(new BatchNorm1D()).Add(new ReLU()).Add(new Dropout(0.5f))
        .Add(new Dense(3)).Add(new Softmax());

    [TestCase(256), TestCase(7)]
    public void FitsValidationFiguresAreEvaluateAfterEachEpoch(int evaluationBatchSize)
    {
        var net = WithBatchNormAndDropout();
        var train = NetworkTests.Bands(48, 31);
        var val = NetworkTests.Bands(29, 32);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 8, Optimizer = new Adam(0.01f), EvaluationBatchSize = evaluationBatchSize, EvaluateTrainingSet = true };
        var evaluated = new List<(Metrics Val, Metrics Train)>();
        // The report comes after the epoch's last step and before the next epoch's first.
        var history = net.Fit(train, val, options, new SyncProgress(_ =>
            evaluated.Add((net.Evaluate(val, options.Loss, evaluationBatchSize), net.Evaluate(train, options.Loss, evaluationBatchSize)))));

        Assert.That(history.Epochs, Has.Count.EqualTo(3));
        Assert.That(evaluated, Has.Count.EqualTo(3));
        for (int e = 0; e < 3; e++)
        {
            var report = history.Epochs[e];
            Assert.That(report.ValidationLoss, Is.EqualTo(evaluated[e].Val.Loss), $"epoch {e + 1}: validation loss");
            Assert.That(report.ValidationAccuracy, Is.EqualTo(evaluated[e].Val.Accuracy), $"epoch {e + 1}: validation accuracy");
            Assert.That(report.TrainLoss, Is.EqualTo(evaluated[e].Train.Loss), $"epoch {e + 1}: training-set loss (EvaluateTrainingSet)");
            Assert.That(report.TrainAccuracy, Is.EqualTo(evaluated[e].Train.Accuracy), $"epoch {e + 1}: training-set accuracy");
        }
        Assert.That(history.Epochs.Select(r => r.ValidationLoss).Distinct().Count(), Is.EqualTo(3), "the weights changed between epochs");

        // The same images in training mode (batch statistics, dropout) give another loss: evaluation mode is what was measured.
        int[] all = Enumerable.Range(0, val.Count).ToArray();
        double trainingMode = net.ComputeGradients(net.TrainingWorkspace(val.Count), val, all, new CrossEntropy(), out _);
        Assert.That(trainingMode, Is.Not.EqualTo(history.Last.ValidationLoss).Within(1e-6));
    }
}
