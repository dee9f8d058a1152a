using System.Security.Cryptography;
using Engine.Layers;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// DESIGN §5: the same seed gives bit-identical weights for any thread count and on every tier.
/// CI runs the suite once per tier in separate processes; each run writes the fingerprint of
/// <see cref="TrainedParameters"/> to $ENGINE_FINGERPRINT_FILE and .ci/run checks that all runs agree.
/// </summary>
public class DeterminismTests
{
    /// <summary>A network that exercises every kernel family: the direct and GEMM conv paths (forward,
    /// both backward passes), strided conv, 2×2 and general pooling, every activation, both Dense paths.</summary>
    private static Network Net() => new Network(new Shape(3, 17, 17), seed: 21)
        .Add(new Conv2D(6, 3, padding: Padding.Same)).Add(new LeakyReLU(0.05f)).Add(new MaxPool2D(2))
        .Add(new Conv2D(24, 3, stride: 2, padding: Padding.Explicit(1))).Add(new Sigmoid()).Add(new AvgPool2D(2, 1))
        .Add(new Conv2D(20, 2)).Add(new ReLU())
        .Add(new Flatten()).Add(new Dense(40)).Add(new ReLU()).Add(new Dense(10)).Add(new Softmax());

    private static float[] TrainedParameters()
    {
        var net = Net();
        var rng = new SeededRandom(5);
        var images = new float[64 * net.InputShape.Size];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var data = new Engine.Data.Dataset("random", images, Enumerable.Range(0, 64).Select(i => i % 10).ToArray(), net.InputShape, 10);
        net.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 20, Optimizer = new Adam(0.01f), L2 = 0.01f });
        return net.GetParameters();
    }

    [Test]
    public void OneTwoAndFourThreadsGiveBitIdenticalWeights()
    {
        float[] one;
        using (Tiers.Threads(1)) one = TrainedParameters();
        foreach (int threads in new[] { 2, 4 })
            using (Tiers.Threads(threads))
                Assert.That(TrainedParameters(), Is.EqualTo(one).AsCollection, $"{threads} threads");
    }

    [Test]
    public void EveryTierGivesBitIdenticalWeights()
    {
        float[] scalar;
        using (Tiers.Force(ComputeTier.Scalar)) scalar = TrainedParameters();
        foreach (var tier in Tiers.Available())
            using (Tiers.Force(tier))
                Assert.That(TrainedParameters(), Is.EqualTo(scalar).AsCollection, tier.ToString());
    }

    [Test]
    public void FingerprintForTheCrossProcessComparison()
    {
        var parameters = TrainedParameters();
        var bytes = new byte[parameters.Length * sizeof(float)];
        Buffer.BlockCopy(parameters, 0, bytes, 0, bytes.Length);
        string fingerprint = Convert.ToHexString(SHA256.HashData(bytes));
        TestContext.Out.WriteLine($"tier {Cpu.Tier}: {fingerprint}");
        Assert.That(parameters, Has.All.Matches<float>(float.IsFinite));
        if (Environment.GetEnvironmentVariable("ENGINE_FINGERPRINT_FILE") is { Length: > 0 } file)
            File.WriteAllText(file, fingerprint + Environment.NewLine);
    }
}
