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
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.TrainStep(ws, data, indices, options, out _)), Is.Zero);
    }

    [TestCase(1), TestCase(2)]
    public void InferenceBatchAllocatesNothing(int threads)
    {
        using var scope = Tiers.Threads(threads);
        var net = PaperMnist();
        var data = Random(64);
        var output = new float[64 * 10];
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.Predict(data.Images, output, 64)), Is.Zero);
    }

    /// <summary>
    /// Inference at every batch size class (1, 2, 4 … 256: one pooled workspace each) on two thread counts, beside a training
    /// workspace: once each has been seen, a round of all of them allocates nothing — no layer rebuilds a kernel plan that a
    /// round at the other thread count pushed out of its cache.
    /// </summary>
    [Test]
    public void InferenceAtEverySizeClassOnTwoThreadCountsAllocatesNothing()
    {
        var net = PaperMnist();
        var data = Random(256);
        var output = new float[256 * 10];
        int[] sizes = [1, 2, 3, 5, 9, 17, 33, 65, 129, 256];
        net.EnsureParameters();
        net.TrainingWorkspace(30);
        void Round()
        {
            foreach (int n in sizes) net.Predict(data.Images[..(n * 784)], output.AsSpan(0, n * 10), n);
        }
        foreach (int threads in new[] { 1, 2 })
        {
            using var scope = Tiers.Threads(threads);
            Round();
        }
        foreach (int threads in new[] { 1, 2 })
        {
            using var scope = Tiers.Threads(threads);
            Assert.That(Allocations.SteadyStateWithWorkers(Round, warmUp: 0, runs: 2), Is.Zero, $"{threads} threads, after a round at the other count");
        }
    }

    /// <summary>A network that only predicts holds no backward scratch: for a GEMM-path convolution (CIFAR convnet
    /// layer shapes) the column matrices of the backward pass dwarf everything the forward pass needs.</summary>
    [Test]
    public void InferenceWorkspaceHoldsNoBackwardScratch()
    {
        using var scope = Tiers.Threads(2);
        static Network Convnet() => ModelZoo.Build("cifar-convnet", ModelZoo.InputShape("cifar-convnet"), seed: 3);
        var predicting = Convnet();
        predicting.EnsureParameters();
        long before = GC.GetAllocatedBytesForCurrentThread();
        predicting.InferenceWorkspace(64);
        long inference = GC.GetAllocatedBytesForCurrentThread() - before;

        var training = Convnet();
        training.EnsureParameters();
        before = GC.GetAllocatedBytesForCurrentThread();
        training.TrainingWorkspace(64);
        long train = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Out.WriteLine($"cifar-convnet, batch 64: inference workspace {inference:N0} B, training workspace {train:N0} B");
        // Training keeps every layer's activations, two gradient buffers and the layers' backward scratch; inference two buffers.
        Assert.That(inference, Is.LessThan(train / 2), $"inference workspace {inference} B, training workspace {train} B");
    }

    /// <summary>Preparing for inference first (smaller scratch), then training, trains exactly as training alone.</summary>
    [Test]
    public void PredictingBeforeTrainingChangesNoBits()
    {
        static Network Small() => new Network(new Shape(3, 12, 12), seed: 9)
            .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new ReLU()).Add(new Conv2D(16, 3)).Add(new ReLU())
            .Add(new MaxPool2D(2)).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var rng = new SeededRandom(4);
        var images = new float[40 * 3 * 12 * 12];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var data = new Engine.Data.Dataset("random", images, Enumerable.Range(0, 40).Select(i => i % 10).ToArray(), new Shape(3, 12, 12), 10);
        TrainingOptions Options() => new() { Epochs = 2, BatchSize = 8, Optimizer = new Adam(0.01f), EvaluateTrainingSet = false };

        var alone = Small();
        alone.Fit(data, null, Options());
        var predictedFirst = Small();
        predictedFirst.Predict(data.Images, new float[40 * 10], 40);
        predictedFirst.Fit(data, null, Options());

        Assert.That(predictedFirst.GetParameters(), Is.EqualTo(alone.GetParameters()));
    }

    private static IEnumerable<TestCaseData> ZooCases() =>
        from model in ModelZoo.Names
        from threads in new[] { 1, 2 }
        select new TestCaseData(model, threads).SetArgDisplayNames(model, $"{threads} threads");

    /// <summary>Every zoo model — batch norm, residual blocks and dropout included — with the modern options (schedule, decay,
    /// clipping, augmentation, label smoothing): 0 bytes per training step and per inference batch on every thread.</summary>
    [TestCaseSource(nameof(ZooCases))]
    [Category(TestCategories.WidestTierOnly)]
    public void EveryZooModelStepsAndPredictsWithoutAllocatingOnAnyThread(string model, int threads)
    {
        using var scope = Tiers.Threads(threads);
        var shape = ModelZoo.InputShape(model);
        var net = ModelZoo.Build(model, shape, seed: 2);
        var data = TestData.Random(shape, 16, 3);
        bool images = shape.Rank == 3 && shape[1] >= 16;
        var options = new TrainingOptions
        {
            BatchSize = 8, Optimizer = new AdamW(0.001f), Loss = new Engine.Losses.CrossEntropy(0.1f), WeightDecay = 1e-4f,
            ClipGradientNorm = 1f, Schedule = LearningRateSchedule.Cosine(),
            Augmentation = images ? new Augmentation { PadCrop = 2, HorizontalFlip = true, Cutout = 3, CutMix = 1f } : null,
        };
        net.EnsureParameters();
        options.Optimizer.Initialize(net.ParameterCount);
        var ws = net.TrainingWorkspace(8, options.Loss);
        int[] indices = Enumerable.Range(0, 8).ToArray();
        var settings = new Network.StepSettings(0.001f, true, 7);
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.TrainStep(ws, data, indices, options, out _, settings), warmUp: 5, runs: 4),
            Is.Zero, "training step");
        var output = new float[16 * 10];
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.Predict(data.Images, output, 16), warmUp: 5, runs: 4), Is.Zero, "inference batch");
    }
}
