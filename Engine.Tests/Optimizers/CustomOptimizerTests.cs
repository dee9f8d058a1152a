using Engine.Optimizers;
using static Engine.Tests.Optimizers.OptimizerTests;

namespace Engine.Tests.Optimizers;

/// <summary>
/// An optimizer written outside the engine, as a user would (public and protected members only): signSGD with
/// momentum ("signum"). It runs through <see cref="Optimizer.Step(Span{float}, ReadOnlySpan{float}, in OptimizerStep)"/>
/// with the base's checks, split, state, step count and checkpointing.
/// </summary>
public class CustomOptimizerTests
{
    /// <summary>m ← β·m + (1−β)·d; w ← w·(1 − lr·wd) − lr·sign(m), d = g + λ·w.</summary>
    private sealed class Signum : Optimizer
    {
        public Signum(float eta, float beta = 0.5f) : base(eta, stateVectorCount: 1)
        {
            CheckCoefficient("signum", nameof(beta), beta);
            Beta = beta;
        }

        public float Beta { get; }

        public List<string> Calls { get; } = [];

        public override string Name => "signum";

        protected override void Update(OptimizerSlice slice)
        {
            Calls.Add($"weights={slice.IsWeights} n={slice.Length} t={slice.StepNumber} lr={slice.LearningRate} " +
                      $"l2={slice.L2} wd={slice.WeightDecay} states={slice.StateVectorCount}");
            try
            {
                slice.State(slice.StateVectorCount).Clear();
                Assert.Fail("State(StateVectorCount) must throw");
            }
            catch (ArgumentOutOfRangeException)
            {
            }
            Span<float> w = slice.Parameters;
            ReadOnlySpan<float> g = slice.Gradients;
            Span<float> m = slice.State(0);
            for (int i = 0; i < w.Length; i++)
            {
                float d = g[i] + slice.L2 * w[i];
                m[i] = Beta * m[i] + (1 - Beta) * d;
                w[i] = w[i] * (1 - slice.LearningRate * slice.WeightDecay) - slice.LearningRate * MathF.Sign(m[i]);
            }
        }
    }

    [Test]
    public void FirstTwoStepsMatchHandArithmetic()
    {
        var signum = new Signum(0.1f);
        float[] parameters = (float[])InitialParameters.Clone();
        signum.Initialize(parameters.Length);

        // Step 1: d = [0.35, −0.325, 0.35, 0.4, −0.5], m = 0.5·d, w − 0.1·sign(m).
        signum.Step(parameters, StepGradients[0], WeightCount, L2);
        Assert.That(parameters, Is.EqualTo(new[] { 0.4f, -1.15f, 1.9f, 0.15f, -0.65f }).Within(1e-6f));

        // Step 2: d = g + 0.1·w on the weights = [−0.06, 0.235, 0.24], biases [0.2, 0.1];
        // m = 0.5·m + 0.5·d = [0.0575, 0.03625, 0.2075, 0.2, −0.075]: signs [+, +, +, +, −].
        signum.Step(parameters, StepGradients[1], WeightCount, L2);
        Assert.That(parameters, Is.EqualTo(new[] { 0.3f, -1.25f, 1.8f, 0.05f, -0.55f }).Within(1e-6f));
        Assert.That(signum.StepCount, Is.EqualTo(2));
        Assert.That(signum.SaveState().Vector(0).ToArray(),
                    Is.EqualTo(new[] { 0.0575f, 0.03625f, 0.2075f, 0.2f, -0.075f }).Within(1e-6f));
    }

    [Test]
    public void UpdateSeesEachRunWithItsCoefficients()
    {
        var signum = new Signum(0.1f);
        float[] parameters = (float[])InitialParameters.Clone();
        signum.Initialize(parameters.Length);
        signum.Step(parameters, StepGradients[0],
                    new OptimizerStep { DecayedCount = WeightCount, WeightL2 = 0.5f, OtherL2 = 0.25f, WeightDecay = 2f, LearningRate = 0.125f });
        signum.Step(parameters, StepGradients[1], 0, 0f);
        signum.Step(parameters, StepGradients[2], parameters.Length, 0f);
        Assert.That(signum.Calls, Is.EqualTo(new[]
        {
            "weights=True n=3 t=1 lr=0.125 l2=0.5 wd=2 states=1",
            "weights=False n=2 t=1 lr=0.125 l2=0.25 wd=0 states=1",
            "weights=False n=5 t=2 lr=0.1 l2=0 wd=0 states=1",   // no weights: the weight run is skipped
            "weights=True n=5 t=3 lr=0.1 l2=0 wd=0 states=1",    // no other parameters: that run is skipped
        }));

        signum.Initialize(0);
        signum.Step(Span<float>.Empty, ReadOnlySpan<float>.Empty, 0, 0f);
        Assert.That(signum.Calls, Has.Count.EqualTo(4), "an empty buffer calls Update for nothing");
        Assert.That(signum.StepCount, Is.EqualTo(1));
    }

    [Test]
    public void BaseChecksApplyToACustomOptimizer()
    {
        var signum = new Signum(0.1f);
        var error = Assert.Throws<InvalidOperationException>(() => signum.Step(new float[5], new float[5], 3, L2));
        Assert.That(error!.Message, Does.Contain("signum").And.Contain("Initialize"));
        signum.Initialize(5);
        Assert.That(Assert.Throws<ArgumentException>(() => signum.Step(new float[4], new float[4], 3, L2))!.ParamName, Is.EqualTo("parameters"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => signum.Step(new float[5], new float[5], 3, -1f))!.ParamName, Is.EqualTo("l2"));
        Assert.That(signum.Calls, Is.Empty, "rejected steps never reach Update");
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Signum(0.1f, 1f))!.ParamName, Is.EqualTo("beta"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Signum(0f))!.ParamName, Is.EqualTo("eta"));
        Assert.That(signum.ToString(), Is.EqualTo("signum(eta=0.1)"));
        Assert.That(signum.StateVectorCount, Is.EqualTo(1));
    }

    [Test]
    public void CustomStateRoundTrips()
    {
        var first = new Signum(0.1f);
        float[] parameters = (float[])InitialParameters.Clone();
        first.Initialize(parameters.Length);
        first.Step(parameters, StepGradients[0], WeightCount, L2);
        float[] continued = (float[])parameters.Clone();

        var resumed = new Signum(0.1f);
        resumed.LoadState(first.SaveState());
        first.Step(parameters, StepGradients[1], WeightCount, L2);
        resumed.Step(continued, StepGradients[1], WeightCount, L2);
        Assert.That(continued, Is.EqualTo(parameters));
        Assert.That(resumed.Calls, Is.EqualTo(first.Calls.Skip(2)), "the resumed optimizer continues at step 2");
    }
}
