using Engine.Layers;
using Engine.Optimizers;
using Engine.Tests.Helpers;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// DESIGN §3/§5 for the layers no zoo model combines: Tanh (fused with the padded max pooling after it), a padded max pooling on
/// its own, GlobalAvgPool2D and BatchNorm1D, behind the input normalisation that <see cref="TrainingOptions.NormalizeInputs"/>
/// computes — 0 bytes per steady-state training step and inference batch, on one and two threads (workers included).
/// </summary>
public class ModernLayerAllocationTests
{
    private static readonly Shape Input = new(3, 16, 16);

    private static Network Net() => new Network(Input, seed: 4)
        .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new Tanh()).Add(new MaxPool2D(3, 2, padding: 1))   // Tanh after the padded pool
        .Add(new Conv2D(16, 3, padding: Padding.Same)).Add(new MaxPool2D(2, 2, padding: 1)).Add(new ReLU())   // padded pool, then ReLU
        .Add(new GlobalAvgPool2D()).Add(new Dense(12)).Add(new BatchNorm1D()).Add(new Tanh())
        .Add(new Dense(10)).Add(new Softmax());

    [TestCase(1), TestCase(2)]
    public void TrainingStepAndInferenceBatchAllocateNothing(int threads)
    {
        using var scope = Tiers.Threads(threads);
        var net = Net();
        var data = TestData.Random(Input, 32, 5);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 16, Optimizer = new Adam(0.001f), NormalizeInputs = true, EvaluateTrainingSet = false };
        net.Fit(data, null, options);
        Assert.That(net.Normalization, Is.Not.Null, "NormalizeInputs set the input normalisation");
        var ws = net.TrainingWorkspace(16);
        var stages = ws.Plan.Stages.Select(s => s.GetType().Name).ToArray();
        Assert.That(stages[0], Is.EqualTo("NormalizeStage"), ws.Plan.Describe());
        Assert.That(stages, Does.Contain("PoolThenActivateStage"), ws.Plan.Describe());

        int[] indices = Enumerable.Range(0, 16).ToArray();
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.TrainStep(ws, data, indices, options, out _), warmUp: 5, runs: 4),
            Is.Zero, "training step");
        var output = new float[32 * 10];
        Assert.That(Allocations.SteadyStateWithWorkers(() => net.Predict(data.Images, output, 32), warmUp: 5, runs: 4), Is.Zero, "inference batch");
        Assert.That(output, Has.All.Matches<float>(float.IsFinite));
    }
}
