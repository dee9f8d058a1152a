using Engine.Tests.Helpers;
using Engine.Kernels;
using Engine.Optimizers;

namespace Engine.Tests.Optimizers;

/// <summary>
/// The nine optimizers against their formulas: the first three steps on a 5-parameter buffer (3 weights, then
/// 2 biases) against the same formulas evaluated here in double; first steps against numbers worked out by hand;
/// L2 on weights only; state and step count; argument checks; every kernel at every length 0..33 against a
/// per-element loop; and no allocation per step.
/// </summary>
public class OptimizerTests
{
    // ------------------------------------------------------------------ the tiny problem

    internal const int WeightCount = 3;
    internal const float Eta = 0.05f;
    internal const float L2 = 0.1f;

    /// <summary>w[0..2] are weights, w[3..4] biases.</summary>
    internal static readonly float[] InitialParameters = [0.5f, -1.25f, 2.0f, 0.25f, -0.75f];

    /// <summary>The gradients of steps 1, 2, 3 (different each step so the state matters).</summary>
    internal static readonly float[][] StepGradients =
    [
        [0.3f, -0.2f, 0.15f, 0.4f, -0.5f],
        [-0.1f, 0.35f, 0.05f, 0.2f, 0.1f],
        [0.25f, -0.05f, -0.4f, -0.3f, 0.6f],
    ];

    /// <summary>The effective gradient the formulas use: g + λ·w for a weight, g for a bias.</summary>
    private static double Effective(double[] w, double[] g, int i) => i < WeightCount ? g[i] + (double)L2 * w[i] : g[i];

    /// <summary>
    /// Runs the optimizer for three steps (l2 = 0.1 on the 3 weights) and after each compares its parameters with
    /// <paramref name="oracleStep"/>, which updates a double copy in place from the step's gradients.
    /// </summary>
    private static void AssertFollowsFormula(Optimizer optimizer, Action<double[], double[]> oracleStep)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        double[] expected = Array.ConvertAll(InitialParameters, x => (double)x);
        optimizer.Initialize(parameters.Length);
        for (int step = 0; step < StepGradients.Length; step++)
        {
            optimizer.Step(parameters, StepGradients[step], WeightCount, L2);
            oracleStep(expected, Array.ConvertAll(StepGradients[step], x => (double)x));
            AssertClose(parameters, expected, $"{optimizer} after step {step + 1}");
            Assert.That(optimizer.StepCount, Is.EqualTo(step + 1));
        }
    }

    /// <summary>
    /// Relative tolerance 1e-6, relative to the larger of the expected value and the parameter's starting value: a
    /// parameter that moves close to 0 carries the float rounding of the O(1) numbers it was computed from.
    /// </summary>
    internal static void AssertClose(float[] actual, double[] expected, string what)
    {
        Assert.Multiple(() =>
        {
            for (int i = 0; i < expected.Length; i++)
            {
                double scale = Math.Max(Math.Abs(expected[i]), Math.Abs(InitialParameters[i]));
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-6 * scale), $"{what}, parameter {i}");
            }
        });
    }

    // ------------------------------------------------------------------ three steps against the formulas in double

    [Test]
    public void SgdFollowsFormula()
    {
        double eta = Eta;
        AssertFollowsFormula(new Sgd(Eta), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                w[i] = w[i] - eta * d;
            }
        });
    }

    [TestCase(0.9f)]
    [TestCase(0.5f)]
    [TestCase(0f)]
    public void MomentumFollowsFormula(float momentum)
    {
        double eta = Eta, mu = momentum;
        double[] v = new double[InitialParameters.Length];
        AssertFollowsFormula(new Momentum(Eta, momentum), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                v[i] = mu * v[i] + eta * d;
                w[i] = w[i] - v[i];
            }
        });
    }

    [TestCase(1e-8f)]
    [TestCase(0.01f)]
    public void AdagradFollowsFormula(float epsilon)
    {
        double eta = Eta, eps = epsilon;
        double[] sumOfSquares = new double[InitialParameters.Length];
        AssertFollowsFormula(new Adagrad(Eta, epsilon), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                sumOfSquares[i] = sumOfSquares[i] + d * d;
                w[i] = w[i] - eta * d / (Math.Sqrt(sumOfSquares[i]) + eps);
            }
        });
    }

    [TestCase(0.9f, 1e-8f)]
    [TestCase(0.6f, 0.01f)]
    public void AdagradMomentumFollowsFormula(float momentum, float epsilon)
    {
        double eta = Eta, mu = momentum, eps = epsilon;
        double[] sumOfSquares = new double[InitialParameters.Length];
        double[] v = new double[InitialParameters.Length];
        AssertFollowsFormula(new AdagradMomentum(Eta, momentum, epsilon), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                sumOfSquares[i] = sumOfSquares[i] + d * d;
                v[i] = mu * v[i] + eta * d / (Math.Sqrt(sumOfSquares[i]) + eps);
                w[i] = w[i] - v[i];
            }
        });
    }

    [TestCase(0.9f, 1e-8f)]
    [TestCase(0.7f, 0.01f)]
    public void RmsPropFollowsFormula(float rho, float epsilon)
    {
        double eta = Eta, r = rho, eps = epsilon;
        double[] meanSquare = new double[InitialParameters.Length];
        AssertFollowsFormula(new RmsProp(Eta, rho, epsilon), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                meanSquare[i] = r * meanSquare[i] + (1 - r) * d * d;
                w[i] = w[i] - eta * d / (Math.Sqrt(meanSquare[i]) + eps);
            }
        });
    }

    [TestCase(0.9f, 0.9f, 1e-8f)]
    [TestCase(0.75f, 0.5f, 0.01f)]
    public void RmsPropMomentumFollowsFormula(float rho, float momentum, float epsilon)
    {
        double eta = Eta, r = rho, mu = momentum, eps = epsilon;
        double[] meanSquare = new double[InitialParameters.Length];
        double[] v = new double[InitialParameters.Length];
        AssertFollowsFormula(new RmsPropMomentum(Eta, rho, momentum, epsilon), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                meanSquare[i] = r * meanSquare[i] + (1 - r) * d * d;
                v[i] = mu * v[i] + eta * d / (Math.Sqrt(meanSquare[i]) + eps);
                w[i] = w[i] - v[i];
            }
        });
    }

    [TestCase(0.9f, 0.999f, 1e-8f)]
    [TestCase(0.8f, 0.99f, 0.01f)]
    [TestCase(0f, 0.5f, 1e-8f)]
    public void AdamFollowsFormula(float beta1, float beta2, float epsilon)
    {
        double eta = Eta, b1 = beta1, b2 = beta2, eps = epsilon;
        double[] m = new double[InitialParameters.Length];
        double[] v = new double[InitialParameters.Length];
        int t = 0;
        AssertFollowsFormula(new Adam(Eta, beta1, beta2, epsilon), (w, g) =>
        {
            t++;
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                m[i] = b1 * m[i] + (1 - b1) * d;
                v[i] = b2 * v[i] + (1 - b2) * d * d;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                w[i] = w[i] - eta * mHat / (Math.Sqrt(vHat) + eps);
            }
        });
    }

    [TestCase(0.9f)]
    [TestCase(0.5f)]
    [TestCase(0f)]
    public void NesterovFollowsFormula(float momentum)
    {
        double eta = Eta, mu = momentum;
        double[] v = new double[InitialParameters.Length];
        AssertFollowsFormula(new Momentum(Eta, momentum, nesterov: true), (w, g) =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);
                v[i] = mu * v[i] + d;
                w[i] = w[i] - eta * (d + mu * v[i]);
            }
        });
    }

    [TestCase(0.9f, 0.999f, 1e-8f, 0.01f)]
    [TestCase(0.8f, 0.99f, 0.01f, 0.5f)]
    [TestCase(0f, 0.5f, 1e-8f, 0f)]
    public void AdamWFollowsFormula(float beta1, float beta2, float epsilon, float weightDecay)
    {
        double eta = Eta, b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay;
        double[] m = new double[InitialParameters.Length];
        double[] v = new double[InitialParameters.Length];
        int t = 0;
        AssertFollowsFormula(new AdamW(Eta, beta1, beta2, epsilon, weightDecay), (w, g) =>
        {
            t++;
            for (int i = 0; i < w.Length; i++)
            {
                double d = Effective(w, g, i);              // the L2 term sees the weight before the decay
                if (i < WeightCount) w[i] = w[i] - eta * wd * w[i];
                m[i] = b1 * m[i] + (1 - b1) * d;
                v[i] = b2 * v[i] + (1 - b2) * d * d;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                w[i] = w[i] - eta * mHat / (Math.Sqrt(vHat) + eps);
            }
        });
    }

    // ------------------------------------------------------------------ first step, worked out by hand

    // Step 1: w = [0.5, −1.25, 2, 0.25, −0.75], g = [0.3, −0.2, 0.15, 0.4, −0.5], λ = 0.1 on the first three:
    // d = [0.3 + 0.05, −0.2 − 0.125, 0.15 + 0.2, 0.4, −0.5] = [0.35, −0.325, 0.35, 0.4, −0.5].
    private static IEnumerable<TestCaseData> FirstStepsByHand()
    {
        // sgd: w − 0.05·d = [0.5 − 0.0175, −1.25 + 0.01625, 2 − 0.0175, 0.25 − 0.02, −0.75 + 0.025].
        float[] sgd = [0.4825f, -1.23375f, 1.9825f, 0.23f, -0.725f];
        yield return new TestCaseData(new Sgd(Eta), sgd).SetArgDisplayNames("sgd");
        // momentum: v = 0·μ + η·d, so the first step equals sgd's.
        yield return new TestCaseData(new Momentum(Eta, 0.9f), sgd).SetArgDisplayNames("momentum");
        // adagrad: G = d², w − η·d/(|d| + 1e-8) ≈ w − 0.05·sign(d); signs of d are [+, −, +, +, −].
        float[] signStep = [0.45f, -1.2f, 1.95f, 0.2f, -0.7f];
        yield return new TestCaseData(new Adagrad(Eta), signStep).SetArgDisplayNames("adagrad");
        // adagrad-momentum: v = η·d/(|d| + ε) ≈ 0.05·sign(d): the same as adagrad.
        yield return new TestCaseData(new AdagradMomentum(Eta), signStep).SetArgDisplayNames("adagrad-momentum");
        // adam: m = 0.1·d, v = 0.001·d², m̂ = d, v̂ = d², w − η·d/(|d| + ε) ≈ w − 0.05·sign(d).
        yield return new TestCaseData(new Adam(Eta), signStep).SetArgDisplayNames("adam");
        // rmsprop: s = 0.1·d², w − η·d/(√0.1·|d|) = w − (0.05/0.316227766)·sign(d) = w − 0.158113883·sign(d).
        float[] rmsStep = [0.341886117f, -1.091886117f, 1.841886117f, 0.091886117f, -0.591886117f];
        yield return new TestCaseData(new RmsProp(Eta), rmsStep).SetArgDisplayNames("rmsprop");
        // rmsprop-momentum: v = 0 + 0.158113883·sign(d): the same as rmsprop.
        yield return new TestCaseData(new RmsPropMomentum(Eta), rmsStep).SetArgDisplayNames("rmsprop-momentum");
        // nesterov: v = d, w − η·(d + 0.9·d) = w − 0.095·d
        //   = [0.5 − 0.03325, −1.25 + 0.030875, 2 − 0.03325, 0.25 − 0.038, −0.75 + 0.0475].
        float[] nesterov = [0.46675f, -1.219125f, 1.96675f, 0.212f, -0.7025f];
        yield return new TestCaseData(new Momentum(Eta, 0.9f, nesterov: true), nesterov).SetArgDisplayNames("nesterov");
        // adamw (wd = 0.01): weights first become w·(1 − 0.05·0.01) = 0.9995·w = [0.49975, −1.249375, 1.999], then
        // Adam's ≈ 0.05·sign(d) step; the biases only take Adam's step.
        float[] adamw = [0.44975f, -1.199375f, 1.949f, 0.2f, -0.7f];
        yield return new TestCaseData(new AdamW(Eta), adamw).SetArgDisplayNames("adamw");
    }

    [TestCaseSource(nameof(FirstStepsByHand))]
    public void FirstStepMatchesHandArithmetic(Optimizer optimizer, float[] expected)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        optimizer.Initialize(parameters.Length);
        optimizer.Step(parameters, StepGradients[0], WeightCount, L2);
        AssertClose(parameters, Array.ConvertAll(expected, x => (double)x), optimizer.Name);
    }

    // ------------------------------------------------------------------ behaviour common to all nine

    /// <summary>Every built-in optimizer (AdamW without its own decay, so that "no L2, no gradient" means "no change").</summary>
    internal static IEnumerable<TestCaseData> AllOptimizers()
    {
        yield return new TestCaseData(new Func<Optimizer>(() => new Sgd(Eta))).SetArgDisplayNames("sgd");
        yield return new TestCaseData(new Func<Optimizer>(() => new Momentum(Eta))).SetArgDisplayNames("momentum");
        yield return new TestCaseData(new Func<Optimizer>(() => new Adagrad(Eta))).SetArgDisplayNames("adagrad");
        yield return new TestCaseData(new Func<Optimizer>(() => new AdagradMomentum(Eta))).SetArgDisplayNames("adagrad-momentum");
        yield return new TestCaseData(new Func<Optimizer>(() => new RmsProp(Eta))).SetArgDisplayNames("rmsprop");
        yield return new TestCaseData(new Func<Optimizer>(() => new RmsPropMomentum(Eta))).SetArgDisplayNames("rmsprop-momentum");
        yield return new TestCaseData(new Func<Optimizer>(() => new Adam(Eta))).SetArgDisplayNames("adam");
        yield return new TestCaseData(new Func<Optimizer>(() => new Momentum(Eta, nesterov: true))).SetArgDisplayNames("nesterov");
        yield return new TestCaseData(new Func<Optimizer>(() => new AdamW(Eta, weightDecay: 0f))).SetArgDisplayNames("adamw");
    }

    /// <summary>Initializes a fresh optimizer and runs <paramref name="steps"/> steps of the tiny problem.</summary>
    private static float[] Run(Optimizer optimizer, int steps, int decayedCount, float l2)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        optimizer.Initialize(parameters.Length);
        for (int step = 0; step < steps; step++)
            optimizer.Step(parameters, StepGradients[step], decayedCount, l2);
        return parameters;
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void L2ChangesWeightsButNotBiases(Func<Optimizer> create)
    {
        float[] withL2 = Run(create(), 3, WeightCount, L2);
        float[] withoutL2 = Run(create(), 3, WeightCount, 0f);
        float[] nothingDecayed = Run(create(), 3, 0, L2);
        Assert.Multiple(() =>
        {
            for (int i = 0; i < WeightCount; i++)
                Assert.That(withL2[i], Is.Not.EqualTo(withoutL2[i]), $"weight {i} should feel the L2 term");
            for (int i = WeightCount; i < withL2.Length; i++)
                Assert.That(withL2[i], Is.EqualTo(withoutL2[i]), $"bias {i} must not feel the L2 term");
            Assert.That(nothingDecayed, Is.EqualTo(withoutL2), "decayedCount = 0 must ignore l2 entirely");
        });
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void StepCountCountsStepsAndInitializeResetsEverything(Func<Optimizer> create)
    {
        Optimizer reused = create();
        Assert.That(reused.StepCount, Is.EqualTo(0));
        float[] first = Run(reused, 3, WeightCount, L2);
        Assert.That(reused.StepCount, Is.EqualTo(3));
        Assert.That(first, Is.Not.EqualTo(InitialParameters));

        // Run initializes again: the state from the first run must be gone, so two steps from the start
        // must give exactly what a brand-new optimizer gives.
        float[] again = Run(reused, 2, WeightCount, L2);
        Assert.That(reused.StepCount, Is.EqualTo(2));
        float[] fresh = Run(create(), 2, WeightCount, L2);
        Assert.That(again, Is.EqualTo(fresh));

        reused.Initialize(InitialParameters.Length);
        Assert.That(reused.StepCount, Is.EqualTo(0));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void ZeroGradientWithoutL2LeavesParametersUnchanged(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        float[] parameters = (float[])InitialParameters.Clone();
        optimizer.Initialize(parameters.Length);
        var zero = new float[parameters.Length];
        for (int step = 0; step < 3; step++)
            optimizer.Step(parameters, zero, WeightCount, 0f);
        Assert.That(parameters, Is.EqualTo(InitialParameters));
        Assert.That(optimizer.StepCount, Is.EqualTo(3));
    }

    [Test]
    public void SgdWithZeroGradientOnlyDecaysWeights()
    {
        float[] parameters = (float[])InitialParameters.Clone();
        var sgd = new Sgd(0.5f);
        sgd.Initialize(parameters.Length);
        sgd.Step(parameters, new float[parameters.Length], WeightCount, 0.2f);
        // w − 0.5·(0 + 0.2·w) = 0.9·w for the weights; biases untouched.
        Assert.That(parameters, Is.EqualTo(new[] { 0.45f, -1.125f, 1.8f, 0.25f, -0.75f }).Within(1e-6f));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void EmptyParameterBufferIsAllowed(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        optimizer.Initialize(0);
        optimizer.Step(Span<float>.Empty, ReadOnlySpan<float>.Empty, 0, L2);
        Assert.That(optimizer.StepCount, Is.EqualTo(1));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void StepAllocatesNothing(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        const int count = 1003;
        var parameters = new float[count];
        var gradients = new float[count];
        for (int i = 0; i < count; i++)
        {
            parameters[i] = MathF.Sin(i);
            gradients[i] = MathF.Cos(i) * 0.1f;
        }
        optimizer.Initialize(count);
        long allocated = Allocations.SteadyState(() => optimizer.Step(parameters, gradients, 900, L2));

        Assert.That(allocated, Is.EqualTo(0), $"{optimizer.Name}: bytes allocated by 10 steps");
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void NameAndToStringAreStable(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        Assert.That(optimizer.Name, Is.AnyOf("sgd", "momentum", "adagrad", "adagrad-momentum", "rmsprop", "rmsprop-momentum", "adam",
                                             "nesterov", "adamw"));
        Assert.That(optimizer.ToString(), Does.StartWith(optimizer.Name + "(eta=0.05"));
    }

    [Test]
    public void HyperParametersAreExposed()
    {
        var adam = new Adam(0.001f, 0.8f, 0.99f, 1e-7f);
        var rmsMomentum = new RmsPropMomentum(0.01f, 0.7f, 0.6f, 1e-6f);
        var adagradMomentum = new AdagradMomentum(0.02f, 0.5f, 1e-5f);
        var momentumDefault = new Momentum(0.1f);
        Assert.Multiple(() =>
        {
            Assert.That((adam.Eta, adam.Beta1, adam.Beta2, adam.Epsilon), Is.EqualTo((0.001f, 0.8f, 0.99f, 1e-7f)));
            Assert.That((rmsMomentum.Rho, rmsMomentum.MomentumCoefficient, rmsMomentum.Epsilon), Is.EqualTo((0.7f, 0.6f, 1e-6f)));
            Assert.That((adagradMomentum.MomentumCoefficient, adagradMomentum.Epsilon), Is.EqualTo((0.5f, 1e-5f)));
            Assert.That(momentumDefault.MomentumCoefficient, Is.EqualTo(0.9f));
            Assert.That(new RmsProp(0.1f).Rho, Is.EqualTo(0.9f));
            Assert.That(new Adagrad(0.1f).Epsilon, Is.EqualTo(1e-8f));
            Assert.That((new Adam(0.1f).Beta1, new Adam(0.1f).Beta2), Is.EqualTo((0.9f, 0.999f)));
            Assert.That(adam.ToString(), Is.EqualTo("adam(eta=0.001, beta1=0.8, beta2=0.99, epsilon=1E-07)"));
            var adamW = new AdamW(0.001f, 0.8f, 0.99f, 1e-7f, 0.05f);
            Assert.That((adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay), Is.EqualTo((0.8f, 0.99f, 1e-7f, 0.05f)));
            Assert.That(adamW.ToString(), Is.EqualTo("adamw(eta=0.001, beta1=0.8, beta2=0.99, epsilon=1E-07, weightDecay=0.05)"));
            Assert.That((new AdamW(0.1f).Beta1, new AdamW(0.1f).Beta2, new AdamW(0.1f).WeightDecay), Is.EqualTo((0.9f, 0.999f, 0.01f)));
            var nesterov = new Momentum(0.1f, 0.8f, nesterov: true);
            Assert.That((nesterov.Nesterov, nesterov.MomentumCoefficient, momentumDefault.Nesterov), Is.EqualTo((true, 0.8f, false)));
            Assert.That(nesterov.ToString(), Is.EqualTo("nesterov(eta=0.1, momentum=0.8)"));
            Assert.That(momentumDefault.ToString(), Is.EqualTo("momentum(eta=0.1, momentum=0.9)"));
            Assert.That((new Sgd(0.1f).StateVectorCount, momentumDefault.StateVectorCount, adam.StateVectorCount, adamW.StateVectorCount),
                        Is.EqualTo((0, 1, 2, 2)));
        });
    }

    // ------------------------------------------------------------------ argument checks

    private static IEnumerable<TestCaseData> BadConstructions()
    {
        TestCaseData Case(string name, string parameter, Func<Optimizer> create)
            => new TestCaseData(create, parameter).SetArgDisplayNames(name);

        foreach (float eta in new[] { 0f, -0.1f, float.NaN, float.PositiveInfinity })
            yield return Case($"sgd eta={eta}", "eta", () => new Sgd(eta));
        foreach (float bad in new[] { -0.1f, 1f, 1.5f, float.NaN })
        {
            yield return Case($"momentum momentum={bad}", "momentum", () => new Momentum(Eta, bad));
            yield return Case($"adagrad-momentum momentum={bad}", "momentum", () => new AdagradMomentum(Eta, bad));
            yield return Case($"rmsprop rho={bad}", "rho", () => new RmsProp(Eta, bad));
            yield return Case($"rmsprop-momentum rho={bad}", "rho", () => new RmsPropMomentum(Eta, rho: bad));
            yield return Case($"rmsprop-momentum momentum={bad}", "momentum", () => new RmsPropMomentum(Eta, momentum: bad));
            yield return Case($"adam beta1={bad}", "beta1", () => new Adam(Eta, beta1: bad));
            yield return Case($"adam beta2={bad}", "beta2", () => new Adam(Eta, beta2: bad));
            yield return Case($"nesterov momentum={bad}", "momentum", () => new Momentum(Eta, bad, nesterov: true));
            yield return Case($"adamw beta1={bad}", "beta1", () => new AdamW(Eta, beta1: bad));
            yield return Case($"adamw beta2={bad}", "beta2", () => new AdamW(Eta, beta2: bad));
        }
        foreach (float bad in new[] { 0f, -1e-8f, float.NaN, float.PositiveInfinity })
        {
            yield return Case($"adagrad epsilon={bad}", "epsilon", () => new Adagrad(Eta, bad));
            yield return Case($"adagrad-momentum epsilon={bad}", "epsilon", () => new AdagradMomentum(Eta, epsilon: bad));
            yield return Case($"rmsprop epsilon={bad}", "epsilon", () => new RmsProp(Eta, epsilon: bad));
            yield return Case($"rmsprop-momentum epsilon={bad}", "epsilon", () => new RmsPropMomentum(Eta, epsilon: bad));
            yield return Case($"adam epsilon={bad}", "epsilon", () => new Adam(Eta, epsilon: bad));
            yield return Case($"adamw epsilon={bad}", "epsilon", () => new AdamW(Eta, epsilon: bad));
        }
        foreach (float bad in new[] { -0.01f, float.NaN, float.PositiveInfinity })
            yield return Case($"adamw weightDecay={bad}", "weightDecay", () => new AdamW(Eta, weightDecay: bad));
        yield return Case("adam eta=0", "eta", () => new Adam(0f));
        yield return Case("adamw eta=-1", "eta", () => new AdamW(-1f));
    }

    [TestCaseSource(nameof(BadConstructions))]
    public void ConstructorRejectsOutOfRangeHyperParameter(Func<Optimizer> create, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => create());
        Assert.That(error!.ParamName, Is.EqualTo(parameter));
    }

    [Test]
    public void BoundaryHyperParametersAreAccepted()
    {
        Assert.DoesNotThrow(() => _ = new Momentum(Eta, 0f));
        Assert.DoesNotThrow(() => _ = new RmsPropMomentum(Eta, 0f, 0f, float.Epsilon));
        Assert.DoesNotThrow(() => _ = new Adam(Eta, 0f, 0.99999994f));   // the largest float below 1
        Assert.DoesNotThrow(() => _ = new AdamW(Eta, weightDecay: 0f));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void StepBeforeInitializeThrowsNamingTheOptimizer(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        var parameters = new float[5];
        var gradients = new float[5];
        var error = Assert.Throws<InvalidOperationException>(() => optimizer.Step(parameters, gradients, 3, L2));
        Assert.That(error!.Message, Does.Contain(optimizer.Name).And.Contain("Initialize"));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void InitializeRejectsNegativeCount(Func<Optimizer> create)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => create().Initialize(-1));
        Assert.That(error!.ParamName, Is.EqualTo("parameterCount"));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void StepRejectsBadArgumentsAndChangesNothing(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        optimizer.Initialize(5);
        var parameters = (float[])InitialParameters.Clone();
        var gradients = StepGradients[0];

        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => optimizer.Step(new float[4], new float[4], 3, L2))!.ParamName,
                        Is.EqualTo("parameters"));
            Assert.That(Assert.Throws<ArgumentException>(() => optimizer.Step(new float[6], new float[6], 3, L2))!.ParamName,
                        Is.EqualTo("parameters"));
            Assert.That(Assert.Throws<ArgumentException>(() => optimizer.Step(parameters, new float[4], 3, L2))!.ParamName,
                        Is.EqualTo("gradients"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(parameters, gradients, -1, L2))!.ParamName,
                        Is.EqualTo("decayedCount"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(parameters, gradients, 6, L2))!.ParamName,
                        Is.EqualTo("decayedCount"));
            foreach (float l2 in new[] { -0.1f, float.NaN, float.PositiveInfinity })
                Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(parameters, gradients, 3, l2))!.ParamName,
                            Is.EqualTo("l2"), $"l2 = {l2}");
            Assert.That(parameters, Is.EqualTo(InitialParameters), "a rejected step must not touch the parameters");
            Assert.That(optimizer.StepCount, Is.EqualTo(0), "a rejected step must not count");
        });

        // Boundary values are accepted: nothing decayed, everything decayed, l2 = 0.
        Assert.DoesNotThrow(() => optimizer.Step(parameters, gradients, 0, L2));
        Assert.DoesNotThrow(() => optimizer.Step(parameters, gradients, 5, L2));
        Assert.DoesNotThrow(() => optimizer.Step(parameters, gradients, 3, 0f));
        Assert.That(optimizer.StepCount, Is.EqualTo(3));
    }

    // ------------------------------------------------------------------ kernels at every length against a per-element loop

    /// <summary>Calls one kernel on (w, g, s1, s2) with λ; kernels with fewer states ignore the extra spans.</summary>
    public delegate void KernelCall(Span<float> w, ReadOnlySpan<float> g, Span<float> s1, Span<float> s2, float l2);

    /// <summary>One element of the rule, written independently of the kernel: returns the new w given w and d.</summary>
    public delegate float ElementRule(float w, float d, ref float s1, ref float s2);

    private const float KEta = 0.03f, KMu = 0.85f, KRho = 0.8f, KEps = 0.01f, KBeta1 = 0.7f, KBeta2 = 0.9f;
    private const float KCorrection1 = 0.657f, KCorrection2 = 0.271f;   // arbitrary bias corrections for step t

    private static IEnumerable<(string Name, KernelCall Kernel, ElementRule Rule)> Kernels()
    {
        yield return ("sgd",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new SgdRule(KEta), w, g, s1, s2, l2),
            (float w, float d, ref float s1, ref float s2) => w - KEta * d);
        yield return ("momentum",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new MomentumRule(KEta, KMu), w, g, s1, s2, l2),
            (float w, float d, ref float v, ref float s2) =>
            {
                v = KMu * v + KEta * d;
                return w - v;
            });
        yield return ("adagrad",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new AdagradRule(KEta, KEps), w, g, s1, s2, l2),
            (float w, float d, ref float sum, ref float s2) =>
            {
                sum += d * d;
                return w - KEta * d / (MathF.Sqrt(sum) + KEps);
            });
        yield return ("adagrad-momentum",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new AdagradMomentumRule(KEta, KMu, KEps), w, g, s1, s2, l2),
            (float w, float d, ref float sum, ref float v) =>
            {
                sum += d * d;
                v = KMu * v + KEta * d / (MathF.Sqrt(sum) + KEps);
                return w - v;
            });
        yield return ("rmsprop",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new RmsPropRule(KEta, KRho, KEps), w, g, s1, s2, l2),
            (float w, float d, ref float s, ref float s2) =>
            {
                s = KRho * s + (1 - KRho) * (d * d);
                return w - KEta * d / (MathF.Sqrt(s) + KEps);
            });
        yield return ("rmsprop-momentum",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new RmsPropMomentumRule(KEta, KRho, KMu, KEps), w, g, s1, s2, l2),
            (float w, float d, ref float s, ref float v) =>
            {
                s = KRho * s + (1 - KRho) * (d * d);
                v = KMu * v + KEta * d / (MathF.Sqrt(s) + KEps);
                return w - v;
            });
        yield return ("adam",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new AdamRule(KEta, KBeta1, KBeta2, KEps, KCorrection1, KCorrection2), w, g, s1, s2, l2),
            (float w, float d, ref float m, ref float v) =>
            {
                m = KBeta1 * m + (1 - KBeta1) * d;
                v = KBeta2 * v + (1 - KBeta2) * (d * d);
                return w - KEta * (m / KCorrection1) / (MathF.Sqrt(v / KCorrection2) + KEps);
            });
        yield return ("nesterov",
            (w, g, s1, s2, l2) => OptimizerKernels.Apply(new NesterovRule(KEta, KMu), w, g, s1, s2, l2),
            (float w, float d, ref float v, ref float s2) =>
            {
                v = KMu * v + d;
                return w - KEta * (d + KMu * v);
            });
    }

    private static IEnumerable<TestCaseData> KernelsAtEveryLength()
    {
        foreach (var (name, kernel, rule) in Kernels())
            for (int length = 0; length <= 33; length++)
                yield return new TestCaseData(kernel, rule, length).SetArgDisplayNames(name, length.ToString());
    }

    [TestCaseSource(nameof(KernelsAtEveryLength))]
    public void KernelMatchesPerElementLoop(KernelCall kernel, ElementRule rule, int length)
    {
        const int guard = 4;
        const float sentinel = 12345f;
        var random = new Random(20240607 + length);
        float Next() => (float)(random.NextDouble() * 2 - 1);

        // The kernel works on the middle [guard, guard + length) of each buffer; the guards must stay untouched.
        float[] w = new float[length + 2 * guard], g = new float[length + 2 * guard];
        float[] s1 = new float[length + 2 * guard], s2 = new float[length + 2 * guard];
        Array.Fill(w, sentinel); Array.Fill(g, sentinel); Array.Fill(s1, sentinel); Array.Fill(s2, sentinel);
        for (int i = guard; i < guard + length; i++)
        {
            w[i] = Next();
            s1[i] = 0f;   // zero state, as after Initialize
            s2[i] = 0f;
        }
        float[] expectedW = (float[])w.Clone(), expectedS1 = (float[])s1.Clone(), expectedS2 = (float[])s2.Clone();

        // Three updates with fresh gradients so the state carries over; λ alternates between 0.3 and 0.
        for (int pass = 0; pass < 3; pass++)
        {
            float l2 = pass % 2 == 0 ? 0.3f : 0f;
            for (int i = guard; i < guard + length; i++) g[i] = Next();

            kernel(w.AsSpan(guard, length), g.AsSpan(guard, length), s1.AsSpan(guard, length), s2.AsSpan(guard, length), l2);

            for (int i = guard; i < guard + length; i++)
            {
                float d = g[i] + l2 * expectedW[i];
                expectedW[i] = rule(expectedW[i], d, ref expectedS1[i], ref expectedS2[i]);
            }
        }

        Assert.Multiple(() =>
        {
            for (int i = 0; i < w.Length; i++)
            {
                string where = i < guard || i >= guard + length ? $"guard element {i}" : $"element {i - guard} of {length}";
                Assert.That(w[i], Is.EqualTo(expectedW[i]).Within(1e-6f * Math.Max(1f, Math.Abs(expectedW[i]))), $"w, {where}");
                Assert.That(s1[i], Is.EqualTo(expectedS1[i]).Within(1e-6f * Math.Max(1f, Math.Abs(expectedS1[i]))), $"state 1, {where}");
                Assert.That(s2[i], Is.EqualTo(expectedS2[i]).Within(1e-6f * Math.Max(1f, Math.Abs(expectedS2[i]))), $"state 2, {where}");
            }
        });
    }

    [Test]
    public void KernelRejectsMismatchedStateLength()
    {
        var w = new float[5];
        var g = new float[5];
        Assert.Throws<ArgumentException>(() => OptimizerKernels.Apply(new SgdRule(0.1f), w, new float[4], default, default, 0f));
        Assert.Throws<ArgumentException>(() => OptimizerKernels.Apply(new MomentumRule(0.1f, 0.9f), w, g, new float[4], default, 0f));
        Assert.Throws<ArgumentException>(() => OptimizerKernels.Apply(new AdamRule(0.1f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f),
                                                                      w, g, new float[5], new float[6], 0f));
        Assert.Throws<ArgumentException>(() => OptimizerKernels.Apply(new NesterovRule(0.1f, 0.9f), w, g, default, default, 0f));
        Assert.DoesNotThrow(() => OptimizerKernels.Apply(new SgdRule(0.1f), w, g, default, default, 0f), "a stateless rule needs no state");
    }
}
