using System.Runtime.InteropServices;
using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The vectorised dropout pass (<see cref="DropoutKernels"/>) on every tier this machine can run against the scalar
/// <see cref="DropoutReference"/>, bit for bit (NaN payloads included): every length 0..257 (every tail of every width) and a
/// few large odd ones, several seeds and rates, thresholds equal to a draw, in place, and split over 1 and 2 threads.
/// </summary>
public class DropoutKernelTests
{
    private const int MaxLength = 257;

    private static readonly int[] LargeLengths = [1_023, 4_099, 65_537];

    private static readonly ulong[] Seeds = [0, 1, 0xDEADBEEFCAFEF00DUL, ulong.MaxValue];

    /// <summary>
    /// 0.1 (threshold 1677721.625 rounds up), 0.5, 0.9, the float just above 0.25 (threshold 4194304.5, a midpoint rounded to
    /// even) and the largest rate below 1 (threshold 2²⁴ − 1, the top of the 24-bit draws).
    /// </summary>
    private static readonly float[] Rates = [0.1f, 0.5f, 0.9f, MathF.BitIncrement(0.25f), MathF.BitDecrement(1f)];

    private static IEnumerable<ComputeTier> AllTiers() => Tiers.Available();

    [Test]
    public void TheRatesCoverRoundedThresholds()
    {
        Assert.That(DropoutKernels.Threshold(0.1f), Is.EqualTo(1_677_722u), "1677721.625 rounds up");
        Assert.That(DropoutKernels.Threshold(MathF.BitIncrement(0.25f)), Is.EqualTo(4_194_304u), "4194304.5 rounds to even");
        Assert.That(DropoutKernels.Threshold(MathF.BitDecrement(1f)), Is.EqualTo((1u << 24) - 1));
    }

    [TestCaseSource(nameof(AllTiers))]
    public void EveryLengthSeedAndRateGivesTheReferenceBits(ComputeTier tier)
    {
        const float sentinel = 12345f;
        using var forced = Tiers.Force(tier);
        foreach (int length in Enumerable.Range(0, MaxLength + 1).Concat(LargeLengths))
        {
            var x = ActivationTierTests.Inputs(length, length + 1);
            var expected = new float[length];
            var y = new float[length + 3];
            foreach (ulong seed in Seeds)
                foreach (float rate in Rates)
                {
                    string where = $"{tier}, length {length}, seed 0x{seed:X}, rate {rate:R}";
                    DropoutReference.Apply(x, expected, seed, rate);
                    y.AsSpan().Fill(sentinel);
                    DropoutKernels.Apply(x, y, seed, rate);
                    AssertSameBits(expected, y.AsSpan(0, length), where);
                    Assert.That(y[length..], Is.All.EqualTo(sentinel), $"{where}: wrote past the input");
                }
        }
    }

    /// <summary>
    /// For elements k = 0..31 (even and odd 64-bit lanes of every width, in the first and second register): the rate whose
    /// threshold is element k's own draw keeps it (≥), the next one up drops it.
    /// </summary>
    [TestCaseSource(nameof(AllTiers))]
    public void AThresholdEqualToADrawKeepsThatElementAndOneMoreDropsIt(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        var x = Enumerable.Range(1, 64).Select(i => (float)i).ToArray();
        var expected = new float[x.Length];
        var y = new float[x.Length];
        foreach (ulong seed in Seeds)
            for (int k = 0; k < 32; k++)
            {
                uint draw = (uint)(SeededRandom.Mix(seed, (ulong)k) >> 40);
                foreach (uint threshold in new[] { draw, draw + 1 })
                {
                    float rate = threshold / (float)(1 << 24);
                    Assume.That(DropoutKernels.Threshold(rate), Is.EqualTo(threshold));
                    string where = $"{tier}, seed 0x{seed:X}, element {k}, threshold {threshold} (draw {draw})";
                    DropoutReference.Apply(x, expected, seed, rate);
                    DropoutKernels.Apply(x, y, seed, rate);
                    AssertSameBits(expected, y, where);
                    Assert.That(y[k] != 0f, Is.EqualTo(threshold == draw), $"{where}: kept exactly when the draw reaches the threshold");
                }
            }
    }

    [TestCaseSource(nameof(AllTiers))]
    public void InPlaceGivesTheReferenceBits(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 203, 4_099 })
        {
            var x = ActivationTierTests.Inputs(length, 7 * length + 3);
            var expected = new float[length];
            DropoutReference.Apply(x, expected, 42, 0.5f);
            DropoutKernels.Apply(x, x, 42, 0.5f);
            AssertSameBits(expected, x, $"{tier}, length {length}, in place");
        }
    }

    /// <summary>Long enough to be split into parts (several per thread), with a tail off every chunk and vector width.</summary>
    private const int SplitLength = 1_000_003;

    [TestCaseSource(nameof(AllTiers))]
    public void OneAndTwoThreadsGiveTheReferenceBits(ComputeTier tier)
    {
        Assert.That(ParallelFor.PartsFor(4L * SplitLength, SplitLength / ElementwiseParts.Chunk, 2), Is.GreaterThan(1), "long enough to be split");
        using var forced = Tiers.Force(tier);
        var x = ActivationTierTests.Inputs(SplitLength, 21);
        var expected = new float[SplitLength];
        var y = new float[SplitLength];
        foreach (float rate in new[] { 0.1f, 0.5f })
        {
            DropoutReference.Apply(x, expected, 0xFEEDUL, rate);
            foreach (int threads in new[] { 1, 2 })
            {
                y.AsSpan().Clear();
                DropoutKernels.Apply(x, y, 0xFEEDUL, rate, threads);
                AssertSameBits(expected, y, $"{tier}, rate {rate}, {threads} threads");
            }
            x.AsSpan().CopyTo(y);
            DropoutKernels.Apply(y, y, 0xFEEDUL, rate, threads: 2);
            AssertSameBits(expected, y, $"{tier}, rate {rate}, 2 threads in place");
        }
    }

    [TestCaseSource(nameof(AllTiers))]
    public void AllocatesNothingAndRefusesAShortOutput(ComputeTier tier)
    {
        using var forced = Tiers.Force(tier);
        var x = new float[SplitLength];
        var y = new float[SplitLength];
        Assert.That(Allocations.SteadyStateWithWorkers(() => DropoutKernels.Apply(x, y, 5, 0.3f, threads: 2), warmUp: 3, runs: 3), Is.Zero);
        Assert.That(() => DropoutKernels.Apply(new float[5], new float[4], 5, 0.3f), Throws.ArgumentException);
    }

    /// <summary>The same bits, NaN payloads included; the first differing element is reported.</summary>
    private static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string where)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), where);
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        if (e.SequenceEqual(a)) return;
        int i = 0;
        while (e[i] == a[i]) i++;
        Assert.Fail($"{where}: element {i} of {expected.Length} is 0x{a[i]:X8}, the reference gives 0x{e[i]:X8}");
    }
}
