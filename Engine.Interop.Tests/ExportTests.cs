using Engine.Data;
using Engine.Layers;
using Engine.Onnx;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Interop.Tests;

/// <summary>Networks exported by the engine and run by ONNX Runtime give what the engine's Predict gives, on real images.</summary>
public class ExportTests
{
    private const int Images = 64;

    private static IEnumerable<TestCaseData> ZooModels()
    {
        foreach (string name in ModelZoo.Names)
        {
            yield return new TestCaseData(name, null, false).SetName($"{name}");
            yield return new TestCaseData(name, null, true).SetName($"{name} trained, inputs normalised");
        }
        foreach (var (activation, pool, hidden) in new[] { ("sigmoid", "avg", 20), ("relu", "max", 0), ("lrelu", "avg", 7) })
            yield return new TestCaseData("paper-mnist", new ModelZoo.Variant(Filters: 5, Hidden: hidden, Activation: activation, Pool: pool), false)
                .SetName($"paper-mnist {activation} {pool} hidden {hidden}");
    }

    [TestCaseSource(nameof(ZooModels))]
    public void ZooModelRunsInOnnxRuntimeAsInTheEngine(string name, ModelZoo.Variant? variant, bool trained)
    {
        var shape = ModelZoo.InputShape(name);
        var net = trained ? Trained(name, seed: 7) : ModelZoo.Build(name, shape, seed: 7, variant);
        var (input, dims) = RealImages(DatasetOf(shape), shape);
        AssertSameAsOnnxRuntime(net, input, dims, name);
    }

    [Test]
    public void EveryWaveTwoLayerExportsExactly()
    {
        // Tanh, padded and rectangular max pooling, bias-free convolutions, batch norms after a convolution and a dense layer,
        // nested residual blocks (identity and projection shortcuts), dropout, global average pooling, input normalisation; the
        // batch norm statistics made non-trivial by training; raw scores compared (no softmax to flatten differences).
        var net = new Network(new Shape(2, 11, 9), seed: 4)
            .Add(new Conv2D(6, 3, 2, 1, 1, Padding.Explicit(1, 1, 0, 0), bias: false)).Add(new BatchNorm2D(momentum: 0.3f, epsilon: 1e-3f)).Add(new Tanh())
            .Add(new MaxPool2D(3, 2, 2, 1, 1, 1))
            .Add(new Residual(new Conv2D(6, 3, padding: Padding.Same, bias: false), new BatchNorm2D(), new ReLU(),
                              new Residual(new Conv2D(6, 1, bias: false), new BatchNorm2D(), new Sigmoid())))
            .Add(new Residual(new Conv2D(8, 3, 2, Padding.Explicit(1), bias: false), new BatchNorm2D(), new LeakyReLU(0.1f))).Add(new ReLU())
            .Add(new Dropout(0.3f)).Add(new GlobalAvgPool2D()).Add(new Dense(7)).Add(new BatchNorm1D()).Add(new Tanh()).Add(new Dense(4));
        var random = new Random(12);
        const int n = 6;
        var images = Enumerable.Range(0, 40 * net.InputShape.Size).Select(_ => (float)(random.NextDouble() * 3 - 1)).ToArray();
        var train = new Dataset("random", images, Enumerable.Range(0, 40).Select(i => i % 4).ToArray(), net.InputShape, 4);
        net.Fit(train, null, new TrainingOptions { Epochs = 1, BatchSize = 8, NormalizeInputs = true, Loss = new Engine.Losses.MeanSquaredError(), Optimizer = new Engine.Optimizers.Momentum(0.05f, 0.9f) });
        Assert.That(net.State.ToArray(), Has.Some.Not.EqualTo(0f).And.Some.Not.EqualTo(1f), "the running statistics moved");
        AssertSameAsOnnxRuntime(net, images[..(n * net.InputShape.Size)], [n, 2, 11, 9], "every wave-2 layer");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void EveryLayerKindAndPaddingExportsExactly(bool softmax)
    {
        // Odd sizes, rectangular kernels and strides, Same padding with an odd total (the extra row/column goes last),
        // asymmetric explicit padding, overlapping pools.
        var net = new Network(new Shape(3, 17, 13), seed: 3)
            .Add(new Conv2D(5, 3, 2, 2, 1, Padding.Same)).Add(new Sigmoid())
            .Add(new Conv2D(4, 2, 3, 1, 2, Padding.Explicit(1, 0, 2, 1))).Add(new LeakyReLU(0.2f))
            .Add(new MaxPool2D(3, 2, 2, 1)).Add(new ReLU())
            .Add(new AvgPool2D(2, 2, 1, 2))
            .Add(new Flatten()).Add(new Dense(9)).Add(new LeakyReLU(0.05f)).Add(new Dense(4));
        if (softmax) net.Add(new Softmax()); // without it the raw scores are compared, which a softmax would flatten
        var random = new Random(11);
        const int n = 5;
        var input = Enumerable.Range(0, n * net.InputShape.Size).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        AssertSameAsOnnxRuntime(net, input, [n, 3, 17, 13], "every layer kind");
    }

    [Test]
    public void SaveOnnxWritesTheFileAtomically()
    {
        string dir = Path.Combine(Path.GetTempPath(), "simdcnn-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var net = ModelZoo.Build("lenet5", ModelZoo.InputShape("lenet5"), seed: 1);
            string path = Path.Combine(dir, "lenet5.onnx");
            File.WriteAllText(path, "an older file, replaced whole");
            net.SaveOnnx(path);
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(net.ToOnnx()));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file is left behind");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void ACustomLayerIsRefusedByName()
    {
        var net = new Network(new Shape(4), seed: 1).Add(new Dense(3)).Add(new Doubling());
        var e = Assert.Throws<NotSupportedException>(() => net.ToOnnx())!;
        Assert.That(e.Message, Does.Contain("layer 2").And.Contain(nameof(Doubling)));
    }

    /// <summary>Predict here and in ONNX Runtime from the exported bytes, compared within the oracle's tolerance.</summary>
    internal static void AssertSameAsOnnxRuntime(Network net, float[] input, long[] dims, string what)
    {
        int n = (int)dims[0];
        var ours = new float[n * net.OutputShape.Size];
        net.Predict(input, ours, n);
        OnnxRuntimeOracle.AssertClose(ours, OnnxRuntimeOracle.Run(net.ToOnnx(), input, dims), what);
    }

    /// <summary>
    /// Zoo model <paramref name="name"/> trained for a few steps on real images with input normalisation, so that its batch norm
    /// statistics and the normalisation are not their starting values.
    /// </summary>
    internal static Network Trained(string name, long seed)
    {
        var shape = ModelZoo.InputShape(name);
        var net = ModelZoo.Build(name, shape, seed);
        var train = TestData.Load(DatasetOf(shape)).Train.Take(48);
        var history = net.Fit(train, null, new TrainingOptions { Epochs = 1, BatchSize = 16, NormalizeInputs = true, Optimizer = new Engine.Optimizers.Momentum(0.01f, 0.9f) });
        Assert.That(history.Status, Is.EqualTo(TrainingStatus.Completed));
        Assert.That(net.Normalization, Is.Not.Null);
        return net;
    }

    /// <summary>The dataset a zoo model's input shape is made for.</summary>
    internal static string DatasetOf(Shape shape) => shape.Rank == 3 && shape[0] == 3 ? "cifar10" : "mnist";

    /// <summary>The first <see cref="Images"/> test images of <paramref name="dataset"/> and their dims [N, C, H, W].</summary>
    internal static (float[] Input, long[] Dims) RealImages(string dataset, Shape shape)
    {
        var test = TestData.Load(dataset).Test.Take(Images);
        Assert.That(test.SampleShape, Is.EqualTo(shape));
        return (test.Images.ToArray(), [Images, shape[0], shape[1], shape[2]]);
    }

    /// <summary>A layer ONNX export does not know: y = 2x.</summary>
    private sealed class Doubling : ActivationLayer
    {
        protected internal override void Apply(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = 2 * x[i];
        }

        protected internal override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < x.Length; i++) dx[i] = 2 * dy[i];
        }
    }
}
