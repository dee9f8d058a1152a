using Engine.Data;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// Every zoo model, trained briefly on seeded random images, gives bit-identical weights on every tier this process
/// can run and for one and two threads. The weights' fingerprint (<see cref="Fingerprint"/>) is written per tier and
/// thread count to $ENGINE_ZOO_FINGERPRINT_FILE, one line "model tier threads fingerprint", so that runs on other
/// architectures or in other processes (.ci/arm64-check: ARM64 under emulation against x64) can be compared.
/// Sizes are small so the test also runs quickly under an emulator: CIFAR-style models take 12×12 inputs (ResNet-20 8×8).
/// The batch-norm models (ResNet-20's residual blocks and global pooling, bn-convnet's dropout and BatchNorm1D) train with
/// crops and flips, so the augmentation and dropout draws are compared across architectures too.
/// </summary>
public class ZooFingerprintTests
{
    /// <summary>Each zoo model with the input shape it is trained on here.</summary>
    private static IEnumerable<TestCaseData> Models() =>
    [
        new TestCaseData("paper-mnist", new Shape(1, 28, 28)),
        new TestCaseData("paper-cifar", new Shape(3, 32, 32)),
        new TestCaseData("lenet5", new Shape(1, 28, 28)),
        new TestCaseData("cifar-convnet", new Shape(3, 12, 12)),
        new TestCaseData("resnet20", new Shape(3, 8, 8)),
        new TestCaseData("bn-convnet", new Shape(1, 12, 12)),
    ];

    /// <summary>The models with batch norm, which train with augmentation here.</summary>
    private static bool Augmented(string model) => model is "resnet20" or "bn-convnet";

    [TestCaseSource(nameof(Models))]
    public void EveryTierAndThreadCountTrainTheSameWeights(string model, Shape input)
    {
        float[]? first = null;
        string? firstWhere = null;
        foreach (var tier in Tiers.Available().Reverse())
            foreach (int threads in new[] { 1, 2 })
            {
                float[] weights;
                using (Tiers.Force(tier))
                using (Tiers.Threads(threads))
                    weights = Train(model, input);
                string where = $"{model} on {tier} with {threads} thread(s)";
                Assert.That(weights, Has.All.Matches<float>(float.IsFinite), where);
                if (first is null) (first, firstWhere) = (weights, where);
                else Assert.That(weights, Is.EqualTo(first).AsCollection, $"{where} differs from {firstWhere}");
                Record($"{model} {tier} {threads} {Fingerprint(weights)}");
            }
    }

    /// <summary>FNV-1a (64-bit) over the bits of every float, in order, as 16 hex digits: no cryptography, so it
    /// runs where System.Security.Cryptography has no native library (an emulated ARM64 without libssl).</summary>
    internal static string Fingerprint(ReadOnlySpan<float> values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (float value in values)
        {
            uint bits = BitConverter.SingleToUInt32Bits(value);
            for (int b = 0; b < 4; b++, bits >>= 8)
                hash = (hash ^ (bits & 0xFF)) * 1099511628211UL;
        }
        return hash.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Test]
    public void FingerprintIsFnv1aOverTheLittleEndianBytes()
    {
        // FNV-1a 64 of the empty input is the offset basis; of the bytes 00 00 80 3F (1f) it is the published-algorithm value.
        Assert.That(Fingerprint([]), Is.EqualTo("CBF29CE484222325"));
        ulong expected = 14695981039346656037UL;
        foreach (byte b in BitConverter.GetBytes(1f)) expected = (expected ^ b) * 1099511628211UL;
        Assert.That(Fingerprint([1f]), Is.EqualTo(expected.ToString("X16", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(Fingerprint([1f, 2f]), Is.Not.EqualTo(Fingerprint([2f, 1f])));
    }

    /// <summary>Two epochs of batches of 6 over 12 seeded random images, Adam with L2: every layer's forward and backward pass
    /// and the optimizer run, on batches large enough for the threaded paths.</summary>
    private static float[] Train(string model, Shape input)
    {
        var net = ModelZoo.Build(model, input, seed: 11);
        const int count = 12;
        var rng = new SeededRandom(3);
        var images = new float[count * input.Size];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var data = new Dataset("random", images, Enumerable.Range(0, count).Select(i => i * 7 % 10).ToArray(), input, 10);
        net.Fit(data, null, new TrainingOptions
        {
            Epochs = 2, BatchSize = 6, Optimizer = new Adam(0.01f), L2 = 0.001f,
            Augmentation = Augmented(model) ? new Augmentation { PadCrop = 1, HorizontalFlip = true } : null,
        });
        return net.GetParameters();
    }

    private static void Record(string line)
    {
        TestContext.Out.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ENGINE_ZOO_FINGERPRINT_FILE") is { Length: > 0 } file)
            File.AppendAllText(file, line + Environment.NewLine);
    }
}
