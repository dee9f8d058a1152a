using Engine.Layers;
using Engine.Losses;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// A residual block's add and the ReLU after it run as one <see cref="AddReluStage"/>: outputs, the loss and every parameter
/// gradient are bit-identical to the same network compiled without the fusion (add, then the ReLU layer), on every tier and
/// for one and two threads.
/// </summary>
public class ResidualReluFusionTests
{
    /// <summary>Every case of the fusion: a first block whose shortcut is the input (no gradient wanted there), an identity
    /// block whose shortcut is read twice (the gradients add up), a projection block, and a block whose ReLU runs after the
    /// max pooling that follows (fused with the pooling instead, so that add stays plain).</summary>
    private static Network Net() => new Network(new Shape(3, 10, 10), seed: 17)
        .Add(new Residual(new Conv2D(3, 3, padding: Padding.Same))).Add(new ReLU())
        .Add(new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false)).Add(new BatchNorm2D()).Add(new ReLU())
        .Add(new Residual(new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D(), new ReLU(),
                          new Conv2D(16, 3, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()))
        .Add(new ReLU())
        .Add(new Residual(new Conv2D(32, 3, stride: 2, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()))
        .Add(new ReLU())
        .Add(new Residual(new Conv2D(32, 3, padding: Padding.Same))).Add(new ReLU()).Add(new MaxPool2D(2))
        .Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());

    private static ExecutionPlan Unfused(Network net, Loss? loss) =>
        ExecutionPlan.Compile(net.InputShape, net.Layers, new ExecutionPlan.Settings(loss, FuseActivationWithPooling: true) { FuseResidualRelu = false });

    [Test]
    public void ThePlanFusesEveryAddFollowedByAReluUnlessThePoolingFusionTakesTheRelu()
    {
        var net = Net();
        var fused = net.TrainingWorkspace(2).Plan;
        Assert.That(fused.Stages.Count(s => s is AddReluStage), Is.EqualTo(3));
        Assert.That(fused.Stages.Count(s => s is AddStage), Is.EqualTo(1));
        Assert.That(fused.Stages.Count(s => s is PoolThenActivateStage), Is.EqualTo(1));
        Assert.That(fused.Describe(), Does.Contain("residual add then layer 2 (ReLU) (fused)"));
        var plain = Unfused(net, new CrossEntropy());
        Assert.That(plain.Stages.Count(s => s is AddReluStage), Is.Zero);
        Assert.That(plain.Stages.Count(s => s is AddStage), Is.EqualTo(4));
        Assert.That(plain.Stages.Length, Is.EqualTo(fused.Stages.Length + 3));
    }

    [Test]
    public void FusedAndUnfusedGiveTheSameBitsForwardAndBackwardOnEveryTierAndThreadCount()
    {
        const int n = 6;
        var data = TestData.Random(new Shape(3, 10, 10), n, 8);
        int[] indices = Enumerable.Range(0, n).ToArray();
        (float[] Inference, float[] Output, float[] Gradients, double Loss)? first = null;
        Tiers.EveryTierAndOneOrTwoThreads((threads, where) =>
            {
                var net = Net();
                net.EnsureParameters();

                var predicted = new float[n * 10];
                net.Predict(data.Images, predicted, n);
                var inference = new Workspace(Unfused(net, null), n, threads, training: false);
                data.Images.CopyTo(inference.Value(0, n));
                inference.Plan.Forward(inference, n, LayerMode.Evaluation);
                SameBits(inference.Value(inference.Plan.Output, n).ToArray(), predicted, $"{where}: inference");

                var (output, gradients, loss) = Gradients(net, net.TrainingWorkspace(n), data, indices);
                var (plainOutput, plainGradients, plainLoss) = Gradients(net, new Workspace(Unfused(net, new CrossEntropy()), n, threads, training: true), data, indices);
                Assert.That(gradients.Any(g => g != 0f), Is.True, $"{where}: the gradients are not all zero");
                SameBits(plainOutput, output, $"{where}: training output");
                SameBits(plainGradients, gradients, $"{where}: gradients");
                Assert.That(loss, Is.EqualTo(plainLoss), $"{where}: loss");

                first ??= (predicted, output, gradients, loss);
                SameBits(first.Value.Inference, predicted, $"{where}: inference against the first run");
                SameBits(first.Value.Output, output, $"{where}: output against the first run");
                SameBits(first.Value.Gradients, gradients, $"{where}: gradients against the first run");
                Assert.That(loss, Is.EqualTo(first.Value.Loss), $"{where}: loss against the first run");
            });
    }

    /// <summary>The training-mode output, the parameter gradients and the loss of one forward and backward pass through <paramref name="ws"/>.</summary>
    internal static (float[] Output, float[] Gradients, double Loss) Gradients(Network net, Workspace ws, Engine.Data.Dataset data, int[] indices)
    {
        double loss = net.ComputeGradients(ws, data, indices, new CrossEntropy(), out _);
        return (ws.Value(ws.Plan.Output, indices.Length).ToArray(), net.Gradients.ToArray(), loss);
    }

    private static void SameBits(float[] expected, float[] actual, string what) =>
        Engine.Tests.Kernels.ActivationTierTests.AssertSameBits(expected, actual, what);
}
