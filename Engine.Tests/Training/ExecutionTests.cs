using Engine.Data;
using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>The compiled execution plan, per-caller workspaces, thread scopes and concurrent use of one network.</summary>
public class ExecutionTests
{
    private static Dataset Random(Shape shape, int count, int seed)
    {
        var rng = new SeededRandom(seed);
        var images = new float[count * shape.Size];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, count).Select(i => (i * 7 + seed) % 10).ToArray();
        return new Dataset("random", images, labels, shape, 10);
    }

    private static Network Zoo(string model) => ModelZoo.Build(model, ModelZoo.InputShape(model), seed: 5);

    [TestCase("paper-mnist"), TestCase("paper-cifar"), TestCase("lenet5"), TestCase("cifar-convnet"), TestCase("resnet20"), TestCase("bn-convnet")]
    [Category(TestCategories.WidestTierOnly)]
    public void EveryZooModelTrainsTheSameBitsOnOneTwoAndThreeThreads(string model)
    {
        var data = Random(ModelZoo.InputShape(model), 40, 3);
        float[] Train(int threads)
        {
            using var scope = Cpu.UseThreads(threads);
            var net = Zoo(model);
            net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 16, Optimizer = new Adam(0.01f) });
            return net.GetParameters();
        }
        var one = Train(1);
        Assert.That(Train(2), Is.EqualTo(one).AsCollection, "2 threads");
        Assert.That(Train(3), Is.EqualTo(one).AsCollection, "3 threads");
    }

    [Test]
    public void Resnet20IsTheStandardCifarResNet()
    {
        var net = Zoo("resnet20");
        Assert.That(net.ParameterCount, Is.EqualTo(272_474), "PyTorch's count for ResNet-20 with 1×1 conv + BN projection shortcuts");
        var blocks = net.Layers.OfType<Residual>().ToList();
        Assert.That(blocks, Has.Count.EqualTo(9));
        Assert.That(blocks.Select(b => b.Projects), Is.EqualTo(new[] { false, false, false, true, false, false, true, false, false }));
        Assert.That(net.OutputShape, Is.EqualTo(new Shape(10)));
        Assert.That(blocks[6].OutputShape, Is.EqualTo(new Shape(64, 8, 8)));
        var plan = net.TrainingWorkspace(2).Plan;
        Assert.That(plan.Stages.Count(s => s is AddReluStage), Is.EqualTo(9), "every block's add with the ReLU after it");
        Assert.That(plan.Stages.Count(s => s is AddStage), Is.Zero);
        Assert.That(plan.Stages.Count(s => s.GetType().Name == "BatchNormReluStage"), Is.EqualTo(10), "the stem's and every body's first BN + ReLU");
    }

    [Test]
    public void BnConvnetTakesItsDropoutRateFromTheVariantAndOtherModelsRefuseOne()
    {
        var shape = ModelZoo.InputShape("bn-convnet");
        var own = ModelZoo.Build("bn-convnet", shape, 4);
        var changed = ModelZoo.Build("bn-convnet", shape, 4, new ModelZoo.Variant { Dropout = 0.4f });
        Assert.That(own.Layers.OfType<Dropout>().Single().Rate, Is.EqualTo(0.25f));
        Assert.That(changed.Layers.OfType<Dropout>().Single().Rate, Is.EqualTo(0.4f));
        Assert.That(changed.GetParameters(), Is.EqualTo(own.GetParameters()).AsCollection, "the rate changes nothing else");
        foreach (string name in ModelZoo.Names.Where(n => n != "bn-convnet"))
            Assert.That(() => ModelZoo.Build(name, ModelZoo.InputShape(name), 4, new ModelZoo.Variant { Dropout = 0.4f }),
                Throws.ArgumentException.With.Message.Contains(name).And.Message.Contains("no Dropout layers"), name);
        Assert.That(() => ModelZoo.Build("bn-convnet", shape, 4, new ModelZoo.Variant { Dropout = 1f }), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void ThePlanFusesPoolThenActivateAndSoftmaxWithCrossEntropy()
    {
        var net = Zoo("paper-mnist"); // conv, lrelu, maxpool, flatten, dense, lrelu, dense, softmax
        net.EnsureParameters();
        var training = net.TrainingWorkspace(4, new CrossEntropy()).Plan;
        Assert.That(training.Stages.Select(s => s.GetType().Name), Is.EqualTo(new[]
        {
            "LayerStage", "PoolThenActivateStage", "LayerStage", "LayerStage", "LayerStage", "LayerStage", "SoftmaxCrossEntropyStage",
        }));
        Assert.That(training.FusesLossGradient, Is.True);
        Assert.That(training.LossGradientValue, Is.EqualTo(training.Output - 1), "the loss writes the gradient of the softmax's input");
        var mse = net.TrainingWorkspace(4, new MeanSquaredError()).Plan;
        Assert.That(mse.Stages[^1], Is.TypeOf<LayerStage>(), "another loss backpropagates through the softmax");
        Assert.That(mse.FusesLossGradient, Is.False);
        Assert.That(training.Describe(), Does.Contain("layer 3 (MaxPool2D) then layer 2 (LeakyReLU) (fused)"));
    }

    [Test]
    public void InferenceSharesTwoBuffersAlongAChain()
    {
        var net = Zoo("lenet5");
        var ws = net.InferenceWorkspace(8);
        int values = ws.Plan.ValueShapes.Length;
        var distinct = new List<int>();
        for (int v = 0; v < values; v++)
            if (!distinct.Any(u => System.Runtime.CompilerServices.Unsafe.AreSame(
                    ref System.Runtime.InteropServices.MemoryMarshal.GetReference(ws.Value(u, 1)),
                    ref System.Runtime.InteropServices.MemoryMarshal.GetReference(ws.Value(v, 1)))))
                distinct.Add(v);
        Assert.That(values, Is.GreaterThan(6));
        Assert.That(distinct, Has.Count.EqualTo(2), "the input's buffer and one more, each reused by every other value");
        // Values two stages apart share a buffer: writing one is seen through the other.
        ws.Value(1, 1).Fill(0f);
        ws.Value(3, 1)[0] = 42f;
        Assert.That(ws.Value(1, 1)[0], Is.EqualTo(42f));
    }

    [Test]
    public void ConcurrentPredictAndEvaluateGiveTheSequentialBits()
    {
        var net = Zoo("lenet5");
        var train = Random(ModelZoo.InputShape("lenet5"), 64, 1);
        net.Fit(train, null, new TrainingOptions { Epochs = 1, BatchSize = 32 });
        var data = Random(ModelZoo.InputShape("lenet5"), 300, 2);
        int[] sizes = [1, 3, 17, 64, 100, 256, 255, 2, 5, 9]; // every inference size class (1, 2, 4 … 256)
        var expected = sizes.Select(n => Predict(net, data, n)).ToArray();
        var expectedMetrics = net.Evaluate(data);

        int failures = 0;
        string? first = null;
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int round = 0; round < 6; round++)
            {
                int k = (t + round) % sizes.Length;
                bool same = t % 3 == 0
                    ? net.Evaluate(data).Equals(expectedMetrics)
                    : Predict(net, data, sizes[k]).AsSpan().SequenceEqual(expected[k]);
                if (!same && Interlocked.Increment(ref failures) == 1) first = $"thread {t} round {round} size {sizes[k]}";
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.That(failures, Is.Zero, first);
    }

    private static float[] Predict(Network net, Dataset data, int n)
    {
        var output = new float[n * 10];
        net.Predict(data.Images[..(n * data.SampleShape.Size)], output, n);
        return output;
    }

    [Test]
    public void ASecondConcurrentFitIsRefused()
    {
        var net = Zoo("paper-mnist");
        var data = Random(ModelZoo.InputShape("paper-mnist"), 60, 4);
        using var entered = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        var options = new TrainingOptions
        {
            Epochs = 1, BatchSize = 30,
            BatchProgress = new SyncBatchProgress(_ => { entered.Set(); release.Wait(TimeSpan.FromSeconds(20)); }),
        };
        var first = Task.Run(() => net.Fit(data, null, options));
        Assert.That(entered.Wait(TimeSpan.FromSeconds(20)), Is.True);
        var e = Assert.Throws<InvalidOperationException>(() => net.Fit(data, null, new TrainingOptions { Epochs = 1 }));
        Assert.That(e!.Message, Does.Contain("already running"));
        release.Set();
        Assert.That(first.Result.Status, Is.EqualTo(TrainingStatus.Completed));
        Assert.DoesNotThrow(() => net.Fit(data, null, new TrainingOptions { Epochs = 1 }), "after the first Fit returns, the next may start");
    }

    [Test]
    public void CrossEntropyWithoutAFinalSoftmaxIsRefusedBeforeTraining()
    {
        var net = new Network(new Shape(1, 28, 28), seed: 1).Add(new Flatten()).Add(new Dense(10));
        var data = Random(new Shape(1, 28, 28), 20, 5);
        var e = Assert.Throws<ArgumentException>(() => net.Fit(data, null, new TrainingOptions { Epochs = 1 }));
        Assert.That(e!.Message, Does.Contain("Softmax").And.Contain("layer 2 (Dense)"));
        Assert.DoesNotThrow(() => net.Fit(data, null, new TrainingOptions { Epochs = 1, Loss = new MeanSquaredError() }));
    }

    [Test]
    public void ABatchTooLargeForMemoryNamesTheLayerAndTheSize()
    {
        var net = new Network(new Shape(1, 28, 28), seed: 1).Add(new Conv2D(106, 3)).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var data = Random(new Shape(1, 28, 28), 30, 6);
        var e = Assert.Throws<InsufficientMemoryException>(() => net.TrainingWorkspace(60_000));
        Assert.That(e!.Message, Does.Contain("layer 1 (Conv2D)").And.Contain("GB").And.Contain("smaller batch size"));
        Assert.DoesNotThrow(() => net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 30 }));
    }

    [Test]
    public void SetParametersReplacesEveryParameterAndChecksTheCount()
    {
        var a = Zoo("paper-cifar");
        var b = Zoo("paper-cifar");
        var values = a.GetParameters().Select(v => v * 2).ToArray();
        b.SetParameters(values);
        Assert.That(b.GetParameters(), Is.EqualTo(values));
        var e = Assert.Throws<ArgumentException>(() => b.SetParameters(values.AsSpan(1)));
        Assert.That(e!.Message, Does.Contain(values.Length.ToString()));
        var data = Random(ModelZoo.InputShape("paper-cifar"), 8, 1);
        Assert.That(b.Evaluate(data), Is.Not.EqualTo(a.Evaluate(data)), "the new values are the ones used");
    }

    [Test]
    public void ThreadScopesNestAndStayOnTheirFlow()
    {
        int outside = Cpu.ThreadCount;
        using (Cpu.UseThreads(3))
        {
            Assert.That(Cpu.ThreadCount, Is.EqualTo(3));
            using (Cpu.UseThreads(1)) Assert.That(Cpu.ThreadCount, Is.EqualTo(1));
            Assert.That(Cpu.ThreadCount, Is.EqualTo(3));
            int elsewhere = 0;
            var other = new Thread(() => elsewhere = Cpu.ThreadCount);
            other.UnsafeStart(); // no execution context flows: another thread keeps the process default
            other.Join();
            Assert.That(elsewhere, Is.EqualTo(outside));
            Assert.That(Task.Run(() => Cpu.ThreadCount).Result, Is.EqualTo(3), "a task started inside the scope inherits it");
        }
        Assert.That(Cpu.ThreadCount, Is.EqualTo(outside));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.UseThreads(0));
    }
}
