using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// <see cref="TanhOperator"/>: accuracy against <see cref="Math.Tanh"/>, the special values, and its derivative
/// against both the analytic 1 − tanh² and central differences of its own forward pass, on every tier.
/// (Every length and tail, in place and bit-identity across tiers: <see cref="ActivationTierTests"/>.)
/// </summary>
public class TanhOperatorTests
{
    /// <summary>The largest distance in ulp from the correctly rounded tanh allowed for a normal output.</summary>
    private const int MaxUlps = 3;

    /// <summary>A dense sweep of [−12, 12], both sides of the polynomial limit finely, and small magnitudes down to subnormals.</summary>
    private static float[] Sweep()
    {
        var x = new List<float>();
        for (int i = 0; i <= 60000; i++) x.Add(-12f + 24f * i / 60000);
        float limit = TanhOperator.PolynomialLimit;
        for (int k = -2000; k <= 2000; k++) x.Add(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(limit) + k));
        for (double m = 1e-45; m < 1; m *= 1.07) { x.Add((float)m); x.Add(-(float)m); }
        return [.. x];
    }

    private static float[] Forward(ComputeTier tier, float[] x)
    {
        var y = new float[x.Length];
        using (Tiers.Force(tier)) Activations.Forward(new TanhOperator(), x, y);
        return y;
    }

    private static int Ulps(float expected, float actual) =>
        Math.Abs(BitConverter.SingleToInt32Bits(expected) - BitConverter.SingleToInt32Bits(actual));

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void WithinAFewUlpOfMathTanhAndSameOnEveryTier(ComputeTier tier)
    {
        float[] x = Sweep();
        float[] y = Forward(tier, x);
        ActivationTierTests.AssertSameBits(Forward(ComputeTier.Scalar, x), y, $"tanh on {tier}");
        int worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)Math.Tanh(x[i]);
            if (Math.Abs(expected) < 1.2e-38f)
            {
                // Subnormal outputs: tanh(x) = x to far below float precision, and the kernel returns x itself.
                Assert.That(y[i], Is.EqualTo(x[i]), $"tanh({x[i]:R})");
                continue;
            }
            Assert.That(Math.Sign(y[i]), Is.EqualTo(Math.Sign(expected)), $"sign of tanh({x[i]:R})");
            int ulps = Ulps(expected, y[i]);
            worst = Math.Max(worst, ulps);
            Assert.That(ulps, Is.LessThanOrEqualTo(MaxUlps), $"tanh({x[i]:R}) = {y[i]:R}, Math.Tanh gives {expected:R}");
        }
        TestContext.Out.WriteLine($"{tier}: worst {worst} ulp over {x.Length} inputs");
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void SpecialValues(ComputeTier tier)
    {
        float[] x = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 9.5f, -9.5f, 50f, -1000f, float.MaxValue, -float.MaxValue,
            1e-30f, -1e-30f, 1e-40f, -float.Epsilon];
        float[] y = Forward(tier, x);
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.SingleToInt32Bits(y[0]), Is.EqualTo(BitConverter.SingleToInt32Bits(0f)), $"tanh(+0) = +0 on {tier}");
            Assert.That(BitConverter.SingleToInt32Bits(y[1]), Is.EqualTo(BitConverter.SingleToInt32Bits(-0f)), $"tanh(−0) = −0 on {tier}");
            Assert.That(y[2], Is.EqualTo(1f), $"tanh(+∞) on {tier}");
            Assert.That(y[3], Is.EqualTo(-1f), $"tanh(−∞) on {tier}");
            Assert.That(float.IsNaN(y[4]), Is.True, $"tanh(NaN) on {tier}");
            Assert.That(y[5..11], Is.EqualTo(new[] { 1f, -1f, 1f, -1f, 1f, -1f }), $"large |x| gives exactly ±1 on {tier}");
            Assert.That(y[11..], Is.EqualTo(x[11..]), $"tiny x gives x itself on {tier}");
        });
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void IsOddBitForBit(ComputeTier tier)
    {
        float[] x = Sweep();
        float[] negated = Array.ConvertAll(x, v => -v);
        float[] y = Forward(tier, x), yNegated = Forward(tier, negated);
        ActivationTierTests.AssertSameBits(Array.ConvertAll(y, v => -v), yNegated, $"tanh(−x) = −tanh(x) on {tier}");
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void BackwardIsOneMinusTanhSquaredAndMatchesCentralDifferences(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        const int count = 2001;
        const float h = 1f / 64;   // exact, so x ± h are the points the difference is taken at
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = -6f + 12f * i / (count - 1);
        float[] y = new float[count], dy = GradientCheck.Random(count, 77, -2, 2), dx = new float[count];
        Activations.Forward(new TanhOperator(), x, y);
        Activations.Backward(new TanhOperator(), x, y, dy, dx);

        float[] plus = Array.ConvertAll(x, v => v + h), minus = Array.ConvertAll(x, v => v - h);
        float[] yPlus = new float[count], yMinus = new float[count];
        Activations.Forward(new TanhOperator(), plus, yPlus);
        Activations.Forward(new TanhOperator(), minus, yMinus);
        for (int i = 0; i < count; i++)
        {
            double t = Math.Tanh(x[i]);
            double analytic = dy[i] * (1 - t * t);
            // y carries a few ulp of tanh, so 1 − y² is off by up to about 2·|y|·3 ulp.
            Assert.That(dx[i], Is.EqualTo(analytic).Within(1e-6 * Math.Abs(dy[i]) + 1e-7), $"dx at x = {x[i]:R} on {tier}");
            double numeric = dy[i] * ((double)yPlus[i] - yMinus[i]) / (2 * h);
            Assert.That(dx[i], Is.EqualTo(numeric).Within(2e-4 * Math.Abs(dy[i])), $"central difference at x = {x[i]:R} on {tier}");
        }
    }
}
