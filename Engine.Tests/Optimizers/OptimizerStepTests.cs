using Engine.Optimizers;
using static Engine.Tests.Optimizers.OptimizerTests;

namespace Engine.Tests.Optimizers;

/// <summary>
/// <see cref="OptimizerStep"/>: the convenience overload is the step with weights and L2; the per-step learning rate;
/// decoupled weight decay on the weights only (and AdamW's own on top); the L2 coefficient of the other parameters;
/// and the checks of every field.
/// </summary>
public class OptimizerStepTests
{
    /// <summary>Every built-in optimizer, built with a given learning rate.</summary>
    private static IEnumerable<TestCaseData> ByLearningRate()
    {
        TestCaseData Case(string name, Func<float, Optimizer> create) => new TestCaseData(create).SetArgDisplayNames(name);
        yield return Case("sgd", eta => new Sgd(eta));
        yield return Case("momentum", eta => new Momentum(eta));
        yield return Case("nesterov", eta => new Momentum(eta, nesterov: true));
        yield return Case("adagrad", eta => new Adagrad(eta));
        yield return Case("adagrad-momentum", eta => new AdagradMomentum(eta));
        yield return Case("rmsprop", eta => new RmsProp(eta));
        yield return Case("rmsprop-momentum", eta => new RmsPropMomentum(eta));
        yield return Case("adam", eta => new Adam(eta));
        yield return Case("adamw", eta => new AdamW(eta, weightDecay: 0.1f));
    }

    /// <summary>Initializes the optimizer and runs the three steps of the tiny problem with <paramref name="step"/>.</summary>
    private static float[] Run(Optimizer optimizer, OptimizerStep step, int steps = 3)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        optimizer.Initialize(parameters.Length);
        for (int i = 0; i < steps; i++) optimizer.Step(parameters, StepGradients[i], step);
        return parameters;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.That(Array.ConvertAll(actual, BitConverter.SingleToInt32Bits),
                    Is.EqualTo(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits)), what);
    }

    [TestCaseSource(typeof(OptimizerTests), nameof(AllOptimizers))]
    public void ConvenienceOverloadIsTheStepWithWeightsAndL2(Func<Optimizer> create)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        Optimizer optimizer = create();
        optimizer.Initialize(parameters.Length);
        for (int i = 0; i < 3; i++) optimizer.Step(parameters, StepGradients[i], WeightCount, L2);

        var explicitStep = new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2, LearningRate = Eta, WeightDecay = 0f };
        AssertSameBits(parameters, Run(create(), new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2 }), "defaults");
        AssertSameBits(parameters, Run(create(), explicitStep), "learning rate Eta and no decay, spelled out");
    }

    [TestCaseSource(typeof(OptimizerTests), nameof(AllOptimizers))]
    public void DefaultStepHasNoWeightsNoL2AndUsesEta(Func<Optimizer> create)
    {
        float[] parameters = (float[])InitialParameters.Clone();
        Optimizer optimizer = create();
        optimizer.Initialize(parameters.Length);
        for (int i = 0; i < 3; i++) optimizer.Step(parameters, StepGradients[i], 0, 0f);
        AssertSameBits(parameters, Run(create(), default), "default(OptimizerStep)");
    }

    [TestCaseSource(nameof(ByLearningRate))]
    public void LearningRateReplacesEtaForTheStep(Func<float, Optimizer> create)
    {
        var step = new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2 };
        float[] withEta = Run(create(0.2f), step);
        float[] overridden = Run(create(Eta), step with { LearningRate = 0.2f });
        AssertSameBits(withEta, overridden, "eta 0.05 stepped at 0.2 must equal eta 0.2");
        Assert.That(Run(create(Eta), step), Is.Not.EqualTo(withEta), "the learning rate must matter");
    }

    [TestCaseSource(nameof(ByLearningRate))]
    public void ZeroLearningRateMovesNothing(Func<float, Optimizer> create)
    {
        var optimizer = create(Eta);
        float[] parameters = Run(optimizer, new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2, WeightDecay = 0.5f, LearningRate = 0f });
        AssertSameBits(InitialParameters, parameters, "lr = 0 (a warm-up's first step) is a real rate, not 'use Eta'");
        Assert.That(optimizer.StepCount, Is.EqualTo(3));
    }

    [TestCaseSource(nameof(ByLearningRate))]
    public void DecoupledDecayChangesWeightsButNotTheOthers(Func<float, Optimizer> create)
    {
        var plain = new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2 };
        float[] without = Run(create(Eta), plain);
        float[] with = Run(create(Eta), plain with { WeightDecay = 0.3f });
        float[] noWeights = Run(create(Eta), plain with { DecayedCount = 0, WeightDecay = 0.3f });
        float[] noWeightsNoDecay = Run(create(Eta), plain with { DecayedCount = 0 });
        Assert.Multiple(() =>
        {
            for (int i = 0; i < WeightCount; i++)
                Assert.That(with[i], Is.Not.EqualTo(without[i]), $"weight {i} should feel the decay");
            AssertSameBits(without[WeightCount..], with[WeightCount..], "the other parameters must not feel the decay");
            AssertSameBits(noWeightsNoDecay, noWeights, "decayedCount = 0 must ignore the decay entirely");
        });
    }

    [Test]
    public void SgdWithZeroGradientDecoupledDecayScalesWeights()
    {
        var zero = new float[InitialParameters.Length];
        float[] Once(OptimizerStep step)
        {
            float[] parameters = (float[])InitialParameters.Clone();
            var sgd = new Sgd(0.5f);
            sgd.Initialize(parameters.Length);
            sgd.Step(parameters, zero, step);
            return parameters;
        }
        // w·(1 − 0.5·0.2) = 0.9·w for the weights; biases untouched.
        Assert.That(Once(new OptimizerStep { DecayedCount = WeightCount, WeightDecay = 0.2f }),
                    Is.EqualTo(new[] { 0.45f, -1.125f, 1.8f, 0.25f, -0.75f }).Within(1e-6f));
        // With L2 λ = 0.2 too: d = 0.2·w of the undecayed w, then 0.9·w − 0.5·0.2·w = 0.8·w.
        Assert.That(Once(new OptimizerStep { DecayedCount = WeightCount, WeightDecay = 0.2f, WeightL2 = 0.2f }),
                    Is.EqualTo(new[] { 0.4f, -1f, 1.6f, 0.25f, -0.75f }).Within(1e-6f));
        // At learning rate 0.25 the decay is half as strong: w·(1 − 0.25·0.2) = 0.95·w.
        Assert.That(Once(new OptimizerStep { DecayedCount = WeightCount, WeightDecay = 0.2f, LearningRate = 0.25f }),
                    Is.EqualTo(new[] { 0.475f, -1.1875f, 1.9f, 0.25f, -0.75f }).Within(1e-6f));
    }

    [Test]
    public void AdamWIsAdamWithItsOwnDecoupledDecayAddedToTheStepsDecay()
    {
        var step = new OptimizerStep { DecayedCount = WeightCount };
        AssertSameBits(Run(new Adam(Eta), step), Run(new AdamW(Eta, weightDecay: 0f), step), "AdamW without decay is Adam");
        AssertSameBits(Run(new Adam(Eta), step with { WeightDecay = 0.75f }),
                       Run(new AdamW(Eta, weightDecay: 0.25f), step with { WeightDecay = 0.5f }),
                       "AdamW's decay (0.25) and the step's (0.5) add up");
        AssertSameBits(Run(new Adam(Eta), step with { WeightDecay = 0.25f, WeightL2 = L2 }),
                       Run(new AdamW(Eta, weightDecay: 0.25f), step with { WeightL2 = L2 }),
                       "coupled L2 still applies when asked for");
        float[] adamW = Run(new AdamW(Eta, weightDecay: 0.25f), step with { DecayedCount = 0 });
        AssertSameBits(Run(new Adam(Eta), step with { DecayedCount = 0 }), adamW, "AdamW decays the weights only");
    }

    [TestCaseSource(typeof(OptimizerTests), nameof(AllOptimizers))]
    public void OtherL2AppliesToTheOtherParameters(Func<Optimizer> create)
    {
        var split = new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2, OtherL2 = L2 };
        AssertSameBits(Run(create(), new OptimizerStep { DecayedCount = InitialParameters.Length, WeightL2 = L2 }),
                       Run(create(), split), "λ on the weights and λ on the others is λ on everything");
        float[] weightsOnly = Run(create(), split with { OtherL2 = 0f });
        float[] both = Run(create(), split);
        AssertSameBits(weightsOnly[..WeightCount], both[..WeightCount], "OtherL2 must not touch the weights");
        for (int i = WeightCount; i < both.Length; i++)
            Assert.That(both[i], Is.Not.EqualTo(weightsOnly[i]), $"parameter {i} should feel OtherL2");
    }

    [TestCaseSource(typeof(OptimizerTests), nameof(AllOptimizers))]
    public void StepRejectsBadFieldsAndChangesNothing(Func<Optimizer> create)
    {
        Optimizer optimizer = create();
        optimizer.Initialize(5);
        float[] parameters = (float[])InitialParameters.Clone();
        float[] gradients = StepGradients[0];
        var good = new OptimizerStep { DecayedCount = WeightCount, WeightL2 = L2 };
        var bad = new List<(string What, OptimizerStep Step)> { ("DecayedCount = -1", good with { DecayedCount = -1 }),
                                                                 ("DecayedCount = 6", good with { DecayedCount = 6 }) };
        foreach (float x in new[] { -0.1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            bad.Add(($"WeightL2 = {x}", good with { WeightL2 = x }));
            bad.Add(($"OtherL2 = {x}", good with { OtherL2 = x }));
            bad.Add(($"WeightDecay = {x}", good with { WeightDecay = x }));
            bad.Add(($"LearningRate = {x}", good with { LearningRate = x }));
        }
        Assert.Multiple(() =>
        {
            foreach (var (what, step) in bad)
            {
                var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Step(parameters, gradients, step), what);
                Assert.That(error!.ParamName, Is.EqualTo("step"), what);
                Assert.That(error.Message, Does.Contain(optimizer.Name), what);
            }
            Assert.That(parameters, Is.EqualTo(InitialParameters), "a rejected step must not touch the parameters");
            Assert.That(optimizer.StepCount, Is.EqualTo(0), "a rejected step must not count");
        });
        Assert.DoesNotThrow(() => optimizer.Step(parameters, gradients, good with { LearningRate = 0f, WeightDecay = 0f, OtherL2 = 0f }));
        Assert.DoesNotThrow(() => optimizer.Step(parameters, gradients, good with { LearningRate = null, WeightDecay = 1f, OtherL2 = 1f }));
        Assert.That(optimizer.StepCount, Is.EqualTo(2));
    }
}
