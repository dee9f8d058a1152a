using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// A batch norm followed by a ReLU runs as one <see cref="BatchNormReluStage"/>. The same network with a <see cref="Flatten"/> (a
/// copy) between the two runs them as separate layers; the fused one gives the same bits on every tier and for one and two
/// threads: the ReLU's output in training mode, the loss, every parameter gradient, the parameters and running statistics after
/// a few optimizer steps, and the predictions (evaluation mode) with and without the convolution epilogue. Odd spatial sizes
/// and channel counts; BatchNorm1D too. (<see cref="Engine.Tests.Layers.BatchNormLayerTests"/> checks the default tier after Fit.)
/// </summary>
public class BatchNormReluFusionTierTests
{
    /// <summary>(channels, height, width, filters, batch, 2D). The last 2D shape gives the batch norm 8·16·61·67 ≥ 500K values, so
    /// its passes split over two threads.</summary>
    private static readonly int[][] Shapes =
    [
        [2, 5, 7, 3, 5, 1], [1, 9, 3, 5, 3, 1], [3, 1, 1, 7, 6, 1], [3, 13, 11, 17, 2, 1], [3, 61, 67, 16, 8, 1],
        [2, 3, 5, 11, 7, 0], [1, 4, 4, 1, 9, 0],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        Shapes.Select(s => new TestCaseData(s).SetArgDisplayNames($"{s[0]}x{s[1]}x{s[2]}, {s[3]} {(s[5] == 1 ? "channels" : "features")}, batch {s[4]}"));

    /// <summary>conv → BN2D → ReLU → flatten (fused) or conv → BN2D → flatten → ReLU (unfused), then dense and softmax; in 1D,
    /// flatten → dense → BN1D → ReLU (→ flatten) or BN1D → flatten → ReLU.</summary>
    private static Network Net(int[] s, bool fused)
    {
        var net = new Network(new Shape(s[0], s[1], s[2]), seed: 13);
        if (s[5] == 1) net.Add(new Conv2D(s[3], 3, padding: Padding.Same)).Add(new BatchNorm2D(momentum: 0.3f));
        else net.Add(new Flatten()).Add(new Dense(s[3])).Add(new BatchNorm1D(momentum: 0.3f));
        if (fused) net.Add(new ReLU()).Add(new Flatten());
        else net.Add(new Flatten()).Add(new ReLU());
        return net.Add(new Dense(5)).Add(new Softmax());
    }

    /// <summary>The value the ReLU writes: the fused stage's output, or the ReLU layer's stage's.</summary>
    private static int ReluValue(ExecutionPlan plan, bool fused) => fused
        ? plan.Stages.OfType<BatchNormReluStage>().Single().Output
        : plan.Stages.Single(st => st is LayerStage && plan.Layers[st.Layers[0]] is ReLU).Output;

    [TestCaseSource(nameof(Cases))]
    public void FusedEqualsBatchNormThenReluBitForBitOnEveryTierAndThreadCount(int[] s)
    {
        int n = s[4];
        var data = TestData.Random(new Shape(s[0], s[1], s[2]), n, s[3], classes: 5);
        int[] indices = Enumerable.Range(0, n).ToArray();
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Tiers.Threads(threads);
                string where = $"{tier}, {threads} thread(s)";
                var fused = Net(s, fused: true);
                var plain = Net(s, fused: false);
                fused.EnsureParameters();
                plain.EnsureParameters();
                SameBits(plain.GetParameters(), fused.GetParameters(), $"{where}: initial parameters");
                var fusedWs = fused.TrainingWorkspace(n);
                var plainWs = plain.TrainingWorkspace(n);
                Assert.That(fusedWs.Plan.Stages.OfType<BatchNormReluStage>().Count(), Is.EqualTo(1), fusedWs.Plan.Describe());
                Assert.That(plainWs.Plan.Stages.OfType<BatchNormReluStage>(), Is.Empty, plainWs.Plan.Describe());

                // One forward and backward pass: the ReLU's output, the network's output, the loss and every parameter gradient.
                double fusedLoss = fused.ComputeGradients(fusedWs, data, indices, new CrossEntropy(), out _);
                double plainLoss = plain.ComputeGradients(plainWs, data, indices, new CrossEntropy(), out _);
                var relu = plainWs.Value(ReluValue(plainWs.Plan, fused: false), n).ToArray();
                Assert.That(relu, Has.Some.EqualTo(0f).And.Some.GreaterThan(0f), $"{where}: the ReLU clips some values and passes others");
                SameBits(relu, fusedWs.Value(ReluValue(fusedWs.Plan, fused: true), n).ToArray(), $"{where}: batch norm + ReLU output");
                SameBits(plainWs.Value(plainWs.Plan.Output, n).ToArray(), fusedWs.Value(fusedWs.Plan.Output, n).ToArray(), $"{where}: training output");
                Assert.That(fusedLoss, Is.EqualTo(plainLoss), $"{where}: loss");
                Assert.That(plain.Gradients.ToArray(), Has.Some.Not.EqualTo(0f), $"{where}: the gradients are not all zero");
                SameBits(plain.Gradients.ToArray(), fused.Gradients.ToArray(), $"{where}: gradients");

                // Three Adam steps: the weights, γ, β and the running statistics.
                foreach (var net in new[] { fused, plain })
                {
                    var options = new TrainingOptions { BatchSize = n, Optimizer = new Adam(0.01f) };
                    options.Optimizer.Initialize(net.ParameterCount);
                    var ws = net.TrainingWorkspace(n);
                    for (int step = 0; step < 3; step++) net.TrainStep(ws, data, indices, options, out _);
                }
                SameBits(plain.GetParameters(), fused.GetParameters(), $"{where}: parameters after 3 steps");
                SameBits(plain.State.ToArray(), fused.State.ToArray(), $"{where}: running statistics after 3 steps");

                // Evaluation mode: the fused stage itself (epilogue off), and whatever the inference plan folds (epilogue on).
                foreach (bool epilogue in new[] { false, true })
                {
                    fused.FuseConvolutionEpilogue = plain.FuseConvolutionEpilogue = epilogue;
                    if (!epilogue) Assert.That(fused.InferenceWorkspace(n).Plan.Stages.OfType<BatchNormReluStage>().Count(), Is.EqualTo(1));
                    var expected = new float[n * 5];
                    var actual = new float[n * 5];
                    plain.Predict(data.Images, expected, n);
                    fused.Predict(data.Images, actual, n);
                    SameBits(expected, actual, $"{where}: predictions, epilogue {(epilogue ? "on" : "off")}");
                }
            }
    }

    private static void SameBits(float[] expected, float[] actual, string what) =>
        Engine.Tests.Kernels.ActivationTierTests.AssertSameBits(expected, actual, what);
}
