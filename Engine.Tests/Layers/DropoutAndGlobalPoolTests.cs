using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class DropoutAndGlobalPoolTests
{
    [TestCase(3, 4, 5, 2)]
    [TestCase(1, 1, 1, 3)]
    [TestCase(7, 3, 9, 1)]
    public void GlobalAveragePoolingPassesTheGradientCheckAndGivesTheMeans(int c, int h, int w, int batch)
    {
        var bound = GradientCheck.Bind(new GlobalAvgPool2D(), new Shape(c, h, w), batch);
        Assert.That(bound.Layer.OutputShape, Is.EqualTo(new Shape(c)));
        var x = GradientCheck.Random(batch * c * h * w, 7);
        GradientCheck.CheckLayer(bound, x);
        var y = new float[batch * c];
        bound.Forward(x, y);
        for (int i = 0; i < y.Length; i++)
            Assert.That(y[i], Is.EqualTo(x.Skip(i * h * w).Take(h * w).Average(v => (double)v)).Within(1e-6));
    }

    [Test]
    public void GlobalAveragePoolingGivesTheSameBitsOnEveryTier()
    {
        var x = GradientCheck.Random(2 * 5 * 37, 8);
        float[]? first = null;
        foreach (var tier in Tiers.Available())
        {
            var y = new float[10];
            using (Tiers.Force(tier)) GlobalPooling.AverageForward(x, y, 2, 5, 37, new float[GlobalPooling.ScratchSize(5)]);
            if (first is null) first = y;
            else Assert.That(y, Is.EqualTo(first).AsCollection, tier.ToString());
        }
    }

    [Test]
    public void DropoutDropsAboutTheRateScalesTheRestAndBackwardUsesTheSameMask()
    {
        var layer = new Dropout(0.3f);
        layer.Build(new Shape(1000), "layer 0 (Dropout)");
        var x = Enumerable.Repeat(1f, 2000).ToArray();
        var y = new float[2000];
        var context = new LayerContext(LayerMode.Training, 2, 1, [], [], seed: 42);
        layer.Forward(x, y, 2, context);
        int dropped = y.Count(v => v == 0f);
        Assert.That(dropped, Is.InRange(540, 660), "about 30% of 2000");
        Assert.That(y.Where(v => v != 0f), Has.All.EqualTo(1f / 0.7f));
        var dx = new float[2000];
        layer.Backward(x, y, Enumerable.Repeat(2f, 2000).ToArray(), dx, 2, context);
        for (int i = 0; i < 2000; i++) Assert.That(dx[i], Is.EqualTo(y[i] * 2f), $"dx[{i}] follows the forward mask");
        var other = new float[2000];
        layer.Forward(x, other, 2, new LayerContext(LayerMode.Training, 2, 1, [], [], seed: 43));
        Assert.That(other, Is.Not.EqualTo(y), "another step, another mask");
        layer.Forward(x, other, 2, new LayerContext(LayerMode.Evaluation, 2, 1, [], [], seed: 42));
        Assert.That(other, Is.EqualTo(x), "no dropout in evaluation");
    }

    [Test]
    public void DropoutWithAFixedMaskPassesTheGradientCheck()
    {
        var bound = GradientCheck.Bind(new Dropout(0.4f), new Shape(5, 3), batch: 2);
        GradientCheck.CheckLayer(bound, GradientCheck.Random(30, 9)); // the harness's context seed is fixed: one mask
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
    }

    [Test]
    public void DropoutTrainingIsBitIdenticalOnAnyThreadCountAndSavesItsRate()
    {
        var data = TestData.Random(new Shape(1, 8, 8), 32, 1);
        float[] Train(int threads)
        {
            using var scope = Cpu.UseThreads(threads);
            var net = new Network(new Shape(1, 8, 8), seed: 3).Add(new Conv2D(4, 3)).Add(new ReLU()).Add(new Dropout(0.25f))
                .Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());
            net.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 8 });
            string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"dropout{threads}.bin");
            net.Save(path);
            Assert.That(Network.Load(path).Layers[2].ToString(), Does.StartWith("Dropout(0.25)"));
            return net.GetParameters();
        }
        Assert.That(Train(2), Is.EqualTo(Train(1)).AsCollection);
    }
}
