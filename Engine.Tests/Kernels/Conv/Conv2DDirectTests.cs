using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

public class Conv2DDirectTests
{
    /// <summary>Stride-1 shapes: 1, 3 and 6 channels, kernels 1×1 to 5×5, every padding kind, filter counts
    /// that leave every remainder of the 4-filter block, and output widths 1…40: every tail of one and of two vectors, up to two AVX-512 registers past a row.</summary>
    public static IEnumerable<ConvCase> Cases()
    {
        yield return new(2, 1, 28, 28, 20, 3, 3, 1, 1, Padding.Valid);          // paper-mnist
        yield return new(2, 3, 32, 32, 6, 4, 4, 1, 1, Padding.Valid);           // paper-cifar
        yield return new(2, 1, 28, 28, 6, 5, 5, 1, 1, Padding.Explicit(2));     // lenet5 conv1
        yield return new(2, 6, 14, 14, 16, 5, 5, 1, 1, Padding.Valid);          // lenet5 conv2
        yield return new(1, 3, 9, 11, 5, 3, 2, 1, 1, Padding.Same);
        yield return new(3, 2, 7, 6, 7, 1, 1, 1, 1, Padding.Explicit(1, 0, 2, 1));
        for (int width = 1; width <= 40; width++)
            yield return new(1, 1, 4, width + 2, 1 + width % 5, 3, 3, 1, 1, Padding.Valid);
    }

    [TestCaseSource(nameof(Cases))]
    public void EveryTierMatchesTheDirectLoopsAndTheScalarTierBitForBit(ConvCase t)
    {
        var g = t.Geometry;
        Assert.That(Conv2DDirect.Supports(g), Is.True);
        var x = GradientCheck.Random(t.Batch * g.InputSize, 1);
        var w = GradientCheck.Random(t.Filters * g.ColumnRows, 2);
        var b = GradientCheck.Random(t.Filters, 3);
        var (expected, scale) = DirectConvolution.Forward(g, t.Batch, t.Filters, x, w, b);
        float[]? scalar = null;
        foreach (var tier in Tiers.Available().OrderBy(tier => tier))
        {
            var y = Enumerable.Repeat(float.NaN, t.Batch * t.Filters * g.ColumnCols).ToArray();
            var scratch = Enumerable.Repeat(float.NaN, Conv2DDirect.ScratchSize(g)).ToArray();
            using (Tiers.Force(tier))
                Conv2DDirect.Forward(g, t.Batch, t.Filters, x, w, b, y, scratch, 1);
            DirectConvolution.AssertClose(y, expected, scale, $"{tier} y");
            if (scalar is null) scalar = y;
            else Assert.That(y, Is.EqualTo(scalar).AsCollection, $"{tier} differs from Scalar");
        }
    }

    /// <summary>Every shape of the kernel tests (any stride and padding) plus long rows with every tail length mod 16.</summary>
    public static IEnumerable<ConvCase> WeightGradientCases()
    {
        foreach (var c in ConvCase.All().Where(c => Conv2DDirectWeights.Supports(c.Geometry, c.Filters))) yield return c;
        yield return new(2, 3, 32, 32, 6, 4, 4, 1, 1, Padding.Valid);       // paper-cifar
        yield return new(2, 1, 28, 28, 6, 5, 5, 1, 1, Padding.Explicit(2)); // lenet5 conv1
        yield return new(2, 1, 3, 40, 2, 1, 20, 1, 1, Padding.Valid);       // a window row wider than 16
        yield return new(3, 1, 28, 28, 20, 3, 3, 1, 1, Padding.Valid);      // paper-mnist
        for (int width = 3; width <= 20; width++)
            yield return new(2, 1, 5, width, 1 + width % 6, 3, 3, 1, 1, Padding.Valid);
    }

    [TestCaseSource(nameof(WeightGradientCases))]
    public void WeightGradientOnEveryTierMatchesTheDirectLoopsAndIsBitIdenticalAcrossTiers(ConvCase t)
    {
        var g = t.Geometry;
        var x = GradientCheck.Random(t.Batch * g.InputSize, 4);
        var dy = GradientCheck.Random(t.Batch * t.Filters * g.ColumnCols, 5);
        var dw0 = GradientCheck.Random(t.Filters * g.ColumnRows, 6);
        var db0 = GradientCheck.Random(t.Filters, 7);
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, t.Batch, t.Filters, x, dy);
        for (int i = 0; i < ew.Length; i++) { ew[i] += dw0[i]; sw[i] += Math.Abs(dw0[i]); }
        for (int i = 0; i < eb.Length; i++) { eb[i] += db0[i]; sb[i] += Math.Abs(db0[i]); }
        (float[] W, float[] B)? scalar = null;
        foreach (var tier in Tiers.Available().OrderBy(tier => tier))
        {
            var dw = (float[])dw0.Clone();
            var db = (float[])db0.Clone();
            var scratch = Enumerable.Repeat(float.NaN, (int)Conv2DDirectWeights.ScratchSize(g, t.Filters)).ToArray();
            using (Tiers.Force(tier))
                Conv2DDirectWeights.BackwardWeights(g, t.Batch, t.Filters, x, dy, dw, db, scratch, 1);
            DirectConvolution.AssertClose(dw, ew, sw, $"{tier} dW");
            DirectConvolution.AssertClose(db, eb, sb, $"{tier} db");
            if (scalar is not { } s) scalar = (dw, db);
            else
            {
                Assert.That(dw, Is.EqualTo(s.W).AsCollection, $"{tier} dW differs from Scalar");
                Assert.That(db, Is.EqualTo(s.B).AsCollection, $"{tier} db differs from Scalar");
            }
        }
    }

    [TestCase(1), TestCase(2), TestCase(4)]
    public void ForwardSplitOverThreadsGivesTheSameBits(int threads)
    {
        var g = LayerGeometry.Conv(1, 28, 28, 3, 3, 1, 1, Padding.Valid);
        const int batch = 30, filters = 20;
        var x = GradientCheck.Random(batch * g.InputSize, 1);
        var w = GradientCheck.Random(filters * g.ColumnRows, 2);
        var b = GradientCheck.Random(filters, 3);
        float[] Run(int count)
        {
            var y = new float[batch * filters * g.ColumnCols];
            using (Tiers.Threads(count))
                Conv2DDirect.Forward(g, batch, filters, x, w, b, y, new float[Conv2DDirect.ScratchSize(g) * count], count);
            return y;
        }
        Assert.That(Run(threads), Is.EqualTo(Run(1)).AsCollection);
    }

    /// <summary>Shapes large enough for the multi-threaded weight gradient: split by filter blocks (many filters, with a
    /// partial last block) and by weights (few filters), with padding, several channels and vector tails. Each is above the
    /// kernel's 1 Mflop threshold (2·N·F·K·OH·PW).</summary>
    public static IEnumerable<ConvCase> ThreadedWeightGradientCases()
    {
        yield return new(30, 1, 28, 28, 20, 3, 3, 1, 1, Padding.Valid);          // paper-mnist
        yield return new(5, 3, 32, 32, 6, 4, 4, 1, 1, Padding.Valid);            // paper-cifar
        yield return new(7, 1, 28, 28, 6, 5, 5, 1, 1, Padding.Explicit(2));      // lenet5 conv1
        yield return new(9, 1, 23, 21, 30, 3, 3, 1, 1, Padding.Same);            // 8 blocks, the last of 2 filters
        yield return new(10, 2, 19, 17, 13, 3, 2, 1, 1, Padding.Explicit(1, 0, 2, 1));
        yield return new(11, 3, 17, 29, 7, 2, 3, 1, 1, Padding.Valid);
    }

    [TestCaseSource(nameof(ThreadedWeightGradientCases))]
    public void WeightGradientSplitOverThreadsGivesTheSameBitsOnEveryTier(ConvCase t)
    {
        var g = t.Geometry;
        Assert.That(Conv2DDirectWeights.Supports(g, t.Filters), Is.True);
        var x = GradientCheck.Random(t.Batch * g.InputSize, 8);
        var dy = GradientCheck.Random(t.Batch * t.Filters * g.ColumnCols, 9);
        var dw0 = GradientCheck.Random(t.Filters * g.ColumnRows, 10);
        var db0 = GradientCheck.Random(t.Filters, 11);
        (float[] W, float[] B) Run(ComputeTier tier, int threads)
        {
            var dw = (float[])dw0.Clone();
            var db = (float[])db0.Clone();
            var scratch = Enumerable.Repeat(float.NaN, (int)Conv2DDirectWeights.ScratchSize(g, t.Filters, threads)).ToArray();
            using (Tiers.Force(tier))
                Conv2DDirectWeights.BackwardWeights(g, t.Batch, t.Filters, x, dy, dw, db, scratch, threads);
            return (dw, db);
        }
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, t.Batch, t.Filters, x, dy);
        for (int i = 0; i < ew.Length; i++) { ew[i] += dw0[i]; sw[i] += Math.Abs(dw0[i]); }
        for (int i = 0; i < eb.Length; i++) { eb[i] += db0[i]; sb[i] += Math.Abs(db0[i]); }
        var (w1, b1) = Run(ComputeTier.Scalar, 1);
        DirectConvolution.AssertClose(w1, ew, sw, "dW");
        DirectConvolution.AssertClose(b1, eb, sb, "db");
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 4 })
            {
                var (w, b) = Run(tier, threads);
                Assert.That(w, Is.EqualTo(w1).AsCollection, $"{tier}, {threads} threads: dW differs from Scalar on 1 thread");
                Assert.That(b, Is.EqualTo(b1).AsCollection, $"{tier}, {threads} threads: db differs from Scalar on 1 thread");
            }
    }

    [Test]
    public void StridedOrLargeReductionsAreNotSupported()
    {
        Assert.That(Conv2DDirect.Supports(LayerGeometry.Conv(1, 9, 9, 3, 3, 2, 2, Padding.Valid)), Is.False);
        Assert.That(Conv2DDirect.Supports(LayerGeometry.Conv(64, 8, 8, 3, 3, 1, 1, Padding.Same)), Is.False);
    }
}
