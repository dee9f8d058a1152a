using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Optimizers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>DESIGN §3/§5: the steady-state training step and inference batch allocate 0 bytes.</summary>
public class AllocationTests
{
    private static Network PaperMnist() => new Network(new Shape(1, 28, 28), seed: 5)
        .Add(new Conv2D(20, 3)).Add(new LeakyReLU(0.01f)).Add(new MaxPool2D(2)).Add(new Flatten())
        .Add(new Dense(20)).Add(new LeakyReLU(0.01f)).Add(new Dense(10)).Add(new Softmax());

    private static Engine.Data.Dataset Random(int count)
    {
        var rng = new SeededRandom(1);
        var images = new float[count * 784];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, count).Select(i => i % 10).ToArray();
        return new Engine.Data.Dataset("random", images, labels, new Shape(1, 28, 28), 10);
    }

    [TestCase(1), TestCase(2)]
    public void TrainingStepAllocatesNothing(int threads)
    {
        using var scope = Tiers.Threads(threads);
        var net = PaperMnist();
        var data = Random(60);
        var options = new TrainingOptions { BatchSize = 30, Optimizer = new Adam(0.001f), L2 = 0.001f };
        net.EnsureParameters();
        options.Optimizer.Initialize(net.ParameterCount);
        var ws = net.TrainingWorkspace(30);
        int[] indices = Enumerable.Range(0, 30).ToArray();
        Assert.That(Allocations.SteadyState(() => net.TrainStep(ws, data, indices, options, out _)), Is.Zero);
    }

    [TestCase(1), TestCase(2)]
    public void InferenceBatchAllocatesNothing(int threads)
    {
        using var scope = Tiers.Threads(threads);
        var net = PaperMnist();
        var data = Random(64);
        var output = new float[64 * 10];
        Assert.That(Allocations.SteadyState(() => net.Predict(data.Images, output, 64)), Is.Zero);
    }
}
