using System.Runtime.CompilerServices;
using Engine.Data;
using Engine.Layers;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Extensions.Tests;

/// <summary>A layer, a loss and an optimizer written outside the engine, through its public API only, used like built-in ones.</summary>
public class ExtensionTests
{
    [Test]
    public void ThisProjectSeesOnlyThePublicApi()
    {
        var friends = typeof(Network).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), false)
            .Cast<InternalsVisibleToAttribute>().Select(a => a.AssemblyName);
        Assert.That(friends, Does.Not.Contain(typeof(ExtensionTests).Assembly.GetName().Name));
    }

    [TestCase(3, 4, 5)]
    [TestCase(7)]
    public void TheCustomLayerPassesTheGradientCheckOfTheBuiltInLayers(params int[] dims)
    {
        var bound = GradientCheck.Bind(new ScaleShift(), new Shape(dims), batch: 3);
        // Non-trivial scales, so dx and da differ from dy and x.
        for (int i = 0; i < bound.Weights.Length; i++) bound.Weights[i] = 0.5f + 0.25f * i;
        var x = GradientCheck.Random(3 * new Shape(dims).Size, 11);
        GradientCheck.CheckLayer(bound, x);
    }

    [Test]
    public void TheCustomLossPassesTheGradientCheck()
    {
        var outputs = GradientCheck.Random(4 * 5, 12, 0.05, 0.9);
        GradientCheck.CheckLoss(new FocalLoss(), outputs, [0, 3, 4, 1], classes: 5);
    }

    [Test]
    public void TheCustomOptimizerTakesItsFirstStepByHand()
    {
        var lion = new Lion(0.1f, beta1: 0.5f, beta2: 0.75f);
        float[] w = [1f, -2f, 3f];
        lion.Initialize(3);
        // Weights are the first two (λ = 0.5): d = [0.5 + 0.5, −0.25 − 1, 0.125]; u = sign(0.5·d) = [+, −, +].
        lion.Step(w, [0.5f, -0.25f, 0.125f], decayedCount: 2, l2: 0.5f);
        Assert.That(w, Is.EqualTo(new[] { 0.9f, -1.9f, 2.9f }).Within(1e-6f));
        Assert.That(lion.SaveState().Vector(0).ToArray(), Is.EqualTo(new[] { 0.25f, -0.3125f, 0.03125f }).Within(1e-7f));
        Assert.That(lion.StepCount, Is.EqualTo(1));
    }

    private static Dataset Bands(int count, int seed)
    {
        // 3×9×9 images whose class (of 3) is the brightest of three vertical bands.
        var rng = new SeededRandom(seed);
        var images = new float[count * 3 * 81];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = rng.NextInt(3);
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 81; p++)
                    images[(n * 3 + c) * 81 + p] = (float)(0.3 * rng.NextDouble() + (p % 9 / 3 == labels[n] ? 0.6 : 0));
        }
        return new Dataset("bands", images, labels, new Shape(3, 9, 9), 3);
    }

    private static Network Model(long seed) => new Network(new Shape(3, 9, 9), seed)
        .Add(new Conv2D(4, 3)).Add(new ScaleShift()).Add(new ReLU()).Add(new MaxPool2D(2))
        .Add(new Flatten()).Add(new Dense(3)).Add(new Softmax());

    private static TrainingOptions Options() => new() { Epochs = 6, BatchSize = 16, Loss = new FocalLoss(), Optimizer = new Lion(0.003f) };

    [Test]
    public void ANetworkWithAllThreeTrainsDeterministicallyOnAnyThreadCount()
    {
        var train = Bands(192, 1);
        var test = Bands(96, 2);
        float[] Train(int threads, out double accuracy)
        {
            using var scope = Cpu.UseThreads(threads);
            var net = Model(7);
            var history = net.Fit(train, test, Options());
            Assert.That(history.Status, Is.EqualTo(TrainingStatus.Completed));
            accuracy = history.Last.ValidationAccuracy;
            return net.GetParameters();
        }
        var one = Train(1, out double accuracy);
        Assert.That(accuracy, Is.GreaterThan(0.8), "the bands are easy to learn");
        Assert.That(Train(2, out _), Is.EqualTo(one).AsCollection, "2 threads give the same bits");
    }

    [Test]
    public void ACustomLayerRunsInConcurrentPredictions()
    {
        var net = Model(3);
        var data = Bands(64, 4);
        net.Fit(data, null, Options());
        var expected = new float[64 * 3];
        net.Predict(data.Images, expected, 64);
        var results = new float[8][];
        Parallel.For(0, 8, i =>
        {
            results[i] = new float[64 * 3];
            net.Predict(data.Images, results[i], 64);
        });
        foreach (var r in results) Assert.That(r, Is.EqualTo(expected));
    }

    [Test]
    public void SavingANetworkWithACustomLayerSaysWhy()
    {
        var net = Model(5);
        var e = Assert.Throws<NotSupportedException>(() => net.Save(Path.Combine(TestContext.CurrentContext.WorkDirectory, "custom.bin")));
        Assert.That(e!.Message, Does.Contain("layer 2 (ScaleShift)").And.Contain("built-in"));
    }
}
