using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class PaddedPoolAndTanhTests
{
    [TestCase(3, 2, 1, 2, 7, 7)]
    [TestCase(3, 1, 1, 1, 5, 6)]
    [TestCase(2, 2, 1, 3, 4, 5)]
    public void PaddedMaxPoolingPassesTheGradientCheckAndPaddingNeverWins(int size, int stride, int padding, int channels, int h, int w)
    {
        var layer = new MaxPool2D(size, stride, padding);
        var bound = GradientCheck.Bind(layer, new Shape(channels, h, w), batch: 2);
        Assert.That(layer.OutputShape, Is.EqualTo(new Shape(channels, (h + 2 * padding - size) / stride + 1, (w + 2 * padding - size) / stride + 1)));
        // Distinct values, all negative: a zero padding would win every border window; −∞ padding never does.
        var x = Enumerable.Range(0, 2 * channels * h * w).Select(i => -1f - (i * 7919 % 1000) / 100f).ToArray();
        GradientCheck.CheckLayer(bound, x);
        var y = new float[2 * layer.OutputShape.Size];
        bound.Forward(x, y);
        Assert.That(y, Has.All.LessThan(0f), "every output is an input value, never the padding");
        // Each output is the maximum over its window's real cells.
        int oh = layer.OutputShape[1], ow = layer.OutputShape[2];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < channels; c++)
                for (int r = 0; r < oh; r++)
                    for (int s = 0; s < ow; s++)
                    {
                        float best = float.NegativeInfinity;
                        for (int i = 0; i < size; i++)
                            for (int j = 0; j < size; j++)
                            {
                                int ih = r * stride - padding + i, iw = s * stride - padding + j;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) best = Math.Max(best, x[((n * channels + c) * h + ih) * w + iw]);
                            }
                        Assert.That(y[((n * channels + c) * oh + r) * ow + s], Is.EqualTo(best));
                    }
    }

    [Test]
    public void PaddingIsBoundedSavedAndShown()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2D(3, 2, padding: 2));
        var net = new Network(new Shape(1, 8, 8), seed: 1).Add(new MaxPool2D(3, 2, 1)).Add(new Tanh()).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        Assert.That(net.Layers[0].ToString(), Does.StartWith("MaxPool2D(3×3, stride 2, padding 1)"));
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "padded.bin");
        net.Save(path);
        var again = Network.Load(path);
        Assert.That(again.Layers.Select(l => l.ToString()), Is.EqualTo(net.Layers.Select(l => l.ToString())));
        var data = TestData.Random(new Shape(1, 8, 8), 4, 1);
        Assert.That(again.Evaluate(data), Is.EqualTo(net.Evaluate(data)));
    }

    [Test]
    public void TanhPassesTheGradientCheckAndRunsBeforeAPool()
    {
        GradientCheck.CheckLayer(GradientCheck.Bind(new Tanh(), new Shape(3, 4), batch: 2), GradientCheck.Random(24, 5, -3, 3));
        Assert.That(new Tanh().IsMonotone, Is.True);
        var net = new Network(new Shape(1, 6, 6), seed: 2).Add(new Conv2D(2, 3)).Add(new Tanh()).Add(new MaxPool2D(2)).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var plan = net.TrainingWorkspace(2).Plan;
        Assert.That(plan.Stages[1].GetType().Name, Is.EqualTo("PoolThenActivateStage"));
    }
}
