using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The optimizer update kernel with every rule on every tier, lengths 0..100 and two long odd ones, three steps with
/// the state carried over, with and without decoupled decay: close to <see cref="OptimizerReference"/> (which does
/// not fuse multiply-adds), bit-identical to the Scalar tier; and, without decay, bit-identical to the kernels as
/// they were before the rules were written once over the width (pinned checksums).
/// </summary>
public class OptimizerTierTests
{
    /// <summary>Calls one kernel on (w, g, s1, s2) with λ and decoupled decay wd; kernels with fewer states ignore the extra spans.</summary>
    public delegate void KernelCall(Span<float> w, ReadOnlySpan<float> g, Span<float> s1, Span<float> s2, float l2, float wd);

    private const float Eta = 0.03f, Mu = 0.85f, Rho = 0.8f, Eps = 0.01f, Beta1 = 0.7f, Beta2 = 0.9f, C1 = 0.657f, C2 = 0.271f;

    private static float Keep(float wd) => OptimizerKernels.DecayFactor(Eta, wd);

    private static readonly Dictionary<string, (KernelCall Fast, KernelCall Reference)> Kernels = new()
    {
        ["sgd"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new SgdRule(Eta), w, g, a, b, l2, Keep(wd)),
                   (w, g, a, b, l2, wd) => OptimizerReference.Sgd(w, g, Eta, l2, wd)),
        ["momentum"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new MomentumRule(Eta, Mu), w, g, a, b, l2, Keep(wd)),
                        (w, g, a, b, l2, wd) => OptimizerReference.Momentum(w, g, a, Eta, Mu, l2, wd)),
        ["nesterov"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new NesterovRule(Eta, Mu), w, g, a, b, l2, Keep(wd)),
                        (w, g, a, b, l2, wd) => OptimizerReference.Nesterov(w, g, a, Eta, Mu, l2, wd)),
        ["adagrad"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new AdagradRule(Eta, Eps), w, g, a, b, l2, Keep(wd)),
                       (w, g, a, b, l2, wd) => OptimizerReference.Adagrad(w, g, a, Eta, Eps, l2, wd)),
        ["adagrad-momentum"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new AdagradMomentumRule(Eta, Mu, Eps), w, g, a, b, l2, Keep(wd)),
                                (w, g, a, b, l2, wd) => OptimizerReference.AdagradMomentum(w, g, a, b, Eta, Mu, Eps, l2, wd)),
        ["rmsprop"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new RmsPropRule(Eta, Rho, Eps), w, g, a, b, l2, Keep(wd)),
                       (w, g, a, b, l2, wd) => OptimizerReference.RmsProp(w, g, a, Eta, Rho, Eps, l2, wd)),
        ["rmsprop-momentum"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new RmsPropMomentumRule(Eta, Rho, Mu, Eps), w, g, a, b, l2, Keep(wd)),
                                (w, g, a, b, l2, wd) => OptimizerReference.RmsPropMomentum(w, g, a, b, Eta, Rho, Mu, Eps, l2, wd)),
        ["adam"] = ((w, g, a, b, l2, wd) => OptimizerKernels.Apply(new AdamRule(Eta, Beta1, Beta2, Eps, C1, C2), w, g, a, b, l2, Keep(wd)),
                    (w, g, a, b, l2, wd) => OptimizerReference.Adam(w, g, a, b, Eta, Beta1, Beta2, Eps, C1, C2, l2, wd)),
    };

    private static IEnumerable<TestCaseData> TiersRulesAndDecay() =>
        from tier in Tiers.Available() from name in Kernels.Keys from decay in new[] { false, true }
        select new TestCaseData(tier, name, decay);

    /// <summary>
    /// Three steps (λ = 0.3, 0, 0.3; wd = 0, or 0, 0.5, 2 with <paramref name="decay"/>) with fresh gradients;
    /// returns w, s1, s2 (guards included).
    /// </summary>
    private static float[][] Run(KernelCall kernel, int length, ComputeTier? tier, bool decay)
    {
        const int guard = 3;
        var random = new Random(20240611 + length);
        float[] w = new float[length + 2 * guard], s1 = new float[w.Length], s2 = new float[w.Length];
        Array.Fill(w, 777f); Array.Fill(s1, 777f); Array.Fill(s2, 777f);
        for (int i = guard; i < guard + length; i++)
        {
            w[i] = (float)(random.NextDouble() * 2 - 1);
            s1[i] = s2[i] = 0f;
        }
        using var scope = tier is { } t ? Tiers.Force(t) : null;
        for (int step = 0; step < 3; step++)
        {
            var g = new float[length];
            for (int i = 0; i < length; i++) g[i] = (float)(random.NextDouble() * 2 - 1);
            float wd = decay ? step * step * 0.5f : 0f;
            kernel(w.AsSpan(guard, length), g, s1.AsSpan(guard, length), s2.AsSpan(guard, length), step == 1 ? 0f : 0.3f, wd);
        }
        return [w, s1, s2];
    }

    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 101).Concat([257, 1001]);

    [TestCaseSource(nameof(TiersRulesAndDecay))]
    public void EveryLengthMatchesReferenceAndScalarTier(ComputeTier tier, string name, bool decay)
    {
        var (fast, reference) = Kernels[name];
        string[] what = ["w", "state 1", "state 2"];
        foreach (int length in Lengths())
        {
            var expected = Run(reference, length, null, decay);
            var scalar = Run(fast, length, ComputeTier.Scalar, decay);
            var actual = Run(fast, length, tier, decay);
            for (int k = 0; k < 3; k++)
            {
                ActivationTierTests.AssertSameBits(scalar[k], actual[k], $"{name} {what[k]} on {tier}, length {length}");
                for (int i = 0; i < actual[k].Length; i++)
                    Assert.That(actual[k][i], Is.EqualTo(expected[k][i]).Within(2e-6 * Math.Max(1f, Math.Abs(expected[k][i]))),
                        $"{name} {what[k]}[{i}] on {tier}, length {length} (guards are the first and last 3)");
            }
        }
    }

    /// <summary>
    /// FNV-1a checksums of (w, s1, s2) after four steps at every length 0..40 and 67, 101, 1003, recorded from the
    /// per-width overload kernels this code replaced (identical on Scalar, Vector128 and Avx2): without decay every
    /// rule must still give exactly those bits, on every tier.
    /// </summary>
    private static readonly Dictionary<string, ulong> OriginalChecksums = new()
    {
        ["sgd"] = 0x57C3AE0E4A938000,
        ["momentum"] = 0xA07BF96AD57AEFED,
        ["adagrad"] = 0xD931BFA5FB2FE8E2,
        ["adagrad-momentum"] = 0xC4575D80E005BA45,
        ["rmsprop"] = 0x5D832B4A1989CE38,
        ["rmsprop-momentum"] = 0x6019487968D99515,
        ["adam"] = 0xAAB216A3D123B6AE,
    };

    private static IEnumerable<TestCaseData> TiersAndOriginalRules() =>
        from tier in Tiers.Available() from name in OriginalChecksums.Keys select new TestCaseData(tier, name);

    [TestCaseSource(nameof(TiersAndOriginalRules))]
    public void BitsAreThoseOfTheOriginalKernels(ComputeTier tier, string name)
    {
        // The exact inputs of the recording: η = 0.03, μ = 0.85, ρ = 0.8, ε = 0.01 (Adam: 1e-8), β = 0.7, 0.9,
        // c = 0.657, 0.271; λ = 0.3 on even steps; every 7th gradient scaled by 1e-3.
        KernelCall kernel = name switch
        {
            "adam" => (w, g, a, b, l2, wd) => OptimizerKernels.Apply(new AdamRule(Eta, Beta1, Beta2, 1e-8f, C1, C2), w, g, a, b, l2),
            _ => Kernels[name].Fast,
        };
        using var scope = Tiers.Force(tier);
        ulong hash = 14695981039346656037;
        foreach (int n in Enumerable.Range(0, 41).Concat([67, 101, 1003]))
        {
            var rng = new SeededRandom(n + 7);
            float[] w = new float[n], s1 = new float[n], s2 = new float[n];
            for (int i = 0; i < n; i++) w[i] = (float)(rng.NextDouble() * 4 - 2);
            for (int step = 0; step < 4; step++)
            {
                var g = new float[n];
                for (int i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 1e-3f : 1f);
                kernel(w, g, s1, s2, step % 2 == 0 ? 0.3f : 0f, 0f);
            }
            foreach (var values in new[] { w, s1, s2 })
                foreach (float x in values)
                {
                    hash ^= (uint)BitConverter.SingleToInt32Bits(x);
                    hash *= 1099511628211;
                }
        }
        Assert.That(hash.ToString("X16"), Is.EqualTo(OriginalChecksums[name].ToString("X16")), $"{name} on {tier}");
    }

    [Test]
    public void FusedFormulasAreTheDocumentedOnes()
    {
        // One element, hand-traced through the documented fma sequence (l2 = 0.5, w = 1, g = 0.25, wd = 0.4).
        float w = 1f, l2 = 0.5f, g = 0.25f, wd = 0.4f;
        float d = MathF.FusedMultiplyAdd(l2, w, g);
        float keep = MathF.FusedMultiplyAdd(-Eta, wd, 1f);
        Assert.That(OptimizerKernels.DecayFactor(Eta, wd), Is.EqualTo(keep));
        Assert.That(OptimizerKernels.DecayFactor(Eta, 0f), Is.EqualTo(1f), "no decay is exactly a factor of 1");
        foreach (var tier in Tiers.Available())
        {
            using var scope = Tiers.Force(tier);
            float[] p = [w], m = [0.1f], v = [0.2f];
            OptimizerKernels.Apply(new AdamRule(Eta, Beta1, Beta2, Eps, C1, C2), p, [g], m, v, l2);
            float mExpected = MathF.FusedMultiplyAdd(Beta1, 0.1f, (1f - Beta1) * d);
            float vExpected = MathF.FusedMultiplyAdd(Beta2, 0.2f, (1f - Beta2) * (d * d));
            float wExpected = w - Eta * (mExpected / C1) / (MathF.Sqrt(vExpected / C2) + Eps);
            Assert.That((p[0], m[0], v[0]), Is.EqualTo((wExpected, mExpected, vExpected)), $"adam on {tier}");

            float[] pn = [w], vn = [0.2f];
            OptimizerKernels.Apply(new NesterovRule(Eta, Mu), pn, [g], vn, default, l2, keep);
            float vnExpected = MathF.FusedMultiplyAdd(Mu, 0.2f, d);
            float lookAhead = MathF.FusedMultiplyAdd(Mu, vnExpected, d);
            float wnExpected = MathF.FusedMultiplyAdd(-Eta, lookAhead, w * keep);
            Assert.That((pn[0], vn[0]), Is.EqualTo((wnExpected, vnExpected)), $"nesterov with decay on {tier}");
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void KernelsAllocateNothing(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        float[] w = new float[1001], g = new float[1001], a = new float[1001], b = new float[1001];
        void Once()
        {
            foreach (var (fast, _) in Kernels.Values) fast(w, g, a, b, 0.1f, 0.01f);
        }
        Assert.That(Allocations.SteadyState(Once, warmUp: 2, runs: 1), Is.EqualTo(0));
    }
}
