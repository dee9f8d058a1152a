using Engine.Kernels;
using Engine.Layers;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Tests.Kernels;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// Inference plans fold an evaluation batch norm and/or a ReLU — and at a residual block's end the add of the shortcut — into
/// the epilogue of the convolution before them (when its kernel takes an epilogue): the predictions are the same bits as with every layer as its own pass, on every tier and
/// thread count, and training plans never fold them.
/// </summary>
public class ConvolutionEpilogueFusionTests
{
    /// <summary>Trained briefly (so the running statistics and the biases are not their initial values).</summary>
    private static Network Trained(string model, Shape shape, int seed)
    {
        var net = ModelZoo.Build(model, shape, seed);
        net.Fit(TestData.Random(shape, 8, seed), null, new TrainingOptions { Epochs = 1, BatchSize = 4, Optimizer = new Adam(0.01f) });
        return net;
    }

    [TestCase("resnet20", 20), TestCase("cifar-convnet", 1), TestCase("bn-convnet", 2)]
    public void PredictionsAreTheBitsOfTheUnfusedPlanOnEveryTierAndThreadCount(string model, int fused)
    {
        var shape = ModelZoo.InputShape(model);
        var net = Trained(model, shape, 7);
        var plan = net.InferenceWorkspace(3).Plan;
        Assert.That(plan.Stages.Count(s => s is ConvolutionEpilogueStage), Is.GreaterThanOrEqualTo(fused), plan.Describe());
        Assert.That(net.TrainingWorkspace(3).Plan.Stages.OfType<ConvolutionEpilogueStage>(), Is.Empty, "training plans never fold");
        var input = TestData.Random(shape, 3, 9).Images.ToArray();
        var expected = new float[3 * 10];
        net.FuseConvolutionEpilogue = false;
        Assert.That(net.InferenceWorkspace(3).Plan.Stages.OfType<ConvolutionEpilogueStage>(), Is.Empty);
        net.Predict(input, expected, 3);
        net.FuseConvolutionEpilogue = true;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Cpu.UseThreads(threads);
                var output = new float[3 * 10];
                net.Predict(input, output, 3);
                ConvEpilogueTests.AssertSameBits(output, expected, $"{model}, {tier}, {threads} threads");
            }
    }

    [Test]
    public void TheStagesFoldOnlyWhatFollowsABlockedConvolutionAndLeaveAReluBeforeMaxPoolingToThePooling()
    {
        var net = new Network(new Shape(3, 8, 8), seed: 1)
            .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new ReLU())                                    // 3 channels: not blocked
            .Add(new Conv2D(16, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D()).Add(new ReLU())  // conv + BN + ReLU
            .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new BatchNorm2D())                              // conv + BN
            .Add(new Conv2D(16, 1)).Add(new ReLU())                                                            // conv + ReLU
            .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new ReLU()).Add(new MaxPool2D(2))               // ReLU stays with the pooling
            .Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        net.EnsureParameters();
        var plan = net.InferenceWorkspace(2).Plan;
        Assert.That(plan.Stages.Select(s => s.GetType().Name), Is.EqualTo(new[]
        {
            "LayerStage", "LayerStage", "ConvolutionEpilogueStage", "ConvolutionEpilogueStage", "ConvolutionEpilogueStage",
            "LayerStage", "PoolThenActivateStage", "LayerStage", "LayerStage", "LayerStage",
        }), plan.Describe());
        Assert.That(plan.Describe(), Does.Contain("layer 3 (Conv2D) then layer 4 (BatchNorm2D) then layer 5 (ReLU) (fused into the convolution's epilogue)"));
        var stage = plan.Stages.OfType<ConvolutionEpilogueStage>().First();
        var ws = net.InferenceWorkspace(2);
        Assert.That(() => stage.Backward(ws, 2, 1), Throws.InvalidOperationException.With.Message.Contain("inference plans"));
        Assert.That(() => stage.Forward(ws, 2, 1, LayerMode.Training), Throws.InvalidOperationException.With.Message.Contain("evaluation mode only"));
    }

    [Test]
    public void AResidualBlockEndsInOneStageThatAddsTheShortcutAndTheReluWhateverTheShortcut()
    {
        Network Build() => new Network(new Shape(16, 8, 8), seed: 5)
            .Add(new Residual(new Conv2D(16, 3, padding: Padding.Same, bias: false), new BatchNorm2D(), new ReLU(),
                              new Conv2D(16, 3, padding: Padding.Same, bias: false), new BatchNorm2D())).Add(new ReLU())           // identity, then ReLU
            .Add(new Residual(new Conv2D(32, 3, stride: 2, padding: Padding.Explicit(1), bias: false), new BatchNorm2D()))           // projection, no ReLU
            .Add(new Residual(new Conv2D(32, 3, padding: Padding.Same), new BatchNorm2D())).Add(new ReLU()).Add(new MaxPool2D(2))  // ReLU with the pooling
            .Add(new Residual(new Conv2D(32, 1), new ReLU()))                                                                       // ends without a batch norm
            .Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());
        var net = Build();
        net.Fit(TestData.Random(new Shape(16, 8, 8), 8, 3), null, new TrainingOptions { Epochs = 1, BatchSize = 4, Optimizer = new Adam(0.01f) });
        var plan = net.InferenceWorkspace(3).Plan;
        string describe = plan.Describe();
        Assert.That(describe, Does.Contain("layer 1.4 (Conv2D) then layer 1.5 (BatchNorm2D) then residual add then layer 2 (ReLU) (fused into the convolution's epilogue)"), describe);
        Assert.That(describe, Does.Contain("layer 3.1 (Conv2D) then layer 3.2 (BatchNorm2D) then residual add (fused into the convolution's epilogue)"), describe);
        Assert.That(describe, Does.Contain("layer 3.s1 (Conv2D) then layer 3.s2 (BatchNorm2D) (fused into the convolution's epilogue)"), "the projection");
        Assert.That(plan.Stages.Count(s => s is ConvolutionEpilogueStage { Inputs.Length: 2 }), Is.EqualTo(3), describe);
        Assert.That(plan.Stages.Count(s => s is AddStage or AddReluStage), Is.EqualTo(1), "the block ending in a ReLU adds in its own stage");
        var input = TestData.Random(new Shape(16, 8, 8), 3, 4).Images.ToArray();
        var expected = new float[30];
        net.FuseConvolutionEpilogue = false;
        net.Predict(input, expected, 3);
        net.FuseConvolutionEpilogue = true;
        foreach (var tier in Tiers.Available())
        {
            using var forced = Tiers.Force(tier);
            var output = new float[30];
            net.Predict(input, output, 3);
            ConvEpilogueTests.AssertSameBits(output, expected, $"{tier}");
        }
    }

    [TestCase(1), TestCase(2)]
    public void FusedInferenceAllocatesNothingPerBatch(int threads)
    {
        var shape = ModelZoo.InputShape("resnet20");
        var net = ModelZoo.Build("resnet20", shape, seed: 4);
        net.EnsureParameters();
        var input = TestData.Random(shape, 2, 1).Images.ToArray();
        var output = new float[2 * 10];
        using var scope = Cpu.UseThreads(threads);
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.Predict(input, output, 2)), Is.Zero);
    }
}
