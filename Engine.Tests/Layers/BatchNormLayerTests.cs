using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Layers;

public class BatchNormLayerTests
{
    [TestCase(3, 4, 5, 4)]
    [TestCase(1, 1, 7, 3)]
    [TestCase(5, 3, 3, 2)]
    public void BatchNorm2DPassesTheGradientCheckWithBatchStatistics(int c, int h, int w, int batch)
    {
        var bound = GradientCheck.Bind(new BatchNorm2D(), new Shape(c, h, w), batch);
        for (int i = 0; i < c; i++) bound.Biases[i] = 0.5f + 0.3f * i; // γ away from 1
        GradientCheck.CheckLayer(bound, GradientCheck.Random(batch * c * h * w, 21), h: 1e-2, tolerance: 2e-2);
    }

    [TestCase(7, 5)]
    [TestCase(33, 3)]
    [TestCase(1, 4)]
    public void BatchNorm1DPassesTheGradientCheckWithBatchStatistics(int features, int batch)
    {
        var bound = GradientCheck.Bind(new BatchNorm1D(), new Shape(features), batch);
        GradientCheck.CheckLayer(bound, GradientCheck.Random(batch * features, 22), h: 1e-2, tolerance: 2e-2);
    }

    /// <summary>The textbook batch norm in double, per channel over N·S values.</summary>
    private static double[] Expected(float[] x, int batch, int channels, int spatial, float[] gamma, float[] beta, double eps, out double[] mean, out double[] variance)
    {
        mean = new double[channels];
        variance = new double[channels];
        int m = batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            for (int n = 0; n < batch; n++) for (int s = 0; s < spatial; s++) mean[c] += x[(n * channels + c) * spatial + s];
            mean[c] /= m;
            for (int n = 0; n < batch; n++) for (int s = 0; s < spatial; s++) { double d = x[(n * channels + c) * spatial + s] - mean[c]; variance[c] += d * d; }
            variance[c] /= m;
        }
        var y = new double[x.Length];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s;
                    y[i] = gamma[c] * (x[i] - mean[c]) / Math.Sqrt(variance[c] + eps) + beta[c];
                }
        return y;
    }

    // The last shape is large enough for the per-channel sums and the element-wise passes to be split over 2 threads
    // (3·24·19·1201 ≥ 2·ParallelFor.MinimumWorkPerPart), into parts of whole channels off any round number.
    public static IEnumerable<int[]> Shapes() => [[2, 3, 17], [3, 5, 1], [4, 19, 1], [1, 2, 33], [2, 1, 16], [5, 7, 9], [24, 19, 1201]];

    [TestCaseSource(nameof(Shapes))]
    public void EveryTierGivesTheTextbookResultAndTheSameBits(int[] shape)
    {
        int batch = shape[0], channels = shape[1], spatial = shape[2];
        Layer Make() => spatial == 1 ? new BatchNorm1D() : new BatchNorm2D();
        var input = spatial == 1 ? new Shape(channels) : new Shape(channels, 1, spatial);
        var x = GradientCheck.Random(batch * channels * spatial, 5, -3, 5);
        var dy = GradientCheck.Random(x.Length, 6);
        (float[] Y, float[] Dx, float[] Db, float[] State)? first = null;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2 })
            {
                var bound = GradientCheck.Bind(Make(), input, batch);
                var y = new float[x.Length];
                var dx = new float[x.Length];
                using (Tiers.Force(tier))
                using (Tiers.Threads(threads))
                {
                    bound.Forward(x, y);
                    bound.Backward(x, y, dy, dx);
                }
                var expected = Expected(x, batch, channels, spatial, bound.Biases[..channels], bound.Biases[channels..], 1e-5, out _, out _);
                for (int i = 0; i < y.Length; i++)
                    Assert.That(y[i], Is.EqualTo(expected[i]).Within(1e-4 * (1 + Math.Abs(expected[i]))), $"{tier} y[{i}]");
                var state = new float[2 * channels];
                var layer = (BatchNorm)bound.Layer;
                if (first is not { } f) first = (y, dx, bound.BiasGradients.ToArray(), state);
                else
                {
                    Assert.That(y, Is.EqualTo(f.Y).AsCollection, $"{tier}, {threads} threads: y");
                    Assert.That(dx, Is.EqualTo(f.Dx).AsCollection, $"{tier}, {threads} threads: dx");
                    Assert.That(bound.BiasGradients, Is.EqualTo(f.Db).AsCollection, $"{tier}, {threads} threads: dγ, dβ");
                }
                Assert.That(layer.Channels, Is.EqualTo(channels));
            }
    }

    [Test]
    public void TrainingUpdatesTheRunningStatisticsAndEvaluationUsesThem()
    {
        var layer = new BatchNorm1D(momentum: 0.25f);
        var bound = GradientCheck.Bind(layer, new Shape(2), batch: 4);
        bound.Biases[0] = 1; bound.Biases[1] = 1; bound.Biases[2] = 0; bound.Biases[3] = 0;
        var state = new float[4];
        layer.BindState(state);
        layer.InitializeState();
        Assert.That(state, Is.EqualTo(new float[] { 0, 0, 1, 1 }), "running mean 0, variance 1");
        float[] x = [1, 10, 2, 20, 3, 30, 6, 40]; // feature 0: mean 3, biased var 3.5, unbiased 14/3; feature 1: mean 25, unbiased 500/3
        var y = new float[8];
        bound.Forward(x, y);
        Assert.That(state[0], Is.EqualTo(0.75f * 0 + 0.25f * 3).Within(1e-6));
        Assert.That(state[1], Is.EqualTo(0.25f * 25).Within(1e-5));
        Assert.That(state[2], Is.EqualTo(0.75f + 0.25f * 14f / 3).Within(1e-5));
        Assert.That(state[3], Is.EqualTo(0.75f + 0.25f * 500f / 3).Within(1e-3));
        // Evaluation: y = (x − running mean)/√(running var + ε), and the running statistics stay.
        var copy = (float[])state.Clone();
        bound.Forward(x, y, mode: LayerMode.Evaluation);
        Assert.That(state, Is.EqualTo(copy));
        Assert.That(y[0], Is.EqualTo((1 - state[0]) / MathF.Sqrt(state[2] + 1e-5f)).Within(1e-6));
        Assert.That(y[7], Is.EqualTo((40 - state[1]) / MathF.Sqrt(state[3] + 1e-5f)).Within(1e-5));
    }

    [Test]
    public void FusedWithReluItEqualsBatchNormThenRelu()
    {
        var data = TestData.Random(new Shape(4, 5, 5), 12, 3);
        Engine.Training.Network Net(bool fuseable) => new Engine.Training.Network(new Shape(4, 5, 5), seed: 2)
            .Add(new Conv2D(6, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D())
            .Add(fuseable ? new ReLU() : new LeakyReLU(0f)).Add(new Flatten()).Add(new Dense(10)).Add(new Softmax());
        var fused = Net(true);
        var plain = Net(false);
        var options = new Engine.Training.TrainingOptions { Epochs = 2, BatchSize = 4 };
        fused.Fit(data, null, options);
        plain.Fit(data, null, new Engine.Training.TrainingOptions { Epochs = 2, BatchSize = 4 });
        Assert.That(fused.TrainingWorkspace(4).Plan.Stages.Any(s => s.GetType().Name == "BatchNormReluStage"), Is.True);
        Assert.That(fused.GetParameters(), Is.EqualTo(plain.GetParameters()).AsCollection,
            "relu(x) and leaky-relu(x) with slope 0 give the same values and gradients");
        Assert.That(fused.State.ToArray(), Is.EqualTo(plain.State.ToArray()).AsCollection);
    }

    [Test]
    public void WrongShapesAndSettingsAreRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchNorm2D().Build(new Shape(10), "layer 4 (BatchNorm2D)"));
        Assert.That(e!.Message, Does.Contain("layer 4 (BatchNorm2D)").And.Contain("BatchNorm1D"));
        e = Assert.Throws<ArgumentException>(() => new BatchNorm1D().Build(new Shape(3, 4, 4), "layer 2 (BatchNorm1D)"));
        Assert.That(e!.Message, Does.Contain("BatchNorm2D"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm2D(momentum: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1D(epsilon: -1f));
    }
}
