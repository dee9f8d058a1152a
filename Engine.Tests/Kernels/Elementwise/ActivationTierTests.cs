using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// The vectorised activations on every tier this machine can run, every length 0..300 (every tail of every
/// width): close to <see cref="ActivationsReference"/>, and bit-identical to the Scalar tier of the fast kernel.
/// </summary>
public class ActivationTierTests
{
    internal const int MaxLength = 300;

    private static readonly string[] Operators = ["identity", "sigmoid", "tanh", "relu", "leaky0.01", "leaky0.3"];

    private static void Fast(string op, bool forward, float[] x, float[] y, float[] dy, float[] dx)
    {
        switch (op)
        {
            case "identity": Run(new IdentityOperator()); break;
            case "sigmoid": Run(new SigmoidOperator()); break;
            case "tanh": Run(new TanhOperator()); break;
            case "relu": Run(new ReluOperator()); break;
            case "leaky0.01": Run(new LeakyReluOperator(0.01f)); break;
            case "leaky0.3": Run(new LeakyReluOperator(0.3f)); break;
            default: throw new ArgumentException(op);
        }
        void Run<T>(T o) where T : struct, IActivationOperator
        {
            if (forward) Activations.Forward(o, x, y);
            else Activations.Backward(o, x, y, dy, dx);
        }
    }

    private static void Reference(string op, bool forward, float[] x, float[] y, float[] dy, float[] dx)
    {
        switch (op)
        {
            case "identity": Run(new ActivationsReference.Identity()); break;
            case "sigmoid": Run(new ActivationsReference.Sigmoid()); break;
            case "tanh": Run(new ActivationsReference.Tanh()); break;
            case "relu": Run(new ActivationsReference.Relu()); break;
            case "leaky0.01": Run(new ActivationsReference.LeakyRelu(0.01f)); break;
            case "leaky0.3": Run(new ActivationsReference.LeakyRelu(0.3f)); break;
            default: throw new ArgumentException(op);
        }
        void Run<T>(T o) where T : struct, ActivationsReference.IOperator
        {
            if (forward) ActivationsReference.Forward(o, x, y);
            else ActivationsReference.Backward(o, x, y, dy, dx);
        }
    }

    private static IEnumerable<TestCaseData> TiersAndOperators() =>
        from tier in Tiers.Available() from op in Operators select new TestCaseData(tier, op);

    /// <summary>Random values in [−20, 20) with special values sprinkled in (zeros, ±∞, NaN, huge, subnormal-producing).</summary>
    internal static float[] Inputs(int length, int seed)
    {
        float[] specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1000f, -1000f, -95f, -87.5f, 88.9f, 1e-30f, -1e-40f];
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = rng.Next(7) == 0 ? specials[rng.Next(specials.Length)] : (float)(rng.NextDouble() * 40 - 20);
        return x;
    }

    /// <summary>|a − b| ≤ 8 ulp-ish relative, or tiny absolute; NaN only with NaN.</summary>
    internal static void AssertClose(float expected, float actual, string where, double relative = 1e-6)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual) || float.IsInfinity(expected))
        {
            Assert.That(actual, Is.EqualTo(expected), where);
            return;
        }
        Assert.That(actual, Is.EqualTo(expected).Within(relative * Math.Abs(expected) + 1e-44), where);
    }

    /// <summary>Same bits, except that any NaN equals any NaN.</summary>
    internal static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}), the Scalar tier gives {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8})");
        }
    }

    [TestCaseSource(nameof(TiersAndOperators))]
    public void ForwardAndBackwardAtEveryLength(ComputeTier tier, string op)
    {
        const float sentinel = 12345f;
        for (int length = 0; length <= MaxLength; length++)
        {
            var x = Inputs(length, 1000 + length);
            var dy = GradientCheck.Random(length, 2000 + length, -2, 2);

            var yRef = new float[length];
            var dxRef = new float[length];
            Reference(op, true, x, yRef, dy, dxRef);
            Reference(op, false, x, yRef, dy, dxRef);

            var yScalar = new float[length];
            var dxScalar = new float[length];
            using (Tiers.Force(ComputeTier.Scalar))
            {
                Fast(op, true, x, yScalar, dy, dxScalar);
                Fast(op, false, x, yRef, dy, dxScalar);
            }

            var y = Enumerable.Repeat(sentinel, length + 5).ToArray();
            var dx = Enumerable.Repeat(sentinel, length + 5).ToArray();
            using (Tiers.Force(tier))
            {
                Fast(op, true, x, y, dy, dx);
                Fast(op, false, x, yRef, dy, dx);   // the same y as the reference: backward is a function of (x, y, dy)
            }

            AssertSameBits(yScalar, y.AsSpan(0, length), $"{op} forward on {tier}, length {length}");
            AssertSameBits(dxScalar, dx.AsSpan(0, length), $"{op} backward on {tier}, length {length}");
            Assert.That(y[length..], Is.All.EqualTo(sentinel), $"{op} forward wrote past length {length}");
            Assert.That(dx[length..], Is.All.EqualTo(sentinel), $"{op} backward wrote past length {length}");
            for (int i = 0; i < length; i++)
            {
                AssertClose(yRef[i], y[i], $"{op} forward on {tier}: y[{i}] of {length} at x = {x[i]:R}");
                AssertClose(dxRef[i], dx[i], $"{op} backward on {tier}: dx[{i}] of {length} at x = {x[i]:R}", relative: 2e-6);
            }
        }
    }

    [TestCaseSource(nameof(TiersAndOperators))]
    public void InPlaceMatchesOutOfPlace(ComputeTier tier, string op)
    {
        using var scope = Tiers.Force(tier);
        var x = Inputs(203, 5);
        var dy = GradientCheck.Random(203, 6, -2, 2);
        var y = new float[203];
        var dx = new float[203];
        Fast(op, true, x, y, dy, dx);
        Fast(op, false, x, y, dy, dx);
        var inPlace = (float[])x.Clone();
        Fast(op, true, inPlace, inPlace, dy, dx);
        AssertSameBits(y, inPlace, $"{op} forward in place on {tier}");
        var dxInPlace = (float[])dy.Clone();
        Fast(op, false, x, y, dxInPlace, dxInPlace);
        AssertSameBits(dx, dxInPlace, $"{op} backward in place (dx = dy) on {tier}");
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void ExponentialIsWithinTwoUlpOfMathFExpAndSameOnEveryTier(ComputeTier tier)
    {
        // A dense sweep of [−104, 89] plus special values, through the tier-dispatched driver.
        const int count = 20000;
        var x = new float[count + 8];
        for (int i = 0; i < count; i++) x[i] = -104f + 193f * i / (count - 1);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, -1e-45f, 88.72f, 88.73f];
        specials.CopyTo(x, count);
        var scalar = new float[x.Length];
        var y = new float[x.Length];
        using (Tiers.Force(ComputeTier.Scalar)) Activations.Forward(new ExpOperator(), x, scalar);
        using (Tiers.Force(tier)) Activations.Forward(new ExpOperator(), x, y);
        AssertSameBits(scalar, y, $"exp on {tier}");

        for (int i = 0; i < x.Length; i++)
        {
            float expected = MathF.Exp(x[i]);
            if (float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0f || expected < 1.2e-38f)
            {
                // Specials exactly; subnormal results within 1 unit of the last place (2^−149).
                Assert.That(y[i], Is.EqualTo(expected).Within(1.5e-45f), $"exp({x[i]:R})");
                continue;
            }
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(expected) - BitConverter.SingleToInt32Bits(y[i]));
            Assert.That(ulps, Is.LessThanOrEqualTo(2), $"exp({x[i]:R}) = {y[i]:R}, MathF.Exp gives {expected:R}");
        }
    }

    [Test]
    public void GenericExponentialOnOneFloatIsTheScalarLaneFormula()
    {
        // VectorExp.Exp<Width1, float> runs the code every vector width runs, on one float (so also the integer
        // and mask members of Width1): it must give the bits of the lane formula written out in plain scalar code.
        const int count = 20000;
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = -110f + 205f * i / (count - 1);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, -1e-45f, 88.72f, 88.73f, -103.9f, -87.4f];
        x = [.. x, .. specials];
        var scalar = x.Select(ExpLaneFormula).ToArray();
        var generic = x.Select(VectorExp.Exp<Width1, float>).ToArray();
        AssertSameBits(scalar, generic, "generic exp on one float");
    }

    /// <summary>
    /// The steps of <see cref="VectorExp"/> for one lane in plain scalar code (clamp by comparisons, the shifter
    /// trick, the two-part range reduction, the Horner polynomial, the two power-of-two scales from integer bits).
    /// </summary>
    private static float ExpLaneFormula(float x)
    {
        const float shifter = 12582912f;
        x = x < -104f ? -104f : x;
        x = x > 89f ? 89f : x;
        float z = MathF.FusedMultiplyAdd(x, 1.44269504088896341f, shifter);
        float n = z - shifter;
        float r = MathF.FusedMultiplyAdd(n, -0.693359375f, x);
        r = MathF.FusedMultiplyAdd(n, 2.12194440e-4f, r);
        float p = MathF.FusedMultiplyAdd(1.9875691500e-4f, r, 1.3981999507e-3f);
        p = MathF.FusedMultiplyAdd(p, r, 8.3334519073e-3f);
        p = MathF.FusedMultiplyAdd(p, r, 4.1665795894e-2f);
        p = MathF.FusedMultiplyAdd(p, r, 1.6666665459e-1f);
        p = MathF.FusedMultiplyAdd(p, r, 5.0000001201e-1f);
        p = MathF.FusedMultiplyAdd(p, r * r, r);
        p = p + 1f;
        int ni = BitConverter.SingleToInt32Bits(z) - 0x4B400000;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        float s1 = BitConverter.Int32BitsToSingle((n1 + 127) << 23);
        float s2 = BitConverter.Int32BitsToSingle((n2 + 127) << 23);
        return p * s1 * s2;
    }

    [Test]
    public void SigmoidEdgeValues()
    {
        float[] x = [-1000, -100, -80, -50, -20, 0, -0f, 20, 50, 80, 100, 1000, float.NegativeInfinity, float.PositiveInfinity, float.NaN];
        foreach (var tier in Tiers.Available())
        {
            using var scope = Tiers.Force(tier);
            var y = new float[x.Length];
            Activations.Forward(new SigmoidOperator(), x, y);
            Assert.Multiple(() =>
            {
                Assert.That(y[0], Is.EqualTo(0f), $"{tier}");
                Assert.That(y[1], Is.GreaterThan(0f).And.LessThan(1e-43f), $"σ(−100) is subnormal, not 0, on {tier}");
                Assert.That(y[5], Is.EqualTo(0.5f));
                Assert.That(y[6], Is.EqualTo(0.5f));
                Assert.That(y[11], Is.EqualTo(1f));
                Assert.That(y[12], Is.EqualTo(0f));
                Assert.That(y[13], Is.EqualTo(1f));
                Assert.That(float.IsNaN(y[14]), Is.True, $"NaN on {tier}");
            });
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void ActivationsAllocateNothing(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        var x = Inputs(1003, 1);
        var y = new float[1003];
        var dx = new float[1003];
        void Once()
        {
            Activations.Forward(new SigmoidOperator(), x, y);
            Activations.Backward(new SigmoidOperator(), x, y, x, dx);
            Activations.Forward(new LeakyReluOperator(0.01f), x, y);
            Activations.Backward(new LeakyReluOperator(0.01f), x, y, x, dx);
            Activations.Forward(new ReluOperator(), x, y);
            Activations.Forward(new ExpOperator(), x, y);
            Activations.Forward(new TanhOperator(), x, y);
            Activations.Backward(new TanhOperator(), x, y, x, dx);
        }
        Assert.That(Allocations.SteadyState(Once, warmUp: 2, runs: 1), Is.EqualTo(0));
    }
}
