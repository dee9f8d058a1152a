using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class ActivationLayerTests
{
    /// <summary>Values with magnitude in [0.1, 1] and random sign: far enough from the ReLU kink for h = 1e-2.</summary>
    private static float[] AwayFromZero(int length, int seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            float magnitude = (float)(0.1 + 0.9 * rng.NextDouble());
            x[i] = rng.NextDouble() < 0.5 ? -magnitude : magnitude;
        }
        return x;
    }

    private static IEnumerable<TestCaseData> ElementwiseLayers()
    {
        yield return new TestCaseData(new Func<Layer>(() => new Sigmoid())).SetArgDisplayNames("Sigmoid");
        yield return new TestCaseData(new Func<Layer>(() => new ReLU())).SetArgDisplayNames("ReLU");
        yield return new TestCaseData(new Func<Layer>(() => new LeakyReLU())).SetArgDisplayNames("LeakyReLU(0.01)");
        yield return new TestCaseData(new Func<Layer>(() => new LeakyReLU(0.3f))).SetArgDisplayNames("LeakyReLU(0.3)");
        yield return new TestCaseData(new Func<Layer>(() => new Flatten())).SetArgDisplayNames("Flatten");
    }

    [TestCaseSource(nameof(ElementwiseLayers))]
    public void GradientCheck3D(Func<Layer> make)
    {
        var shape = new Shape(2, 3, 5);
        var bound = GradientCheck.Bind(make(), shape, batch: 3);
        GradientCheck.CheckLayer(bound, AwayFromZero(3 * shape.Size, 17));
    }

    [TestCaseSource(nameof(ElementwiseLayers))]
    public void GradientCheck1D(Func<Layer> make)
    {
        var bound = GradientCheck.Bind(make(), new Shape(13), batch: 2);
        GradientCheck.CheckLayer(bound, AwayFromZero(26, 18));
    }

    [Test]
    public void SigmoidGradientCheckOverAWideRange()
    {
        var bound = GradientCheck.Bind(new Sigmoid(), new Shape(4, 5), batch: 2);
        GradientCheck.CheckLayer(bound, GradientCheck.Random(40, 19, -6, 6), h: 1e-3);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(10)]
    public void SoftmaxGradientCheck(int classes)
    {
        var bound = GradientCheck.Bind(new Softmax(), new Shape(classes), batch: 3);
        GradientCheck.CheckLayer(bound, GradientCheck.Random(3 * classes, 20 + classes, -3, 3), h: 1e-3);
    }

    private static IEnumerable<TestCaseData> ShapePreservingLayers()
    {
        foreach (var shape in new[] { new Shape(7), new Shape(3, 4), new Shape(2, 5, 5), new Shape(1, 2, 3, 4) })
        {
            yield return new TestCaseData(new Func<Layer>(() => new Sigmoid()), shape);
            yield return new TestCaseData(new Func<Layer>(() => new ReLU()), shape);
            yield return new TestCaseData(new Func<Layer>(() => new LeakyReLU(0.2f)), shape);
        }
    }

    [TestCaseSource(nameof(ShapePreservingLayers))]
    public void ActivationsKeepTheInputShape(Func<Layer> make, Shape shape)
    {
        var layer = make();
        layer.Build(shape, "layer 0");
        Assert.That(layer.OutputShape, Is.EqualTo(shape));
        Assert.That(layer.ParameterCount, Is.EqualTo(0));
    }

    [Test]
    public void ForwardWritesOnlyTheBatch()
    {
        var layer = new LeakyReLU(0.5f);
        layer.Build(new Shape(2), "layer 0");
        var y = Enumerable.Repeat(9f, 6).ToArray();
        LayerHarness.Forward(layer, [-2f, 3f, -4f, 5f, 100f, 100f], y, 2);
        Assert.That(y, Is.EqualTo(new[] { -1f, 3f, -2f, 5f, 9f, 9f }));
        var dx = Enumerable.Repeat(9f, 6).ToArray();
        LayerHarness.Backward(layer, [-2f, 3f, -4f, 5f], y, [1f, 1f, 1f, 1f], dx, 2);
        Assert.That(dx, Is.EqualTo(new[] { 0.5f, 1f, 0.5f, 1f, 9f, 9f }));
    }

    [Test]
    public void FlattenMakesAVectorAndCopies()
    {
        var layer = new Flatten();
        layer.Build(new Shape(2, 3, 4), "layer 0");
        Assert.That(layer.OutputShape, Is.EqualTo(new Shape(24)));
        var x = Enumerable.Range(0, 48).Select(i => (float)i).ToArray();
        var y = new float[48];
        LayerHarness.Forward(layer, x, y, 2);
        Assert.That(y, Is.EqualTo(x));
        var dx = new float[48];
        LayerHarness.Backward(layer, x, y, y, dx, 2);
        Assert.That(dx, Is.EqualTo(x));
    }

    [Test]
    public void SoftmaxLayerGivesProbabilities()
    {
        var layer = new Softmax();
        layer.Build(new Shape(2), "layer 0");
        var y = new float[4];
        LayerHarness.Forward(layer, [0f, MathF.Log(3f), 5f, 5f], y, 2);
        Assert.That(y, Is.EqualTo(new[] { 0.25f, 0.75f, 0.5f, 0.5f }).Within(1e-7));
    }

    [TestCase(3, 4)]
    [TestCase(2, 3, 4)]
    public void SoftmaxNeedsAVector(params int[] dims)
    {
        var shape = new Shape(dims);
        var layer = new Softmax();
        var ex = Assert.Throws<ArgumentException>(() => layer.Build(shape, "layer 5 (Softmax)"));
        Assert.That(ex!.Message, Does.Contain("layer 5 (Softmax)").And.Contain(shape.ToString()).And.Contain("rank 1"));
    }

    [TestCase(1f)]
    [TestCase(1.5f)]
    [TestCase(-0.01f)]
    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void LeakyReLURejectsBadSlopes(float slope) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LeakyReLU(slope));

    [Test]
    public void LeakyReLUDefaultsAndDescription()
    {
        Assert.That(new LeakyReLU().Slope, Is.EqualTo(0.01f));
        Assert.That(new LeakyReLU(0f).Slope, Is.EqualTo(0f));
        Assert.That(new LeakyReLU(0.99f).ToString(), Is.EqualTo("LeakyReLU(0.99)"));
        Assert.That(new ReLU().Kind, Is.EqualTo("ReLU"));
        Assert.That(new Sigmoid().Kind, Is.EqualTo("Sigmoid"));
        Assert.That(new Softmax().Kind, Is.EqualTo("Softmax"));
        Assert.That(new Flatten().Kind, Is.EqualTo("Flatten"));
    }
}
