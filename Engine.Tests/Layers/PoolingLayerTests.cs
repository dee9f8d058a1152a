using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class PoolingLayerTests
{
    /// <summary>A random permutation of 0..length−1 scaled by 0.1: distinct values 0.1 apart, so a ±1e-3 step never crosses a tie.</summary>
    private static float[] DistinctInputs(int length, int seed)
    {
        var order = Enumerable.Range(0, length).ToArray();
        new SeededRandom(seed).Shuffle(order);
        return order.Select(i => i * 0.1f).ToArray();
    }

    private static IEnumerable<TestCaseData> PoolConfigurations()
    {
        // (sizeHeight, sizeWidth, strideHeight, strideWidth, channels, height, width)
        yield return new TestCaseData(2, 2, 2, 2, 2, 4, 4).SetArgDisplayNames("2x2 s2 on 2x4x4");
        yield return new TestCaseData(2, 2, 2, 2, 3, 5, 7).SetArgDisplayNames("2x2 s2 on 3x5x7 (odd, last row and column dropped)");
        yield return new TestCaseData(2, 2, 1, 1, 2, 4, 5).SetArgDisplayNames("2x2 s1 on 2x4x5 (overlapping)");
        yield return new TestCaseData(3, 3, 2, 2, 1, 7, 6).SetArgDisplayNames("3x3 s2 on 1x7x6 (overlapping)");
        yield return new TestCaseData(2, 3, 1, 2, 2, 5, 8).SetArgDisplayNames("2x3 s1x2 on 2x5x8 (rectangular)");
    }

    [TestCaseSource(nameof(PoolConfigurations))]
    public void MaxPoolGradientCheck(int sh, int sw, int strH, int strW, int c, int h, int w)
    {
        var bound = GradientCheck.Bind(new MaxPool2D(sh, sw, strH, strW), new Shape(c, h, w), batch: 2);
        var x = DistinctInputs(2 * c * h * w, seed: h * 31 + w);
        GradientCheck.CheckLayer(bound, x, h: 1e-3);
    }

    [TestCaseSource(nameof(PoolConfigurations))]
    public void AvgPoolGradientCheck(int sh, int sw, int strH, int strW, int c, int h, int w)
    {
        var bound = GradientCheck.Bind(new AvgPool2D(sh, sw, strH, strW), new Shape(c, h, w), batch: 2);
        var x = GradientCheck.Random(2 * c * h * w, seed: h * 31 + w);
        GradientCheck.CheckLayer(bound, x);
    }

    [Test]
    public void OutputShapes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Built(new MaxPool2D(2), new Shape(3, 29, 29)).OutputShape, Is.EqualTo(new Shape(3, 14, 14)));
            Assert.That(Built(new AvgPool2D(2), new Shape(20, 26, 26)).OutputShape, Is.EqualTo(new Shape(20, 13, 13)));
            Assert.That(Built(new MaxPool2D(3, 2), new Shape(6, 29, 29)).OutputShape, Is.EqualTo(new Shape(6, 14, 14)));
            Assert.That(Built(new AvgPool2D(2, 3, 2, 1), new Shape(1, 6, 7)).OutputShape, Is.EqualTo(new Shape(1, 3, 5)));
            Assert.That(Built(new MaxPool2D(5), new Shape(2, 5, 5)).OutputShape, Is.EqualTo(new Shape(2, 1, 1)));
        });
    }

    [Test]
    public void StrideDefaultsToSize()
    {
        var max = new MaxPool2D(3);
        var avg = new AvgPool2D(4, 1);
        Assert.That((max.SizeHeight, max.SizeWidth, max.StrideHeight, max.StrideWidth), Is.EqualTo((3, 3, 3, 3)));
        Assert.That((avg.SizeHeight, avg.SizeWidth, avg.StrideHeight, avg.StrideWidth), Is.EqualTo((4, 4, 1, 1)));
        Assert.That(max.ToString(), Is.EqualTo("MaxPool2D(3×3, stride 3)"));
        Assert.That(new AvgPool2D(2, 3, 2, 1).ToString(), Is.EqualTo("AvgPool2D(2×3, stride 2×1)"));
        Assert.That(max.Kind, Is.EqualTo("MaxPool2D"));
        Assert.That(avg.Kind, Is.EqualTo("AvgPool2D"));
    }

    [Test]
    public void ConstructorsRejectNonPositiveSizesAndStrides()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MaxPool2D(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MaxPool2D(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MaxPool2D(2, 2, 2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AvgPool2D(-2));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AvgPool2D(2, 0, 1, 1));
    }

    private static IEnumerable<TestCaseData> BadInputs()
    {
        foreach (var make in new Func<Layer>[] { () => new MaxPool2D(2), () => new AvgPool2D(2) })
        {
            yield return new TestCaseData(make, new Shape(10), "10");
            yield return new TestCaseData(make, new Shape(4, 10), "4×10");
            yield return new TestCaseData(make, new Shape(1, 1, 5), "1×1×5");
            yield return new TestCaseData(make, new Shape(1, 5, 1), "1×5×1");
            yield return new TestCaseData(make, new Shape(2, 1, 4, 4), "2×1×4×4");
        }
    }

    [TestCaseSource(nameof(BadInputs))]
    public void ShapeErrorsNameTheLayerTheInputAndTheWindow(Func<Layer> make, Shape input, string shapeText)
    {
        var layer = make();
        var ex = Assert.Throws<ArgumentException>(() => layer.Build(input, $"layer 3 ({layer.Kind})"));
        Assert.That(ex!.Message, Does.Contain($"layer 3 ({layer.Kind})").And.Contain(shapeText).And.Contain("2×2"));
        Assert.That(layer.IsBuilt, Is.False);
    }

    [Test]
    public void MaxPoolNeedsSavedMemoryForTheBatch()
    {
        var layer = Built(new MaxPool2D(2), new Shape(1, 4, 4));
        // The argmax of a batch lives in the caller's saved memory: too little of it is refused, naming the layer.
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new float[16], new float[4], 1, new LayerContext(LayerMode.Training, 1, 1, new float[3], [])));
        Assert.That(e!.Message, Does.Contain("layer 0 (MaxPool2D)"));
        Assert.DoesNotThrow(() => LayerHarness.Forward(layer, new float[32], new float[8], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(new float[48], new float[12], 3, LayerHarness.Context(layer, 2)));
    }

    [Test]
    public void MaxPoolForwardAndBackwardThroughTheLayer()
    {
        var layer = Built(new MaxPool2D(2), new Shape(1, 2, 4));
        Assert.That(layer.SavedSize(1), Is.EqualTo(2), "one argmax per output");
        float[] x = [1, 3, 4, 4, 2, 0, 1, 0];
        var y = new float[2];
        LayerHarness.Forward(layer, x, y, 1);
        Assert.That(y, Is.EqualTo(new float[] { 3, 4 }));
        var dx = Enumerable.Repeat(5f, 8).ToArray();
        LayerHarness.Backward(layer, x, y, [10, 20], dx, 1);
        Assert.That(dx, Is.EqualTo(new float[] { 0, 10, 20, 0, 0, 0, 0, 0 })); // tie 4, 4: the first wins
        Assert.DoesNotThrow(() => LayerHarness.Backward(layer, x, y, [10, 20], Span<float>.Empty, 1));
    }

    private static Layer Built(Layer layer, Shape input)
    {
        layer.Build(input, $"layer 0 ({layer.Kind})");
        return layer;
    }
}
