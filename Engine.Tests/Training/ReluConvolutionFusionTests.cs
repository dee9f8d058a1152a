using Engine.Layers;
using Engine.Losses;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// A ReLU and the blocked convolution after it run as one <see cref="ReluConvolutionStage"/> in training, the ReLU's backward
/// applied by the convolution's data-gradient kernel, and blocked convolutions add their data gradients into a value other
/// stages read too (<see cref="ConvolutionStage"/>): outputs, the loss and every parameter gradient are bit-identical to the
/// same network compiled without the fusion (the ReLU, then the convolution), on every tier and for one and two threads.
/// </summary>
public class ReluConvolutionFusionTests
{
    /// <summary>Every case of the fusion: a ReLU on the network's input (no input gradient wanted), a stride-1 and a stride-2
    /// convolution after a ReLU, a ReLU at the start of a residual body whose input the identity shortcut also reads (the
    /// gradients add up), a residual body starting with a convolution (which adds its data gradient to the shortcut's), a 1×1
    /// convolution; and a convolution too small for the blocked kernels, whose ReLU stays a stage.</summary>
    private static Network Net() => new Network(new Shape(16, 9, 9), seed: 23)
        .Add(new ReLU()).Add(new Conv2D(16, 3, padding: Padding.Same))
        .Add(new ReLU()).Add(new Conv2D(32, 3, stride: 2, padding: Padding.Explicit(1)))
        .Add(new Residual(new ReLU(), new Conv2D(32, 3, padding: Padding.Same, bias: false)))
        .Add(new Residual(new Conv2D(32, 3, padding: Padding.Same), new ReLU(), new Conv2D(32, 3, padding: Padding.Same)))
        .Add(new Conv2D(32, 1)).Add(new ReLU()).Add(new Conv2D(16, 1))
        .Add(new ReLU()).Add(new Conv2D(4, 3, padding: Padding.Same))
        .Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());

    private static ExecutionPlan Unfused(Network net) =>
        ExecutionPlan.Compile(net.InputShape, net.Layers, new ExecutionPlan.Settings(new CrossEntropy(), FuseActivationWithPooling: true) { FuseReluConvolution = false });

    [Test]
    public void TrainingPlansFuseEveryReluBeforeABlockedConvolutionAndInferencePlansNone()
    {
        var net = Net();
        var fused = net.TrainingWorkspace(2).Plan;
        Assert.That(fused.Stages.Count(s => s is ReluConvolutionStage), Is.EqualTo(5), fused.Describe());
        Assert.That(fused.Stages.Count(s => s is ConvolutionStage), Is.EqualTo(2), fused.Describe());
        Assert.That(fused.Describe(), Does.Contain("layer 1 (ReLU) then layer 2 (Conv2D) (fused)"));
        var plain = Unfused(net);
        Assert.That(plain.Stages.Count(s => s is ReluConvolutionStage or ConvolutionStage), Is.Zero);
        Assert.That(plain.Stages.Length, Is.EqualTo(fused.Stages.Length + 5));
        var inference = ExecutionPlan.Compile(net.InputShape, net.Layers, new ExecutionPlan.Settings(null, FuseActivationWithPooling: true));
        Assert.That(inference.Stages.Count(s => s is ReluConvolutionStage), Is.Zero);
    }

    [Test]
    public void FusedAndUnfusedGiveTheSameBitsForwardAndBackwardOnEveryTierAndThreadCount()
    {
        const int n = 5;
        var data = TestData.Random(new Shape(16, 9, 9), n, 10);
        int[] indices = Enumerable.Range(0, n).ToArray();
        (float[] Output, float[] Gradients, double Loss)? first = null;
        Tiers.EveryTierAndOneOrTwoThreads((threads, where) =>
            {
                var net = Net();
                net.EnsureParameters();
                var (output, gradients, loss) = ResidualReluFusionTests.Gradients(net, net.TrainingWorkspace(n), data, indices);
                var (plainOutput, plainGradients, plainLoss) = ResidualReluFusionTests.Gradients(net, new Workspace(Unfused(net), n, threads, training: true), data, indices);
                Assert.That(gradients.Count(g => g != 0f), Is.GreaterThan(gradients.Length / 2), $"{where}: most gradients are not zero");
                SameBits(plainOutput, output, $"{where}: training output");
                SameBits(plainGradients, gradients, $"{where}: gradients");
                Assert.That(loss, Is.EqualTo(plainLoss), $"{where}: loss");
                first ??= (output, gradients, loss);
                SameBits(first.Value.Output, output, $"{where}: output against the first run");
                SameBits(first.Value.Gradients, gradients, $"{where}: gradients against the first run");
            });
    }

    private static void SameBits(float[] expected, float[] actual, string what) =>
        Engine.Tests.Kernels.ActivationTierTests.AssertSameBits(expected, actual, what);
}
