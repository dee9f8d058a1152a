using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Layers;

public class ResidualTests
{
    [Test]
    public void AnIdentityBlockAddsItsInput()
    {
        var net = new Network(new Shape(2, 3, 3), seed: 1)
            .Add(new Residual(new Conv2D(2, 3, padding: Padding.Same)))
            .Add(new Flatten()).Add(new Dense(4)).Add(new Softmax());
        var block = (Residual)net.Layers[0];
        Assert.That(block.Projects, Is.False);
        Assert.That(block.Body[0].Name, Is.EqualTo("layer 1.1 (Conv2D)"));
        net.EnsureParameters();
        // With all convolution weights and biases zero the block is the identity.
        var p = net.GetParameters();
        Array.Clear(p, 0, 2 * 2 * 9);
        Array.Clear(p, net.WeightCount, 2);
        net.SetParameters(p);
        var ws = net.InferenceWorkspace(1);
        var x = GradientCheck.Random(18, 3);
        x.CopyTo(ws.Value(0, 1));
        ws.Plan.Forward(ws, 1, LayerMode.Evaluation);
        int added = Array.FindIndex(ws.Plan.Stages, s => s is AddStage);
        Assert.That(ws.Value(ws.Plan.Stages[added].Output, 1).ToArray(), Is.EqualTo(x));
    }

    [Test]
    public void AShapeChangeGetsAProjectionShortcut()
    {
        var block = new Residual(new Conv2D(8, 3, stride: 2, padding: Padding.Explicit(1), bias: false), new BatchNorm2D());
        block.Build(new Shape(4, 9, 9), "layer 3 (Residual)");
        Assert.That(block.OutputShape, Is.EqualTo(new Shape(8, 5, 5)));
        Assert.That(block.Projects, Is.True);
        Assert.That(block.Shortcut.Select(l => l.Name), Is.EqualTo(new[] { "layer 3.s1 (Conv2D)", "layer 3.s2 (BatchNorm2D)" }));
        var conv = (Conv2D)block.Shortcut[0];
        Assert.That((conv.KernelHeight, conv.StrideHeight, conv.HasBias), Is.EqualTo((1, 2, false)));
        var e = Assert.Throws<ArgumentException>(() => new Residual(new Flatten()).Build(new Shape(2, 3, 3), "layer 1 (Residual)"));
        Assert.That(e!.Message, Does.Contain("layer 1 (Residual)").And.Contain("projection"));
        Assert.Throws<ArgumentException>(() => new Residual());
    }

    private static Network Blocks(long seed) => new Network(new Shape(2, 6, 6), seed)
        .Add(new Conv2D(3, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D()).Add(new Sigmoid())
        .Add(new Residual(new Conv2D(3, 3, padding: Padding.Same, bias: false), new BatchNorm2D(), new Sigmoid(),
                          new Conv2D(3, 3, padding: Padding.Same, bias: false), new BatchNorm2D()))
        .Add(new Sigmoid())
        .Add(new Residual(new Conv2D(4, 3, stride: 2, padding: Padding.Explicit(1)), new BatchNorm2D()))
        .Add(new Flatten()).Add(new Dense(5)).Add(new BatchNorm1D()).Add(new Dense(3)).Add(new Softmax());

    [Test]
    public void BothShortcutKindsPassTheNetworkGradientCheck()
    {
        var net = Blocks(4);
        net.EnsureParameters();
        var p = net.GetParameters();
        var rng = new SeededRandom(9);
        for (int i = net.WeightCount; i < p.Length; i++) p[i] += (float)(0.4 * rng.NextDouble() - 0.2); // γ, β and biases off their start
        net.SetParameters(p);
        NetworkGradientCheck.Check(net, TestData.Random(new Shape(2, 6, 6), 5, 1, classes: 3), new CrossEntropy(), h: 1e-2);
    }

    [Test]
    public void BlocksTrainTheSameBitsOnEveryTierAndThreadCountAndSurviveSaveAndLoad()
    {
        var data = TestData.Random(new Shape(2, 6, 6), 24, 2, classes: 3);
        (float[] P, float[] S, Network Net) Train(ComputeTier tier, int threads)
        {
            using var forced = Tiers.Force(tier);
            using var scope = Cpu.UseThreads(threads);
            var net = Blocks(6);
            net.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 8, Optimizer = new Momentum(0.05f, nesterov: true) });
            return (net.GetParameters(), net.State.ToArray(), net);
        }
        var (p1, s1, reference) = Train(ComputeTier.Scalar, 1);
        Assert.That(s1, Has.Some.Not.EqualTo(0f).And.Some.Not.EqualTo(1f), "the running statistics moved");
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var (p, s, _) = Train(tier, threads);
                Assert.That(p, Is.EqualTo(p1).AsCollection, $"{tier}, {threads} threads: parameters");
                Assert.That(s, Is.EqualTo(s1).AsCollection, $"{tier}, {threads} threads: running statistics");
            }
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "blocks.bin");
        reference.Save(path);
        var again = Network.Load(path);
        Assert.That(again.GetParameters(), Is.EqualTo(p1));
        Assert.That(again.State.ToArray(), Is.EqualTo(s1));
        Assert.That(again.Layers.Select(l => l.ToString()), Is.EqualTo(reference.Layers.Select(l => l.ToString())));
        Assert.That(again.Evaluate(data), Is.EqualTo(reference.Evaluate(data)), "evaluation (running statistics) is the same after loading");
    }

    [Test]
    public void AConvolutionWithoutBiasHasNoneAndStillChecks()
    {
        var bound = GradientCheck.Bind(new Conv2D(3, 3, padding: Padding.Same, bias: false), new Shape(2, 5, 4), batch: 2);
        Assert.That(bound.Layer.BiasCount, Is.Zero);
        Assert.That(bound.Layer.ToString(), Does.Contain("no bias"));
        GradientCheck.CheckLayer(bound, GradientCheck.Random(2 * 40, 5));
    }
}
