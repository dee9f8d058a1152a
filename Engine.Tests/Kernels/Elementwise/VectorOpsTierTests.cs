using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The execution plan's element-wise passes (<see cref="VectorOps"/>) on every tier, every length 0..300 (every tail of every
/// width), special values included: bit-identical to plain loops, and the fused add + ReLU to the add followed by the ReLU kernel.
/// </summary>
public class VectorOpsTierTests
{
    private static IEnumerable<ComputeTier> AllTiers() => Tiers.Available();

    /// <summary>Runs <paramref name="check"/>(n, a, b, where) under <paramref name="tier"/> for every length n, a and b of n seeded inputs.</summary>
    private static void EveryLength(ComputeTier tier, Action<int, float[], float[], string> check)
    {
        using var forced = Tiers.Force(tier);
        for (int n = 0; n <= ActivationTierTests.MaxLength; n++)
            check(n, ActivationTierTests.Inputs(n, 2 * n + 1), ActivationTierTests.Inputs(n, 2 * n + 2), $"{tier}, n = {n}");
    }

    [TestCaseSource(nameof(AllTiers))]
    public void AddAndAddReluMatchPlainLoopsAndTheUnfusedKernels(ComputeTier tier) => EveryLength(tier, (n, a, b, where) =>
    {
        var sum = new float[n];
        var fused = new float[n];
        var unfused = new float[n];
        VectorOps.Add(a, b, sum);
        VectorOps.AddRelu(a, b, fused);
        Activations.Forward(new ReluOperator(), sum, unfused);
        var plainSum = new float[n];
        var plainRelu = new float[n];
        for (int i = 0; i < n; i++)
        {
            plainSum[i] = a[i] + b[i];
            plainRelu[i] = plainSum[i] < 0f ? 0f : plainSum[i];
        }
        ActivationTierTests.AssertSameBits(plainSum, sum, $"{where}: add");
        ActivationTierTests.AssertSameBits(plainRelu, fused, $"{where}: add + relu");
        ActivationTierTests.AssertSameBits(unfused, fused, $"{where}: fused against add then ReLU");
    });

    [TestCaseSource(nameof(AllTiers))]
    public void AddReluIsInPlaceSafeAndChecksLengths(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        var a = ActivationTierTests.Inputs(37, 5);
        var b = ActivationTierTests.Inputs(37, 6);
        var expected = new float[37];
        VectorOps.AddRelu(a, b, expected);
        VectorOps.AddRelu(a, b, a);
        ActivationTierTests.AssertSameBits(expected, a, $"{tier}: in place");
        Assert.That(() => VectorOps.AddRelu(new float[4], new float[5], new float[5]), Throws.ArgumentException);
        Assert.That(() => VectorOps.AddRelu(new float[4], new float[4], new float[3]), Throws.ArgumentException);
    }

    [TestCaseSource(nameof(AllTiers))]
    public void MaskByPositiveMatchesAPlainLoop(ComputeTier tier) => EveryLength(tier, (n, a, b, where) =>
    {
        var y = new float[n];
        VectorOps.MaskByPositive(a, b, y);
        ActivationTierTests.AssertSameBits(a.Select((v, i) => b[i] > 0f ? v : 0f).ToArray(), y, where);
    });

    [TestCaseSource(nameof(AllTiers))]
    public void BackwardIntoTwoOutputsGivesBothTheOneOutputBits(ComputeTier tier) => EveryLength(tier, (n, y, dy, where) =>
    {
        // The residual add + ReLU's backward: the ReLU's derivative read from its output, negative gradients included (so the
        // masked-off elements are −0 where dy < 0, exactly as the one-output pass gives them).
        var expected = new float[n];
        Activations.Backward(new ReluOperator(), y, y, dy, expected);
        var first = new float[n];
        var second = Enumerable.Repeat(float.NaN, n + 3).ToArray();
        Activations.Backward(new ReluOperator(), y, y, dy, first, second.AsSpan(0, n));
        ActivationTierTests.AssertSameBits(expected, first, $"{where}: first output");
        ActivationTierTests.AssertSameBits(expected, second[..n], $"{where}: second output");
        Assert.That(second[n..].All(float.IsNaN), Is.True, $"{where}: nothing written past the length");
        if (n > 0)
            Assert.That(() => Activations.Backward(new ReluOperator(), y, y, dy, new float[n], new float[n - 1]), Throws.ArgumentException, where);
    });

    [TestCaseSource(nameof(AllTiers))]
    public void BackwardIntoTwoOutputsSplitOverThreadsGivesTheOneThreadBits(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        var y = ActivationTierTests.Inputs(SplitLength, 21);
        var dy = ActivationTierTests.Inputs(SplitLength, 22);
        var expected = new float[SplitLength];
        Activations.Backward(new ReluOperator(), y, y, dy, expected);
        var first = new float[SplitLength];
        var second = new float[SplitLength];
        Activations.Backward(new ReluOperator(), y, y, dy, first, second, threads: 2);
        ActivationTierTests.AssertSameBits(expected, first, $"{tier}: first output, 2 threads");
        ActivationTierTests.AssertSameBits(expected, second, $"{tier}: second output, 2 threads");
    }

    /// <summary>Long enough to be split into parts (several per thread), with a tail off every chunk and vector width.</summary>
    private const int SplitLength = 1_000_003;

    [TestCaseSource(nameof(AllTiers))]
    public void SplitOverThreadsEveryPassGivesThePlainLoopsBits(ComputeTier tier)
    {
        Assert.That((long)SplitLength, Is.GreaterThan(2 * ParallelFor.MinimumWorkPerPart), "long enough to be split even at one operation per element");
        using var forced = Tiers.Force(tier);
        var a = ActivationTierTests.Inputs(SplitLength, 11);
        var b = ActivationTierTests.Inputs(SplitLength, 12);
        var plainSum = a.Select((v, i) => v + b[i]).ToArray();
        var plainRelu = plainSum.Select(v => v < 0f ? 0f : v).ToArray();
        var plainMask = a.Select((v, i) => b[i] > 0f ? v : 0f).ToArray();
        var sigmoid = new float[SplitLength];
        var sigmoidGradient = new float[SplitLength];
        Activations.Forward(new SigmoidOperator(), a, sigmoid);
        Activations.Backward(new SigmoidOperator(), a, sigmoid, b, sigmoidGradient);
        foreach (int threads in new[] { 2, 4 })
        {
            string where = $"{tier}, {threads} threads";
            var y = new float[SplitLength];
            VectorOps.Add(a, b, y, threads);
            ActivationTierTests.AssertSameBits(plainSum, y, $"{where}: add");
            VectorOps.AddRelu(a, b, y, threads);
            ActivationTierTests.AssertSameBits(plainRelu, y, $"{where}: add + relu");
            VectorOps.MaskByPositive(a, b, y, threads);
            ActivationTierTests.AssertSameBits(plainMask, y, $"{where}: mask");
            Activations.Forward(new SigmoidOperator(), a, y, threads);
            ActivationTierTests.AssertSameBits(sigmoid, y, $"{where}: sigmoid against one thread");
            Activations.Backward(new SigmoidOperator(), a, sigmoid, b, y, threads);
            ActivationTierTests.AssertSameBits(sigmoidGradient, y, $"{where}: sigmoid gradient against one thread");
        }
    }
}
