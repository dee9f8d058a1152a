using Engine.Serialization;
using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class DenseLayerTests
{
    [TestCase(7, 5, 3)]
    [TestCase(1, 1, 1)]
    [TestCase(13, 17, 2)]
    [TestCase(33, 10, 4)]
    [TestCase(2, 31, 5)]
    public void GradientsMatchFiniteDifferences(int inputs, int units, int batch)
    {
        var bound = GradientCheck.Bind(new Dense(units), new Shape(inputs), batch);
        GradientCheck.CheckLayer(bound, GradientCheck.Random(batch * inputs, inputs * 31 + units));
    }

    /// <summary>Narrow layers on long inputs (the fixed-order dot path), large enough to be split over threads; odd unit
    /// counts leave every remainder of the 4-unit block and odd input lengths a vector tail.</summary>
    [TestCase(3380, 20, 30)]
    [TestCase(1176, 10, 50)]
    [TestCase(1001, 13, 31)]
    [TestCase(777, 31, 23)]
    [TestCase(2049, 1, 150)]
    public void DotForwardSplitOverThreadsGivesTheSameBitsOnEveryTier(int inputs, int units, int batch)
    {
        var bound = GradientCheck.Bind(new Dense(units), new Shape(inputs), batch);
        var x = GradientCheck.Random(batch * inputs, 12);
        float[] Run(ComputeTier tier, int threads)
        {
            var y = Enumerable.Repeat(float.NaN, batch * units).ToArray();
            using (Tiers.Force(tier))
            using (Tiers.Threads(threads))
                bound.Forward(x, y, batch);
            return y;
        }
        var reference = Run(ComputeTier.Scalar, 1);
        for (int n = 0; n < batch; n++)
            for (int u = 0; u < units; u++)
            {
                double sum = bound.Biases[u], scale = Math.Abs(bound.Biases[u]);
                for (int i = 0; i < inputs; i++)
                {
                    sum += (double)bound.Weights[u * inputs + i] * x[n * inputs + i];
                    scale += Math.Abs((double)bound.Weights[u * inputs + i] * x[n * inputs + i]);
                }
                Assert.That(reference[n * units + u], Is.EqualTo(sum).Within(1e-5 * scale + 1e-6), $"y[{n}, {u}]");
            }
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 4 })
                Assert.That(Run(tier, threads), Is.EqualTo(reference).AsCollection, $"{tier}, {threads} threads");
    }

    private static GradientCheck.BoundLayer HandLayer()
    {
        // W [3 units, 2 inputs] = [[1,2],[3,4],[5,6]], b = [0.5, −1, 0].
        var bound = GradientCheck.Bind(new Dense(3), new Shape(2), 2);
        new float[] { 1, 2, 3, 4, 5, 6 }.CopyTo(bound.Weights, 0);
        new float[] { 0.5f, -1, 0 }.CopyTo(bound.Biases, 0);
        return bound;
    }

    [Test]
    public void HandComputedForward()
    {
        var bound = HandLayer();
        var y = new float[6];
        Array.Fill(y, float.NaN);
        bound.Forward([1, 1, 2, -1], y, 2);
        // W·[1,1] = [3,7,11]; W·[2,−1] = [0,2,4]; plus b.
        Assert.That(y, Is.EqualTo(new float[] { 3.5f, 6, 11, 0.5f, 1, 4 }));
    }

    [Test]
    public void HandComputedBackward()
    {
        var bound = HandLayer();
        float[] x = [1, 1, 2, -1];
        float[] dy = [1, 0, 0, 0, 1, 1];
        Array.Fill(bound.WeightGradients, 1f);
        Array.Fill(bound.BiasGradients, 1f);
        var dx = new float[4];
        Array.Fill(dx, float.NaN);
        bound.Backward(x, new float[6], dy, dx, 2);
        // dW = 1 + dyᵀ·x: unit 0 sees x0, units 1 and 2 see x1. db = 1 + column sums. dx = dy·W.
        Assert.That(bound.WeightGradients, Is.EqualTo(new float[] { 2, 2, 3, 0, 3, 0 }));
        Assert.That(bound.BiasGradients, Is.EqualTo(new float[] { 2, 2, 2 }));
        Assert.That(dx, Is.EqualTo(new float[] { 1, 2, 8, 10 }));
    }

    [Test]
    public void ShapesAndCounts()
    {
        var layer = new Dense(10);
        layer.Build(new Shape(320), "layer 5 (Dense)");
        Assert.That(layer.OutputShape, Is.EqualTo(new Shape(10)));
        Assert.That(layer.WeightCount, Is.EqualTo(3200));
        Assert.That(layer.BiasCount, Is.EqualTo(10));
        Assert.That(layer.Kind, Is.EqualTo("Dense"));
        Assert.That(layer.ToString(), Is.EqualTo("Dense(10): 320 → 10"));
    }

    [Test]
    public void RejectsImageInputAskingForFlatten()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dense(10).Build(new Shape(3, 4, 5), "layer 2 (Dense)"));
        Assert.That(e!.Message, Does.Contain("layer 2 (Dense)").And.Contain("3×4×5").And.Contain("Flatten").And.Contain("60"));
    }

    [Test]
    public void ConstructorRejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dense(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dense(3, (WeightInit)9));
    }

    private static (float[] Weights, float[] Biases) Initialize(Dense layer, int inputs, long seed)
    {
        layer.Build(new Shape(inputs), "layer 0 (Dense)");
        var w = new float[layer.WeightCount];
        var b = new float[layer.BiasCount];
        Array.Fill(b, float.NaN);
        layer.BindParameters(w, b, new float[w.Length], new float[b.Length]);
        layer.InitializeParameters(new SeededRandom(seed));
        return (w, b);
    }

    [Test]
    public void HeInitialisationHasStandardDeviationSqrtTwoOverFanIn()
    {
        var (w, b) = Initialize(new Dense(500), 400, 3);
        double expected = Math.Sqrt(2.0 / 400);
        double mean = w.Average(v => (double)v);
        double std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.That(std, Is.EqualTo(expected).Within(10).Percent);
        Assert.That(Math.Abs(mean), Is.LessThan(0.05 * expected));
        Assert.That(b, Is.All.EqualTo(0f));
    }

    [Test]
    public void GlorotInitialisationIsUniformWithinItsLimit()
    {
        var (w, b) = Initialize(new Dense(300, WeightInit.Glorot), 200, 4);
        double limit = Math.Sqrt(6.0 / (200 + 300));
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.That(w.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(limit).And.GreaterThan(0.99 * limit));
        Assert.That(std, Is.EqualTo(limit / Math.Sqrt(3)).Within(10).Percent);
        Assert.That(b, Is.All.EqualTo(0f));
    }

    [Test]
    public void SeededInitialisationIsReproducible()
    {
        var (a, _) = Initialize(new Dense(6), 9, 42);
        var (b, _) = Initialize(new Dense(6), 9, 42);
        var (c, _) = Initialize(new Dense(6), 9, 43);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
    }

    [TestCase(1, WeightInit.He)]
    [TestCase(20, WeightInit.Glorot)]
    public void ConfigurationRoundTrips(int units, WeightInit init)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) LayerCodec.Write(writer, new Dense(units, init));
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var copy = (Dense)LayerCodec.Read(reader, "Dense");
        Assert.That((copy.Units, copy.Init), Is.EqualTo((units, init)));
        Assert.That(stream.Position, Is.EqualTo(stream.Length));
    }

    [TestCase(0, 0, "units")]
    [TestCase(-5, 0, "units")]
    [TestCase(10, 99, "weight initialisation")]
    public void ReadConfigurationRejectsNonsense(int units, int init, string what)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) { writer.Write(units); writer.Write(init); }
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var e = Assert.Throws<InvalidDataException>(() => LayerCodec.Read(reader, "Dense"));
        Assert.That(e!.Message, Does.Contain("Dense").And.Contain(what));
    }
}
