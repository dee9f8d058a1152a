using Engine.Kernels;
using Engine.Layers;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Kernels;

/// <summary>Whole networks whose convolutions run the blocked kernels train the same bits on every tier and thread count.</summary>
public class BlockedNetworkTests
{
    /// <summary>A small ResNet: a 3→16 stem, an identity block of two 16→16 convolutions, a downsampling block (16→32 stride 2,
    /// 32→32, and the 1×1 stride-2 projection shortcut), global average pooling — every blocked kernel shape of resnet20.</summary>
    private static Network ResNetLike(long seed) => new Network(new Shape(3, 12, 12), seed)
        .Add(new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false)).Add(new BatchNorm2D()).Add(new ReLU())
        .Add(new Residual(new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D(), new ReLU(),
                          new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()))
        .Add(new ReLU())
        .Add(new Residual(new Conv2D(32, 3, stride: 2, padding: Padding.Explicit(1), bias: false), new BatchNorm2D(), new ReLU(),
                          new Conv2D(32, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()))
        .Add(new ReLU())
        .Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());

    [Test]
    public void AResNetLikeStackTrainsTheSameBitsOnEveryTierAndOneTwoAndThreeThreads()
    {
        var data = TestData.Random(new Shape(3, 12, 12), 24, 4);
        float[]? first = null;
        float[]? state = null;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Cpu.UseThreads(threads);
                var net = ResNetLike(8);
                net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 8, Optimizer = new Momentum(0.05f) });
                if (first is null)
                {
                    AssertBlocked(net);
                    first = net.GetParameters();
                    state = net.State.ToArray();
                    continue;
                }
                Assert.That(net.GetParameters(), Is.EqualTo(first).AsCollection, $"{tier}, {threads} threads: parameters");
                Assert.That(net.State.ToArray(), Is.EqualTo(state).AsCollection, $"{tier}, {threads} threads: running statistics");
            }
    }

    [Test]
    public void CifarConvnetTrainsTheSameBitsOnEveryTierAndOneTwoAndThreeThreads()
    {
        var shape = ModelZoo.InputShape("cifar-convnet");
        var data = TestData.Random(shape, 4, 5);
        float[] Train(ComputeTier tier, int threads)
        {
            using var forced = Tiers.Force(tier);
            using var scope = Cpu.UseThreads(threads);
            var net = ModelZoo.Build("cifar-convnet", shape, seed: 3);
            net.Fit(data, null, new TrainingOptions { Epochs = 1, BatchSize = 4, Optimizer = new Adam(0.001f) });
            var convs = net.Layers.OfType<Conv2D>().ToArray();
            Assert.That(convs.Skip(1).Select(l => l.Plan(4, threads).ForwardPath), Is.All.EqualTo(ConvForwardPath.Blocked),
                "every convolution after the 3-channel first one runs blocked");
            return net.GetParameters();
        }
        var one = Train(Cpu.DetectedTier, 1);
        Assert.That(Train(Cpu.DetectedTier, 2), Is.EqualTo(one).AsCollection, "2 threads");
        Assert.That(Train(Cpu.DetectedTier, 3), Is.EqualTo(one).AsCollection, "3 threads");
        foreach (var tier in Tiers.Available().Where(t => t != Cpu.DetectedTier))
            Assert.That(Train(tier, 1), Is.EqualTo(one).AsCollection, $"{tier}");
    }

    /// <summary>The ResNet's 16- and 32-channel convolutions (and the projection) take the blocked paths.</summary>
    private static void AssertBlocked(Network net)
    {
        var blocks = net.Layers.OfType<Residual>().ToArray();
        var convs = blocks.SelectMany(b => b.Body.Concat(b.Shortcut)).OfType<Conv2D>().ToArray();
        Assert.That(convs, Has.Length.EqualTo(5));
        foreach (var conv in convs)
        {
            var plan = conv.Plan(8, 1);
            Assert.That((plan.ForwardPath, plan.WeightGradientPath, plan.DataGradientPath),
                Is.EqualTo((ConvForwardPath.Blocked, ConvWeightGradientPath.Blocked, ConvDataGradientPath.Blocked)), conv.Name);
        }
    }
}
