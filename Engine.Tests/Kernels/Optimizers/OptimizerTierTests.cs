using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The vectorised optimizer kernels on every tier, lengths 0..100, three steps with the state carried over:
/// close to <see cref="OptimizerReference"/> (which does not fuse multiply-adds), bit-identical to the Scalar tier.
/// </summary>
public class OptimizerTierTests
{
    /// <summary>Calls one kernel on (w, g, s1, s2) with λ; kernels with fewer states ignore the extra spans.</summary>
    public delegate void KernelCall(Span<float> w, ReadOnlySpan<float> g, Span<float> s1, Span<float> s2, float l2);

    private const float Eta = 0.03f, Mu = 0.85f, Rho = 0.8f, Eps = 0.01f, Beta1 = 0.7f, Beta2 = 0.9f, C1 = 0.657f, C2 = 0.271f;

    private static readonly Dictionary<string, (KernelCall Fast, KernelCall Reference)> Kernels = new()
    {
        ["sgd"] = ((w, g, a, b, l2) => OptimizerKernels.Sgd(w, g, Eta, l2),
                   (w, g, a, b, l2) => OptimizerReference.Sgd(w, g, Eta, l2)),
        ["momentum"] = ((w, g, a, b, l2) => OptimizerKernels.Momentum(w, g, a, Eta, Mu, l2),
                        (w, g, a, b, l2) => OptimizerReference.Momentum(w, g, a, Eta, Mu, l2)),
        ["adagrad"] = ((w, g, a, b, l2) => OptimizerKernels.Adagrad(w, g, a, Eta, Eps, l2),
                       (w, g, a, b, l2) => OptimizerReference.Adagrad(w, g, a, Eta, Eps, l2)),
        ["adagrad-momentum"] = ((w, g, a, b, l2) => OptimizerKernels.AdagradMomentum(w, g, a, b, Eta, Mu, Eps, l2),
                                (w, g, a, b, l2) => OptimizerReference.AdagradMomentum(w, g, a, b, Eta, Mu, Eps, l2)),
        ["rmsprop"] = ((w, g, a, b, l2) => OptimizerKernels.RmsProp(w, g, a, Eta, Rho, Eps, l2),
                       (w, g, a, b, l2) => OptimizerReference.RmsProp(w, g, a, Eta, Rho, Eps, l2)),
        ["rmsprop-momentum"] = ((w, g, a, b, l2) => OptimizerKernels.RmsPropMomentum(w, g, a, b, Eta, Rho, Mu, Eps, l2),
                                (w, g, a, b, l2) => OptimizerReference.RmsPropMomentum(w, g, a, b, Eta, Rho, Mu, Eps, l2)),
        ["adam"] = ((w, g, a, b, l2) => OptimizerKernels.Adam(w, g, a, b, Eta, Beta1, Beta2, Eps, C1, C2, l2),
                    (w, g, a, b, l2) => OptimizerReference.Adam(w, g, a, b, Eta, Beta1, Beta2, Eps, C1, C2, l2)),
    };

    private static IEnumerable<TestCaseData> TiersAndRules() =>
        from tier in Tiers.Available() from name in Kernels.Keys select new TestCaseData(tier, name);

    /// <summary>Three steps (λ = 0.3, 0, 0.3) with fresh gradients; returns w, s1, s2 (guards included).</summary>
    private static float[][] Run(KernelCall kernel, int length, ComputeTier? tier)
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
            kernel(w.AsSpan(guard, length), g, s1.AsSpan(guard, length), s2.AsSpan(guard, length), step == 1 ? 0f : 0.3f);
        }
        return [w, s1, s2];
    }

    [TestCaseSource(nameof(TiersAndRules))]
    public void EveryLengthMatchesReferenceAndScalarTier(ComputeTier tier, string name)
    {
        var (fast, reference) = Kernels[name];
        string[] what = ["w", "state 1", "state 2"];
        for (int length = 0; length <= 100; length++)
        {
            var expected = Run(reference, length, null);
            var scalar = Run(fast, length, ComputeTier.Scalar);
            var actual = Run(fast, length, tier);
            for (int k = 0; k < 3; k++)
            {
                ActivationTierTests.AssertSameBits(scalar[k], actual[k], $"{name} {what[k]} on {tier}, length {length}");
                for (int i = 0; i < actual[k].Length; i++)
                    Assert.That(actual[k][i], Is.EqualTo(expected[k][i]).Within(2e-6 * Math.Max(1f, Math.Abs(expected[k][i]))),
                        $"{name} {what[k]}[{i}] on {tier}, length {length} (guards are the first and last 3)");
            }
        }
    }

    [Test]
    public void FusedFormulasAreTheDocumentedOnes()
    {
        // One element, hand-traced through the documented fma sequence (l2 = 0.5, w = 1, g = 0.25).
        float w = 1f, l2 = 0.5f, g = 0.25f;
        float d = MathF.FusedMultiplyAdd(l2, w, g);
        foreach (var tier in Tiers.Available())
        {
            using var scope = Tiers.Force(tier);
            float[] p = [w], m = [0.1f], v = [0.2f];
            OptimizerKernels.Adam(p, [g], m, v, Eta, Beta1, Beta2, Eps, C1, C2, l2);
            float mExpected = MathF.FusedMultiplyAdd(Beta1, 0.1f, (1f - Beta1) * d);
            float vExpected = MathF.FusedMultiplyAdd(Beta2, 0.2f, (1f - Beta2) * (d * d));
            float wExpected = w - Eta * (mExpected / C1) / (MathF.Sqrt(vExpected / C2) + Eps);
            Assert.That((p[0], m[0], v[0]), Is.EqualTo((wExpected, mExpected, vExpected)), $"{tier}");
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void KernelsAllocateNothing(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        float[] w = new float[1001], g = new float[1001], a = new float[1001], b = new float[1001];
        void Once()
        {
            foreach (var (fast, _) in Kernels.Values) fast(w, g, a, b, 0.1f);
        }
        Assert.That(Allocations.SteadyState(Once, warmUp: 2, runs: 1), Is.EqualTo(0));
    }
}
