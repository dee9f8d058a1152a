using Engine.Kernels;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Kernels;

public class ActivationsTests
{
    private const float Sentinel = 12345f;

    /// <summary>The operators under test, by name: (forward, backward) through the generic driver.</summary>
    private static void RunForward(string op, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (op)
        {
            case "identity": Activations.Forward(new IdentityOperator(), x, y); break;
            case "sigmoid": Activations.Forward(new SigmoidOperator(), x, y); break;
            case "tanh": Activations.Forward(new TanhOperator(), x, y); break;
            case "relu": Activations.Forward(new ReluOperator(), x, y); break;
            case "leaky0.01": Activations.Forward(new LeakyReluOperator(0.01f), x, y); break;
            case "leaky0.3": Activations.Forward(new LeakyReluOperator(0.3f), x, y); break;
            default: throw new ArgumentException(op);
        }
    }

    private static void RunBackward(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        switch (op)
        {
            case "identity": Activations.Backward(new IdentityOperator(), x, y, dy, dx); break;
            case "sigmoid": Activations.Backward(new SigmoidOperator(), x, y, dy, dx); break;
            case "tanh": Activations.Backward(new TanhOperator(), x, y, dy, dx); break;
            case "relu": Activations.Backward(new ReluOperator(), x, y, dy, dx); break;
            case "leaky0.01": Activations.Backward(new LeakyReluOperator(0.01f), x, y, dy, dx); break;
            case "leaky0.3": Activations.Backward(new LeakyReluOperator(0.3f), x, y, dy, dx); break;
            default: throw new ArgumentException(op);
        }
    }

    /// <summary>The scalar formulas, in double.</summary>
    private static double Reference(string op, double x) => op switch
    {
        "identity" => x,
        "sigmoid" => 1.0 / (1.0 + Math.Exp(-x)),
        "tanh" => Math.Tanh(x),
        "relu" => Math.Max(0.0, x),
        "leaky0.01" => x >= 0 ? x : (double)0.01f * x,
        "leaky0.3" => x >= 0 ? x : (double)0.3f * x,
        _ => throw new ArgumentException(op),
    };

    /// <summary>
    /// The derivatives, in double; at the kink x = 0 ReLU takes 0 and leaky ReLU its slope. The tanh's is taken
    /// from the kernel's y (1 − y², ill-conditioned in x where tanh saturates; its forward accuracy is checked apart).
    /// </summary>
    private static double ReferenceDerivative(string op, double x, double y) => op switch
    {
        "identity" => 1.0,
        "sigmoid" => Reference("sigmoid", x) * (1.0 - Reference("sigmoid", x)),
        "tanh" => 1.0 - y * y,
        "relu" => x > 0 ? 1.0 : 0.0,
        "leaky0.01" => x > 0 ? 1.0 : (double)0.01f,
        "leaky0.3" => x > 0 ? 1.0 : (double)0.3f,
        _ => throw new ArgumentException(op),
    };

    private static readonly string[] Operators = ["identity", "sigmoid", "tanh", "relu", "leaky0.01", "leaky0.3"];

    private static IEnumerable<TestCaseData> EveryOperatorAndLength()
    {
        foreach (var op in Operators)
            for (int length = 0; length <= 64; length++)
                yield return new TestCaseData(op, length);
    }

    /// <summary>Random values in [−6, 6) with every fifth one exactly 0 (the kinks).</summary>
    private static float[] Inputs(int length, int seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = i % 5 == 2 ? 0f : (float)(rng.NextDouble() * 12 - 6);
        return x;
    }

    private static void AssertClose(double expected, float actual, string what)
    {
        double tolerance = 2e-7 + 2e-6 * Math.Abs(expected);
        Assert.That(actual, Is.EqualTo(expected).Within(tolerance), what);
    }

    [TestCaseSource(nameof(EveryOperatorAndLength))]
    public void ForwardMatchesScalarFormula(string op, int length)
    {
        var x = Inputs(length, 100 + length);
        var y = Enumerable.Repeat(Sentinel, length + 3).ToArray();
        RunForward(op, x, y);
        for (int i = 0; i < length; i++)
            AssertClose(Reference(op, x[i]), y[i], $"{op} y[{i}] of {length} at x = {x[i]}");
        Assert.That(y[length..], Is.All.EqualTo(Sentinel), "elements past the input were written");
    }

    [TestCaseSource(nameof(EveryOperatorAndLength))]
    public void BackwardMatchesScalarDerivative(string op, int length)
    {
        var x = Inputs(length, 200 + length);
        var dy = GradientCheck.Random(length, 300 + length, -2, 2);
        var y = new float[length];
        RunForward(op, x, y);
        var dx = Enumerable.Repeat(Sentinel, length + 3).ToArray();
        RunBackward(op, x, y, dy, dx);
        for (int i = 0; i < length; i++)
            AssertClose(dy[i] * ReferenceDerivative(op, x[i], y[i]), dx[i], $"{op} dx[{i}] of {length} at x = {x[i]}");
        Assert.That(dx[length..], Is.All.EqualTo(Sentinel), "elements past the input were written");
    }

    [TestCaseSource(nameof(Operators))]
    public void InPlaceGivesTheSameResult(string op)
    {
        var x = Inputs(37, 7);
        var y = new float[37];
        RunForward(op, x, y);
        var buffer = (float[])x.Clone();
        RunForward(op, buffer, buffer);
        Assert.That(buffer, Is.EqualTo(y));
    }

    [Test]
    public void KinkConventions()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new ReluOperator().Derivative<Width1, float>(0f, 0f), Is.EqualTo(0f));
            Assert.That(new LeakyReluOperator(0.25f).Derivative<Width1, float>(0f, 0f), Is.EqualTo(0.25f));
            Assert.That(new ReluOperator().Forward<Width1, float>(0f), Is.EqualTo(0f));
            Assert.That(new LeakyReluOperator(0.25f).Forward<Width1, float>(-4f), Is.EqualTo(-1f));
            Assert.That(new LeakyReluOperator(0.25f).Derivative<Width1, float>(-4f, -1f), Is.EqualTo(0.25f));
        });
    }

    [Test]
    public void SigmoidIsStableForLargeMagnitudes()
    {
        float[] x = [-1000, -100, -80, -50, -20, 0, 20, 50, 80, 100, 1000, float.NegativeInfinity, float.PositiveInfinity];
        var y = new float[x.Length];
        Activations.Forward(new SigmoidOperator(), x, y);
        Assert.Multiple(() =>
        {
            Assert.That(y, Has.None.NaN);
            Assert.That(y, Is.All.InRange(0f, 1f));
            Assert.That(y[0], Is.EqualTo(0f));
            Assert.That(y[5], Is.EqualTo(0.5f));
            Assert.That(y[10], Is.EqualTo(1f));
            Assert.That(y[11], Is.EqualTo(0f));
            Assert.That(y[12], Is.EqualTo(1f));
            // Small outputs keep their relative accuracy (1 − σ(80) would round to 0, σ(−80) must not).
            foreach (int i in new[] { 2, 3, 4 })
                Assert.That(y[i], Is.EqualTo(Math.Exp(x[i]) / (1 + Math.Exp(x[i]))).Within(1e-5).Percent, $"sigmoid({x[i]})");
        });
    }

    [Test]
    public void NaNPropagatesThroughEveryForward()
    {
        foreach (var op in Operators)
        {
            var y = new float[1];
            RunForward(op, [float.NaN], y);
            Assert.That(float.IsNaN(y[0]), Is.True, op);
        }
    }

    [Test]
    public void ShortOutputsThrow()
    {
        Assert.Throws<ArgumentException>(() => Activations.Forward(new ReluOperator(), new float[5], new float[4]));
        Assert.Throws<ArgumentException>(() => Activations.Backward(new ReluOperator(), new float[5], new float[4], new float[5], new float[5]));
        Assert.Throws<ArgumentException>(() => Activations.Backward(new ReluOperator(), new float[5], new float[5], new float[4], new float[5]));
        Assert.Throws<ArgumentException>(() => Activations.Backward(new ReluOperator(), new float[5], new float[5], new float[5], new float[4]));
    }
}
