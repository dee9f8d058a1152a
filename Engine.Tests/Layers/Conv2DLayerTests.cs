using Engine.Serialization;
using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Tests.Kernels;
using Engine.Training;

namespace Engine.Tests.Layers;

public class Conv2DLayerTests
{
    private static Conv2D Layer(ConvCase c) =>
        new(c.Filters, c.KernelHeight, c.KernelWidth, c.StrideHeight, c.StrideWidth, c.Padding);

    private static IEnumerable<ConvCase> GradientCases()
    {
        yield return new(1, 1, 5, 5, 2, 3, 3, 1, 1, Padding.Valid);
        yield return new(3, 3, 7, 6, 4, 3, 3, 2, 2, Padding.Same);
        yield return new(2, 2, 6, 7, 3, 2, 3, 2, 1, Padding.Explicit(1, 0, 2, 1));
        yield return new(2, 2, 5, 5, 3, 5, 5, 1, 1, Padding.Explicit(2));
        yield return new(3, 4, 4, 4, 2, 1, 1, 1, 1, Padding.Valid);
        yield return new(3, 1, 9, 7, 2, 3, 3, 3, 2, Padding.Same);
    }

    [TestCaseSource(nameof(GradientCases))]
    public void GradientsMatchFiniteDifferences(ConvCase c)
    {
        var bound = GradientCheck.Bind(Layer(c), new Shape(c.Channels, c.Height, c.Width), c.Batch);
        float[] x = GradientCheck.Random(c.Batch * c.Channels * c.Height * c.Width, 77);
        GradientCheck.CheckLayer(bound, x);
    }

    [TestCaseSource(nameof(GradientCases))]
    public void ForwardMatchesDirectLoopsWithWeightsStoredFCKHKW(ConvCase c)
    {
        var bound = GradientCheck.Bind(Layer(c), new Shape(c.Channels, c.Height, c.Width), c.Batch);
        float[] x = GradientCheck.Random(c.Batch * c.Channels * c.Height * c.Width, 78);
        var y = new float[c.Batch * bound.Layer.OutputShape.Size];
        bound.Forward(x, y, c.Batch);
        var (expected, scale) = DirectConvolution.Forward(c.Geometry, c.Batch, c.Filters, x, bound.Weights, bound.Biases);
        DirectConvolution.AssertClose(y, expected, scale, "y");
    }

    [TestCase(3, 28, 28, 20, 3, 1, PaddingMode.Valid, 20, 26, 26)]
    [TestCase(1, 28, 28, 8, 3, 2, PaddingMode.Same, 8, 14, 14)]
    [TestCase(1, 7, 7, 4, 3, 2, PaddingMode.Same, 4, 4, 4)]
    [TestCase(3, 32, 32, 16, 5, 1, PaddingMode.Same, 16, 32, 32)]
    [TestCase(2, 9, 9, 1, 3, 3, PaddingMode.Valid, 1, 3, 3)]
    public void OutputShape(int c, int h, int w, int filters, int kernel, int stride, PaddingMode mode, int f, int oh, int ow)
    {
        var layer = new Conv2D(filters, kernel, stride, mode == PaddingMode.Same ? Padding.Same : Padding.Valid);
        layer.Build(new Shape(c, h, w), "layer 0 (Conv2D)");
        Assert.That(layer.OutputShape, Is.EqualTo(new Shape(f, oh, ow)));
        Assert.That(layer.WeightCount, Is.EqualTo(filters * c * kernel * kernel));
        Assert.That(layer.BiasCount, Is.EqualTo(filters));
    }

    [Test]
    public void RectangularKernelStrideAndExplicitPadding()
    {
        // (7 + 1 + 2 − 3) / 2 + 1 = 4 rows; (8 + 0 + 1 − 2) / 3 + 1 = 3 columns.
        var layer = new Conv2D(5, 3, 2, 2, 3, Padding.Explicit(1, 2, 0, 1));
        layer.Build(new Shape(2, 7, 8), "layer 0 (Conv2D)");
        Assert.That(layer.OutputShape, Is.EqualTo(new Shape(5, 4, 3)));
        Assert.That(layer.WeightCount, Is.EqualTo(5 * 2 * 3 * 2));
    }

    [Test]
    public void DescribesItselfAndDefaultsToValid()
    {
        var layer = new Conv2D(filters: 20, kernel: 3);
        Assert.That(layer.Padding, Is.EqualTo(Padding.Valid));
        Assert.That(layer.Init, Is.EqualTo(WeightInit.He));
        Assert.That(layer.Kind, Is.EqualTo("Conv2D"));
        Assert.That(layer.ToString(), Is.EqualTo("Conv2D(20, 3×3, stride 1, valid)"));
        Assert.That(new Conv2D(4, 3, 5, 2, 1, Padding.Same, WeightInit.Glorot).ToString(), Is.EqualTo("Conv2D(4, 3×5, stride 2×1, same, glorot)"));
    }

    [Test]
    public void RejectsInputOfWrongRankNamingLayerAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2D(4, 3).Build(new Shape(10), "layer 3 (Conv2D)"));
        Assert.That(e!.Message, Does.Contain("layer 3 (Conv2D)").And.Contain("10").And.Contain("rank-3"));
        Assert.Throws<ArgumentException>(() => new Conv2D(4, 3).Build(new Shape(1, 2, 8, 8), "layer 3 (Conv2D)"));
    }

    [Test]
    public void RejectsKernelLargerThanPaddedInputNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2D(4, 5).Build(new Shape(2, 3, 4), "layer 1 (Conv2D)"));
        Assert.That(e!.Message, Does.Contain("layer 1 (Conv2D)").And.Contain("2×3×4").And.Contain("5×5"));
        e = Assert.Throws<ArgumentException>(() => new Conv2D(4, 1, 7, 1, 1, Padding.Explicit(0, 1)).Build(new Shape(2, 6, 3), "layer 1 (Conv2D)"));
        Assert.That(e!.Message, Does.Contain("1×7").And.Contain("6×5"));
        Assert.DoesNotThrow(() => new Conv2D(4, 5, padding: Padding.Same).Build(new Shape(2, 3, 4), "layer 1 (Conv2D)"));
    }

    [Test]
    public void ConstructorRejectsNonPositiveSizes()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(0, 3));
        Assert.That(e!.Message, Does.Contain("Conv2D").And.Contain("filters"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(4, 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(4, 3, 0, 1, 1, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(4, 3, 3, 1, 0, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Conv2D(4, 3, init: (WeightInit)7));
    }

    private static (float[] Weights, float[] Biases) Initialize(Conv2D layer, Shape input, long seed)
    {
        layer.Build(input, "layer 0 (Conv2D)");
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
        var (w, b) = Initialize(new Conv2D(64, 3), new Shape(32, 8, 8), 1);
        double expected = Math.Sqrt(2.0 / (32 * 3 * 3));
        double mean = w.Average(v => (double)v);
        double std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.That(std, Is.EqualTo(expected).Within(10).Percent);
        Assert.That(Math.Abs(mean), Is.LessThan(0.05 * expected));
        Assert.That(b, Is.All.EqualTo(0f));
    }

    [Test]
    public void GlorotInitialisationIsUniformWithinItsLimit()
    {
        var (w, b) = Initialize(new Conv2D(64, 3, init: WeightInit.Glorot), new Shape(32, 8, 8), 2);
        double limit = Math.Sqrt(6.0 / (32 * 9 + 64 * 9));
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.That(w.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(limit).And.GreaterThan(0.99 * limit));
        Assert.That(std, Is.EqualTo(limit / Math.Sqrt(3)).Within(10).Percent);
        Assert.That(b, Is.All.EqualTo(0f));
    }

    [Test]
    public void SeededInitialisationIsReproducible()
    {
        var shape = new Shape(3, 6, 6);
        var (a, _) = Initialize(new Conv2D(5, 3), shape, 42);
        var (b, _) = Initialize(new Conv2D(5, 3), shape, 42);
        var (c, _) = Initialize(new Conv2D(5, 3), shape, 43);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
    }

    [Test]
    public void BackwardWithoutDxStillAccumulatesParameterGradients()
    {
        var c = new ConvCase(2, 2, 5, 5, 3, 3, 3, 1, 1, Padding.Same);
        var bound = GradientCheck.Bind(Layer(c), new Shape(2, 5, 5), 2);
        float[] x = GradientCheck.Random(2 * 50, 3);
        float[] dy = GradientCheck.Random(2 * 75, 4);
        var y = new float[dy.Length];
        bound.Forward(x, y, 2);
        bound.Backward(x, y, dy, Span<float>.Empty, 2);
        var once = (float[])bound.WeightGradients.Clone();
        var onceBias = (float[])bound.BiasGradients.Clone();
        bound.Backward(x, y, dy, new float[x.Length], 2);
        Assert.That(once, Has.Some.Not.EqualTo(0f));
        for (int i = 0; i < once.Length; i++)
            Assert.That(bound.WeightGradients[i], Is.EqualTo(2 * once[i]).Within(1e-5f * (1 + Math.Abs(once[i]))), $"dW[{i}] must accumulate");
        for (int i = 0; i < onceBias.Length; i++)
            Assert.That(bound.BiasGradients[i], Is.EqualTo(2 * onceBias[i]).Within(1e-5f * (1 + Math.Abs(onceBias[i]))), $"db[{i}] must accumulate");
    }

    [Test]
    public void ForwardBeforeBindingOrBeyondTheContextFailsClearly()
    {
        var layer = new Conv2D(2, 3);
        layer.Build(new Shape(1, 5, 5), "layer 0 (Conv2D)");
        var e = Assert.Throws<InvalidOperationException>(() => LayerHarness.Forward(layer, new float[25], new float[18], 1));
        Assert.That(e!.Message, Does.Contain("layer 0 (Conv2D)").And.Contain("not bound"));
        layer.BindParameters(new float[18], new float[2], new float[18], new float[2]);
        var b = Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(new float[50], new float[36], 2, LayerHarness.Context(layer, 1)));
        Assert.That(b!.Message, Does.Contain("layer 0 (Conv2D)"));
    }

    private static IEnumerable<Conv2D> Configurations()
    {
        yield return new Conv2D(20, 3);
        yield return new Conv2D(7, 5, 2, Padding.Same, WeightInit.Glorot);
        yield return new Conv2D(3, 2, 4, 3, 1, Padding.Explicit(1, 2, 3, 4));
        yield return new Conv2D(1, 1, 1, 1, 1, Padding.Explicit(0));
    }

    [TestCaseSource(nameof(Configurations))]
    public void ConfigurationRoundTrips(Conv2D layer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) LayerCodec.Write(writer, layer);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var copy = (Conv2D)LayerCodec.Read(reader, "Conv2D");
        Assert.Multiple(() =>
        {
            Assert.That(copy.Filters, Is.EqualTo(layer.Filters));
            Assert.That(copy.KernelHeight, Is.EqualTo(layer.KernelHeight));
            Assert.That(copy.KernelWidth, Is.EqualTo(layer.KernelWidth));
            Assert.That(copy.StrideHeight, Is.EqualTo(layer.StrideHeight));
            Assert.That(copy.StrideWidth, Is.EqualTo(layer.StrideWidth));
            Assert.That(copy.Padding, Is.EqualTo(layer.Padding));
            Assert.That(copy.Init, Is.EqualTo(layer.Init));
            Assert.That(stream.Position, Is.EqualTo(stream.Length), "reads exactly what was written");
        });
    }

    // filters, kh, kw, sh, sw, mode, top, bottom, left, right, init
    [TestCase(0, 3, 3, 1, 1, 0, 0, 0, 0, 0, 0, "filters")]
    [TestCase(4, -3, 3, 1, 1, 0, 0, 0, 0, 0, 0, "kernel height")]
    [TestCase(4, 3, 3, 1, 0, 0, 0, 0, 0, 0, 0, "stride width")]
    [TestCase(4, 3, 3, 1, 1, 9, 0, 0, 0, 0, 0, "padding mode")]
    [TestCase(4, 3, 3, 1, 1, 2, 0, -1, 0, 0, 0, "negative padding")]
    [TestCase(4, 3, 3, 1, 1, 0, 1, 0, 0, 0, 0, "nonzero amounts")]
    [TestCase(4, 3, 3, 1, 1, 0, 0, 0, 0, 0, 99, "weight initialisation")]
    public void ReadConfigurationRejectsNonsense(int filters, int kh, int kw, int sh, int sw, int mode, int top, int bottom, int left, int right, int init, string what)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (int v in new[] { filters, kh, kw, sh, sw, mode, top, bottom, left, right, init }) writer.Write(v);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var e = Assert.Throws<InvalidDataException>(() => LayerCodec.Read(reader, "Conv2D"));
        Assert.That(e!.Message, Does.Contain("Conv2D").And.Contain(what));
    }
}
