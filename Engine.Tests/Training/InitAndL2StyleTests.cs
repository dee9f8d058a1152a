using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

public class InitAndL2StyleTests
{
    /// <summary>(init, expected standard deviation of the weights for fanIn 200, fanOut 50, bound of a uniform or 0).</summary>
    [TestCase(WeightInit.He, 0.1, 0.0)]
    [TestCase(WeightInit.HeUniform, 0.1, 0.17320508)]
    [TestCase(WeightInit.Glorot, 0.08944272, 0.15491933)]
    [TestCase(WeightInit.GlorotNormal, 0.08944272, 0.0)]
    [TestCase(WeightInit.LeCun, 0.07071068, 0.0)]
    [TestCase(WeightInit.PyTorchDefault, 0.04082483, 0.07071068)]
    public void EachInitialiserDrawsItsDistribution(WeightInit init, double std, double bound)
    {
        var layer = new Dense(50, init);
        var bound1 = GradientCheck.Bind(layer, new Shape(200), 1);
        layer.InitializeParameters(new SeededRandom(3));
        var w = bound1.Weights;
        double mean = w.Average(v => (double)v), sd = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.That(mean, Is.EqualTo(0).Within(0.01));
        Assert.That(sd, Is.EqualTo(std).Within(std * 0.03));
        if (bound > 0) Assert.That(w.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(bound).And.GreaterThan(bound * 0.98));
        if (init == WeightInit.PyTorchDefault)
            Assert.That(bound1.Biases, Has.All.InRange(-bound, bound).And.Some.Not.EqualTo(0f), "PyTorch's biases are U(±1/√fanIn)");
        else
            Assert.That(bound1.Biases, Has.All.EqualTo(0f), "biases start at zero");
    }

    [Test]
    public void TheNetworksDefaultAppliesToLayersWithoutTheirOwn()
    {
        var net = new Network(new Shape(1, 6, 6), seed: 1) { DefaultInit = WeightInit.PyTorchDefault }
            .Add(new Conv2D(2, 3)).Add(new Flatten()).Add(new Dense(5, WeightInit.Glorot))
            .Add(new Residual(new Dense(5))).Add(new Dense(10)).Add(new Softmax());
        Assert.That(((Conv2D)net.Layers[0]).Init, Is.EqualTo(WeightInit.PyTorchDefault));
        Assert.That(((Dense)net.Layers[2]).Init, Is.EqualTo(WeightInit.Glorot), "an explicit choice wins");
        Assert.That(((Dense)((Residual)net.Layers[3]).Body[0]).Init, Is.EqualTo(WeightInit.PyTorchDefault));
        Assert.That(net.Layers[0].ToString(), Does.Contain("pytorch"));
        var zoo = ModelZoo.Build("lenet5", ModelZoo.InputShape("lenet5"), 1, init: WeightInit.LeCun);
        Assert.That(zoo.Layers.OfType<Dense>().Select(d => d.Init), Has.All.EqualTo(WeightInit.LeCun));
    }

    private static Network Net() => new Network(new Shape(1, 4, 4), seed: 2).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());

    [Test]
    public void L2StylesGiveTheirGradientsAndKerasAddsItsPenaltyToTheLoss()
    {
        var data = TestData.Random(new Shape(1, 4, 4), 6, 1);
        var start = Net().GetParameters();
        int weights = Net().WeightCount;
        float[] After(L2Style style, out History history)
        {
            var net = Net();
            history = net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 6, Optimizer = new Sgd(0.1f), L2 = 0.5f, L2Style = style, Shuffle = ShuffleMode.None });
            return net.GetParameters();
        }
        var none = Net();
        var plainHistory = none.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 6, Optimizer = new Sgd(0.1f), Shuffle = ShuffleMode.None });
        var plain = none.GetParameters();
        var report = After(L2Style.Report, out var reportHistory);
        var keras = After(L2Style.Keras, out var kerasHistory);
        var pytorch = After(L2Style.PyTorch, out _);
        for (int i = 0; i < start.Length; i++)
        {
            bool weight = i < weights;
            Assert.That(report[i], Is.EqualTo(plain[i] - (weight ? 0.1f * 0.5f * start[i] : 0f)).Within(1e-6), $"report, parameter {i}");
            Assert.That(keras[i], Is.EqualTo(plain[i] - (weight ? 0.1f * 1.0f * start[i] : 0f)).Within(1e-6), $"keras, parameter {i}: 2λw");
            Assert.That(pytorch[i], Is.EqualTo(plain[i] - 0.1f * 0.5f * start[i]).Within(1e-6), $"pytorch, parameter {i}: every parameter");
        }
        double penalty = 0.5 * start.Take(weights).Sum(w => (double)w * w);
        Assert.That(kerasHistory.Last.TrainLoss, Is.EqualTo(plainHistory.Last.TrainLoss + penalty).Within(1e-5));
        Assert.That(reportHistory.Last.TrainLoss, Is.EqualTo(plainHistory.Last.TrainLoss));
    }
}
