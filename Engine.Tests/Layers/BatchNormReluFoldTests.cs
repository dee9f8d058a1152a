using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Layers;

/// <summary>
/// The fused batch norm + ReLU backward (<see cref="BatchNorm.BackwardThroughRelu"/>), which recomputes the ReLU's mask from
/// the input instead of reading a masked copy of the gradient, gives the bits of the two steps it replaces — the ReLU's
/// mask (<see cref="VectorOps.MaskByPositive"/> of dy by y) then <see cref="Layer.Backward"/> — on every tier and thread count.
/// </summary>
public class BatchNormReluFoldTests
{
    // [batch, channels, spatial]: spatial values around every tail of the 16 lanes and the vector widths; the last is split
    // over two threads (per-channel sums by whole channels, element-wise passes by planes).
    public static IEnumerable<int[]> Shapes() =>
        [[2, 3, 17], [1, 2, 2], [3, 5, 15], [2, 4, 16], [4, 1, 33], [2, 7, 9], [5, 6, 47], [3, 2, 64], [16, 19, 1201]];

    [TestCaseSource(nameof(Shapes))]
    public void FoldedMaskGivesTheBitsOfMaskingFirst(int[] shape)
    {
        int batch = shape[0], channels = shape[1], spatial = shape[2];
        var input = new Shape(channels, 1, spatial);
        // x around 0 so that about half of the ReLU's inputs are negative; exact zeros of dy too.
        var x = GradientCheck.Random(batch * channels * spatial, 31, -2, 2);
        var dy = GradientCheck.Random(x.Length, 32);
        for (int i = 0; i < dy.Length; i += 7) dy[i] = 0f;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2 })
            {
                using var forced = Tiers.Force(tier);
                using var scope = Tiers.Threads(threads);
                string where = $"{tier}, {threads} thread(s), [{batch}, {channels}, {spatial}]";
                var (plainDx, plainGradients) = Run(input, batch, x, dy, fold: false);
                var (foldedDx, foldedGradients) = Run(input, batch, x, dy, fold: true);
                Assert.That(foldedDx, Is.EqualTo(plainDx).AsCollection, $"{where}: dx");
                Assert.That(foldedGradients, Is.EqualTo(plainGradients).AsCollection, $"{where}: dγ, dβ");
                Assert.That(plainDx, Has.Some.Not.EqualTo(0f), where);
            }
    }

    /// <summary>One training forward pass with the fused ReLU, then the backward either way; returns dx and dγ, dβ.</summary>
    private static (float[] Dx, float[] Gradients) Run(Shape input, int batch, float[] x, float[] dy, bool fold)
    {
        var bound = GradientCheck.Bind(new BatchNorm2D(), input, batch, seed: 3);
        var norm = (BatchNorm)bound.Layer;
        Assert.That(norm.FoldsReluBackward, Is.True);
        var context = LayerHarness.Context(norm, batch);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        norm.Forward(x, y, batch, context, relu: true);
        Assert.That(y, Has.Some.EqualTo(0f).And.Some.GreaterThan(0f), "the ReLU both passes and stops values");
        if (fold) norm.BackwardThroughRelu(x, dy, dx, batch, context);
        else
        {
            var masked = new float[dy.Length];
            VectorOps.MaskByPositive(dy, y, masked, Cpu.ThreadCount);
            norm.Backward(x, y, masked, dx, batch, context);
        }
        return (dx, bound.BiasGradients.ToArray());
    }

    [Test]
    public void BatchNorm1DKeepsTheMaskedCopy()
    {
        var bound = GradientCheck.Bind(new BatchNorm1D(), new Shape(5), 3);
        var norm = (BatchNorm)bound.Layer;
        Assert.That(norm.FoldsReluBackward, Is.False);
        var buffer = new float[15];
        var error = Assert.Throws<InvalidOperationException>(() => norm.BackwardThroughRelu(buffer, buffer, buffer, 3, LayerHarness.Context(norm, 3)));
        Assert.That(error!.Message, Does.Contain("layer 0 (BatchNorm1D)"));
    }

    [Test]
    public void TheFusedStageNeedsNoTemporaryForPlanes()
    {
        var net = new Engine.Training.Network(new Shape(2, 6, 6), seed: 1)
            .Add(new Conv2D(4, 3, padding: Padding.Same, bias: false)).Add(new BatchNorm2D()).Add(new ReLU())
            .Add(new Flatten()).Add(new Dense(8)).Add(new BatchNorm1D()).Add(new ReLU()).Add(new Dense(10)).Add(new Softmax());
        var plan = net.TrainingWorkspace(4).Plan;
        var fused = plan.Stages.Where(s => s.GetType().Name == "BatchNormReluStage").ToArray();
        Assert.That(fused, Has.Length.EqualTo(2));
        Assert.That(fused[0].TemporarySize(4), Is.Zero, "BatchNorm2D folds the mask");
        Assert.That(fused[1].TemporarySize(4), Is.EqualTo(4 * 8), "BatchNorm1D masks into a temporary");
    }
}
