using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Training;

namespace Engine.Tests.Training;

public class NetworkTests
{
    /// <summary>A small synthetic problem: 3×9×9 images whose class is the brightest of three vertical bands.</summary>
    internal static Dataset Bands(int count, int seed)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * 3 * 9 * 9];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.NextInt(3);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 9; y++)
                    for (int x = 0; x < 9; x++)
                        images[((i * 3 + c) * 9 + y) * 9 + x] = (float)(0.3 * rng.NextDouble() + (x / 3 == labels[i] ? 0.6 : 0));
        }
        return new Dataset("bands", images, labels, new Shape(3, 9, 9), 3);
    }

    internal static Network SmallNet(long seed = 7) => new Network(new Shape(3, 9, 9), seed)
        .Add(new Conv2D(4, 3, stride: 2, padding: Padding.Same))
        .Add(new ReLU())
        .Add(new MaxPool2D(2))
        .Add(new Flatten())
        .Add(new Dense(5)).Add(new LeakyReLU(0.1f))
        .Add(new Dense(3)).Add(new Softmax());

    [Test]
    public void ShapesAreInferredWhenLayersAreAdded()
    {
        var net = SmallNet();
        Assert.Multiple(() =>
        {
            Assert.That(net.Layers[0].OutputShape, Is.EqualTo(new Shape(4, 5, 5)));
            Assert.That(net.Layers[2].OutputShape, Is.EqualTo(new Shape(4, 2, 2)));
            Assert.That(net.Layers[3].OutputShape, Is.EqualTo(new Shape(16)));
            Assert.That(net.OutputShape, Is.EqualTo(new Shape(3)));
            Assert.That(net.ParameterCount, Is.EqualTo(4 * 3 * 9 + 4 + 16 * 5 + 5 + 5 * 3 + 3));
            Assert.That(net.Summary(), Does.Contain("layer 1 (Conv2D)"));
        });
    }

    [Test]
    public void ShapeMismatchNamesTheLayerAndBothShapes()
    {
        var net = new Network(new Shape(1, 28, 28)).Add(new Conv2D(20, 3)).Add(new MaxPool2D(2));
        var e = Assert.Throws<ArgumentException>(() => net.Add(new Dense(10)));
        Assert.That(e!.Message, Does.Contain("layer 3 (Dense)").And.Contain("20×13×13"));
        var tooBig = Assert.Throws<ArgumentException>(() => new Network(new Shape(1, 4, 4)).Add(new Conv2D(2, 5)));
        Assert.That(tooBig!.Message, Does.Contain("layer 1 (Conv2D)").And.Contain("1×4×4"));
    }

    [Test]
    public void DataThatDoesNotFitTheNetworkIsRejected()
    {
        var net = SmallNet();
        var wrong = new Dataset("flat", new float[4 * 81], new int[4], new Shape(1, 9, 9), 3);
        var e = Assert.Throws<ArgumentException>(() => net.Fit(wrong, null, new TrainingOptions()));
        Assert.That(e!.Message, Does.Contain("flat").And.Contain("1×9×9").And.Contain("3×9×9"));
        var empty = new Dataset("empty", [], [], new Shape(3, 9, 9), 3);
        Assert.That(() => net.Fit(empty, null, new TrainingOptions()), Throws.ArgumentException.With.Message.Contain("empty holds no images"));
        var tenClasses = new Dataset("ten", new float[4 * 243], new int[4], new Shape(3, 9, 9), 10);
        Assert.That(() => net.Evaluate(tenClasses), Throws.ArgumentException.With.Message.Contain("10 classes"));
    }

    [Test]
    public void TrainingLearnsASimpleProblem()
    {
        var net = SmallNet();
        var train = Bands(300, 1);
        var val = Bands(100, 2);
        double before = net.Evaluate(val).Accuracy;
        var reports = new List<EpochReport>();
        var history = net.Fit(train, val, new TrainingOptions { Epochs = 8, BatchSize = 16, Optimizer = new Adam(0.01f) },
            new SyncProgress(reports.Add));
        Assert.Multiple(() =>
        {
            Assert.That(history.Status, Is.EqualTo(TrainingStatus.Completed));
            Assert.That(history.Epochs, Has.Count.EqualTo(8));
            Assert.That(reports.Select(r => r.Epoch), Is.EqualTo(Enumerable.Range(1, 8)));
            Assert.That(history.Last.ValidationAccuracy, Is.GreaterThan(0.9).And.GreaterThan(before));
            Assert.That(history.Last.TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss));
            Assert.That(net.Evaluate(val).Accuracy, Is.EqualTo(history.Last.ValidationAccuracy));
        });
    }

    [Test]
    public void BatchProgressReportsEveryBatchInOrder()
    {
        var reports = new List<BatchReport>();
        var history = SmallNet().Fit(Bands(50, 13), null, new TrainingOptions
        {
            Epochs = 2, Batches = 4, BatchProgress = new SyncBatchProgress(reports.Add),
        });
        Assert.That(reports.Select(r => (r.Epoch, r.Batch)), Is.EqualTo(new[] { (1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4) }));
        Assert.That(reports.Where(r => r.Batch == 4).Select(r => r.ImagesDone), Is.All.EqualTo(50));
        Assert.That(reports.Select(r => r.Loss), Has.All.Matches<double>(double.IsFinite));
        Assert.That(history.Status, Is.EqualTo(TrainingStatus.Completed));
    }

    [Test]
    public void SameSeedGivesBitIdenticalWeightsAndMetrics()
    {
        var train = Bands(90, 3);
        var options = new TrainingOptions { Epochs = 3, Batches = 7, Optimizer = new Adam(0.01f), L2 = 0.01f };
        var a = SmallNet(11); var ha = a.Fit(train, train, options);
        var b = SmallNet(11); var hb = b.Fit(train, train, options); // the optimizer's state is reset by Fit
        Assert.That(b.GetParameters(), Is.EqualTo(a.GetParameters()).AsCollection);
        Assert.That(hb.Epochs.Select(e => e.TrainLoss), Is.EqualTo(ha.Epochs.Select(e => e.TrainLoss)));
        var c = SmallNet(12);
        Assert.That(c.GetParameters(), Is.Not.EqualTo(a.GetParameters()));
    }

    [Test]
    public void PoolingBeforeAMonotoneActivationTrainsTheSameWeights()
    {
        // LeakyReLU → MaxPool2D runs as MaxPool2D → LeakyReLU; on data without ties the results are identical.
        Network Build() => new Network(new Shape(3, 9, 9), seed: 3)
            .Add(new Conv2D(4, 3, padding: Padding.Same)).Add(new LeakyReLU(0.1f)).Add(new MaxPool2D(2))
            .Add(new Conv2D(5, 2)).Add(new ReLU()).Add(new MaxPool2D(2, 1))
            .Add(new Flatten()).Add(new Dense(3)).Add(new Softmax());
        var train = Bands(60, 12);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 10, Optimizer = new Adam(0.01f) };
        var fused = Build();
        var plain = Build();
        plain.FuseActivationWithPooling = false;
        var hf = fused.Fit(train, train, options);
        var hp = plain.Fit(train, train, options);
        Assert.That(fused.GetParameters(), Is.EqualTo(plain.GetParameters()).AsCollection);
        Assert.That(hf.Epochs.Select(e => e.ValidationLoss), Is.EqualTo(hp.Epochs.Select(e => e.ValidationLoss)));
    }

    [Test]
    public void BatchesMeansTheNumberOfBatchesWithTheRemainderInTheLast()
    {
        var options = new TrainingOptions { Batches = 7 };
        Assert.That(options.BatchPlan(90), Is.EqualTo((12, 7, 18)));
        Assert.That(new TrainingOptions { BatchSize = 32 }.BatchPlan(90), Is.EqualTo((32, 3, 26)));
        Assert.That(() => new TrainingOptions { Batches = 100 }.BatchPlan(90), Throws.ArgumentException.With.Message.Contain("Batches"));
        Assert.That(() => new TrainingOptions { Batches = 3, BatchSize = 3 }.Validate(), Throws.ArgumentException);
        Assert.That(() => new TrainingOptions { Epochs = 0 }.Validate(), Throws.ArgumentException.With.Message.Contain("Epochs"));
    }

    [Test]
    public void DivergenceStopsTrainingWithAStatus()
    {
        var net = SmallNet();
        var train = Bands(60, 4);
        var history = net.Fit(train, null, new TrainingOptions { Epochs = 50, BatchSize = 10, Optimizer = new Sgd(1e30f), Loss = new MeanSquaredError() });
        Assert.That(history.Status, Is.EqualTo(TrainingStatus.Diverged));
        Assert.That(history.Epochs.Count, Is.LessThan(50));
        Assert.That(net.GetParameters(), Has.All.Matches<float>(float.IsFinite), "the diverging step is not applied");
    }

    [Test]
    public void CancellationStopsAtABatchBoundaryAndKeepsFinishedEpochs()
    {
        var net = SmallNet();
        var train = Bands(60, 5);
        using var cts = new CancellationTokenSource();
        var history = net.Fit(train, null, new TrainingOptions { Epochs = 10, BatchSize = 10 },
            new SyncProgress(r => { if (r.Epoch == 2) cts.Cancel(); }), cts.Token);
        Assert.That(history.Status, Is.EqualTo(TrainingStatus.Cancelled));
        Assert.That(history.Epochs, Has.Count.EqualTo(2));
    }

    [Test]
    public void PredictGivesProbabilitiesForEachImage()
    {
        var net = SmallNet();
        var data = Bands(5, 6);
        using var batch = new Tensor(new Shape(5, 3, 9, 9), data.Images.ToArray());
        using var p = net.Predict(batch);
        Assert.That(p.Shape, Is.EqualTo(new Shape(5, 3)));
        for (int i = 0; i < 5; i++)
            Assert.That(p[i, 0] + p[i, 1] + p[i, 2], Is.EqualTo(1f).Within(1e-5));
        using var wrong = new Tensor(new Shape(5, 1, 9, 9));
        Assert.That(() => net.Predict(wrong), Throws.ArgumentException.With.Message.Contain("5×1×9×9"));
    }

    [Test]
    public void LayersCannotBeAddedAfterParametersExistOrReused()
    {
        var net = SmallNet();
        net.GetParameters();
        Assert.Throws<InvalidOperationException>(() => net.Add(new Dense(3)));
        var shared = new Dense(3);
        new Network(new Shape(4)).Add(shared);
        Assert.Throws<InvalidOperationException>(() => new Network(new Shape(4)).Add(shared));
    }

    [Test]
    public void LossesOtherThanFusedCrossEntropyTrainToo()
    {
        foreach (Loss loss in new Loss[] { new MeanSquaredError(), new LogLoss() })
        {
            var net = SmallNet();
            var history = net.Fit(Bands(150, 8), Bands(60, 9), new TrainingOptions { Epochs = 6, BatchSize = 10, Loss = loss, Optimizer = new Adam(0.01f) });
            Assert.That(history.Last.ValidationAccuracy, Is.GreaterThan(0.8), loss.Name);
        }
    }
}

/// <summary>Batch reports, synchronously on the calling thread.</summary>
internal sealed class SyncBatchProgress(Action<BatchReport> report) : IProgress<BatchReport>
{
    public void Report(BatchReport value) => report(value);
}

/// <summary>An <see cref="IProgress{T}"/> that reports synchronously on the calling thread.</summary>
internal sealed class SyncProgress(Action<EpochReport> report) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => report(value);
}
