using Engine.Optimizers;
using static Engine.Tests.Optimizers.OptimizerTests;

namespace Engine.Tests.Optimizers;

/// <summary>
/// <see cref="Optimizer.SaveState"/> / <see cref="Optimizer.LoadState"/>: training k steps, saving (through bytes, as a
/// checkpoint writer would), loading into a fresh optimizer and continuing gives exactly the uninterrupted run;
/// the state is a copy, laid out as documented; mismatches are refused with a clear error.
/// </summary>
public class OptimizerStateTests
{
    private const int Parameters = 37;   // odd, longer than one vector so the vector loop and the tail both run

    /// <summary>Every built-in optimizer, AdamW with its own decay this time.</summary>
    private static IEnumerable<TestCaseData> Optimizers()
    {
        foreach (var data in AllOptimizers()) yield return data;
        yield return new TestCaseData(new Func<Optimizer>(() => new AdamW(Eta))).SetArgDisplayNames("adamw decaying");
    }

    /// <summary>The step options of step <paramref name="t"/>: a schedule and decoupled decay, so everything is exercised.</summary>
    private static OptimizerStep StepOptions(int t) => new()
    {
        DecayedCount = 20, WeightL2 = 0.01f, WeightDecay = 0.05f, LearningRate = Eta * (1f - 0.1f * t),
    };

    /// <summary>Steps <paramref name="from"/> .. <paramref name="to"/> − 1 of a seeded problem.</summary>
    private static void Train(Optimizer optimizer, float[] parameters, int from, int to)
    {
        for (int t = from; t < to; t++)
        {
            var random = new SeededRandom(1000 + t);
            var gradients = new float[Parameters];
            for (int i = 0; i < Parameters; i++) gradients[i] = (float)(random.NextDouble() * 2 - 1);
            optimizer.Step(parameters, gradients, StepOptions(t));
        }
    }

    private static float[] StartingParameters()
    {
        var random = new SeededRandom(77);
        var parameters = new float[Parameters];
        for (int i = 0; i < Parameters; i++) parameters[i] = (float)(random.NextDouble() * 2 - 1);
        return parameters;
    }

    /// <summary>What a checkpoint writer does: the state to bytes and back.</summary>
    private static OptimizerState ThroughBytes(OptimizerState state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(state.OptimizerName);
            writer.Write(state.StepCount);
            writer.Write(state.ParameterCount);
            writer.Write(state.VectorCount);
            foreach (float x in state.Values) writer.Write(x);
        }
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        string name = reader.ReadString();
        int steps = reader.ReadInt32(), parameters = reader.ReadInt32(), vectors = reader.ReadInt32();
        var values = new float[vectors * parameters];
        for (int i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        return new OptimizerState(name, steps, parameters, vectors, values);
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    private static IEnumerable<TestCaseData> OptimizersAndSaveSteps() =>
        from data in Optimizers() from k in new[] { 0, 1, 3 }
        let create = (Func<Optimizer>)data.Arguments[0]!
        select new TestCaseData(create, k).SetArgDisplayNames(create().ToString(), k.ToString());

    [TestCaseSource(nameof(OptimizersAndSaveSteps))]
    public void SaveLoadContinueEqualsTheUninterruptedRun(Func<Optimizer> create, int k)
    {
        Optimizer uninterrupted = create();
        float[] expected = StartingParameters();
        uninterrupted.Initialize(Parameters);
        Train(uninterrupted, expected, 0, 6);

        Optimizer first = create();
        float[] parameters = StartingParameters();
        first.Initialize(Parameters);
        Train(first, parameters, 0, k);
        OptimizerState saved = ThroughBytes(first.SaveState());

        Optimizer resumed = create();   // fresh: never initialized
        resumed.LoadState(saved);
        Assert.That(resumed.StepCount, Is.EqualTo(k));
        Train(resumed, parameters, k, 6);

        Assert.That(Bits(parameters), Is.EqualTo(Bits(expected)), "parameters after resuming");
        Assert.That(resumed.StepCount, Is.EqualTo(6));
        Assert.That(Bits(resumed.SaveState().Values), Is.EqualTo(Bits(uninterrupted.SaveState().Values)), "state after resuming");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void LoadingIntoAnInitializedOptimizerReplacesItsState(Func<Optimizer> create)
    {
        Optimizer source = create();
        float[] parameters = StartingParameters();
        source.Initialize(Parameters);
        Train(source, parameters, 0, 2);
        OptimizerState saved = source.SaveState();

        Optimizer target = create();
        float[] scratch = StartingParameters();
        target.Initialize(Parameters);
        Train(target, scratch, 0, 5);   // some other history, to be overwritten
        target.LoadState(saved);

        float[] fromSource = (float[])parameters.Clone();
        Train(source, fromSource, 2, 4);
        Train(target, parameters, 2, 4);
        Assert.That(Bits(parameters), Is.EqualTo(Bits(fromSource)));
        Assert.That(target.StepCount, Is.EqualTo(source.StepCount));
    }

    [Test]
    public void StateIsACopyLaidOutAsDocumented()
    {
        var momentum = new Momentum(Eta, 0.9f);
        float[] parameters = (float[])InitialParameters.Clone();
        momentum.Initialize(parameters.Length);
        OptimizerState initial = momentum.SaveState();
        Assert.Multiple(() =>
        {
            Assert.That((initial.OptimizerName, initial.StepCount, initial.ParameterCount, initial.VectorCount),
                        Is.EqualTo(("momentum", 0, 5, 1)));
            Assert.That(initial.Values.ToArray(), Is.All.EqualTo(0f));
        });

        momentum.Step(parameters, StepGradients[0], WeightCount, L2);
        OptimizerState afterOne = momentum.SaveState();
        float[] copy = afterOne.Values.ToArray();
        // Classic momentum's velocity after one step is η·d, d = [0.35, −0.325, 0.35, 0.4, −0.5].
        Assert.That(afterOne.Vector(0).ToArray(), Is.EqualTo(new[] { 0.0175f, -0.01625f, 0.0175f, 0.02f, -0.025f }).Within(1e-7f));
        Assert.That(afterOne.StepCount, Is.EqualTo(1));

        momentum.Step(parameters, StepGradients[1], WeightCount, L2);
        Assert.That(afterOne.Values.ToArray(), Is.EqualTo(copy), "a saved state must not follow later steps");
        Assert.That(initial.Values.ToArray(), Is.All.EqualTo(0f));

        var adam = new Adam(Eta);
        adam.Initialize(2);
        adam.Step(new float[] { 1f, 1f }, new float[] { 0.5f, -2f }, 0, 0f);
        OptimizerState moments = adam.SaveState();
        // m = 0.1·g (vector 0), v = (1 − 0.999)·g² (vector 1, 1 − β2 rounded in float), one after the other in Values.
        Assert.That(moments.Vector(0).ToArray(), Is.EqualTo(new[] { 0.05f, -0.2f }).Within(1e-7f));
        Assert.That(moments.Vector(1).ToArray(), Is.EqualTo(new[] { (1f - 0.999f) * 0.25f, (1f - 0.999f) * 4f }).Within(1e-12f));
        Assert.That(moments.Values.ToArray(), Is.EqualTo(moments.Vector(0).ToArray().Concat(moments.Vector(1).ToArray())));
    }

    [Test]
    public void LoadStateRefusesMismatchesAndChangesNothing()
    {
        var adam = new Adam(Eta);
        adam.Initialize(5);
        float[] parameters = (float[])InitialParameters.Clone();
        adam.Step(parameters, StepGradients[0], WeightCount, L2);
        float[] before = adam.SaveState().Values.ToArray();

        var otherOptimizer = new Momentum(Eta);
        otherOptimizer.Initialize(5);
        Assert.Multiple(() =>
        {
            var name = Assert.Throws<ArgumentException>(() => adam.LoadState(otherOptimizer.SaveState()));
            Assert.That(name!.ParamName, Is.EqualTo("state"));
            Assert.That(name.Message, Does.Contain("adam").And.Contain("momentum"));

            var vectors = Assert.Throws<ArgumentException>(() => adam.LoadState(new OptimizerState("adam", 3, 5, 1, new float[5])));
            Assert.That(vectors!.Message, Does.Contain("2 state vectors").And.Contain("holds 1"));

            var size = Assert.Throws<ArgumentException>(() => adam.LoadState(new OptimizerState("adam", 3, 4, 2, new float[8])));
            Assert.That(size!.Message, Does.Contain("5 parameters").And.Contain("for 4"));

            Assert.Throws<ArgumentNullException>(() => adam.LoadState(null!));
            Assert.Throws<ArgumentException>(() => new AdamW(Eta).LoadState(new OptimizerState("adam", 0, 5, 2, new float[10])),
                                             "adam state into adamw");
            Assert.Throws<ArgumentException>(() => new Momentum(Eta, nesterov: true).LoadState(otherOptimizer.SaveState()),
                                             "classic momentum state into nesterov");
        });
        Assert.That(adam.StepCount, Is.EqualTo(1), "a refused load must not change the step count");
        Assert.That(adam.SaveState().Values.ToArray(), Is.EqualTo(before), "a refused load must not change the state");
    }

    [Test]
    public void SaveStateBeforeInitializeThrowsNamingTheOptimizer()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new RmsProp(Eta).SaveState());
        Assert.That(error!.Message, Does.Contain("rmsprop").And.Contain("initialized"));
    }

    [Test]
    public void StateChecksItsParts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => new OptimizerState("adam", 0, 5, 2, new float[9]))!.ParamName,
                        Is.EqualTo("values"));
            Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("adam", -1, 5, 2, new float[10]));
            Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("adam", 0, -5, 2, new float[10]));
            Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("adam", 0, 5, -2, new float[10]));
            Assert.Throws<ArgumentException>(() => new OptimizerState("", 0, 5, 2, new float[10]));
            Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("adam", 0, 5, 2, new float[10]).Vector(2));
            Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerState("adam", 0, 5, 2, new float[10]).Vector(-1));
        });
        float[] values = [1f, 2f, 3f, 4f];
        var state = new OptimizerState("x", 7, 2, 2, values);
        values[0] = 99f;
        Assert.That(state.Values.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }), "the constructor copies");
        Assert.That(state.Vector(1).ToArray(), Is.EqualTo(new[] { 3f, 4f }));
    }
}
