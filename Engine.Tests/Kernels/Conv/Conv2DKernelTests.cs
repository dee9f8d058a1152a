using Engine.Layers;
using Engine.Kernels;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

public class Conv2DKernelTests
{
    private static IEnumerable<ConvCase> Cases() => ConvCase.All();

    private static float[] Scratch(ConvGeometry g, int filters, int batch, int budget = Conv2DKernels.DefaultColumnBudget)
    {
        var columns = new float[Math.Max(g.ColumnSize, Conv2DKernels.ScratchSize(g, filters, batch, budget))];
        Array.Fill(columns, float.NaN); // stale scratch must not matter
        return columns;
    }

    private static float[] WeightScratch(ConvGeometry g, int filters) =>
        Enumerable.Repeat(float.NaN, (int)Conv2DKernels.WeightGradientScratchSize(g, filters)).ToArray();

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesDirectLoops(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters;
        float[] x = GradientCheck.Random(n * g.InputSize, 1);
        float[] w = GradientCheck.Random(f * g.ColumnRows, 2);
        float[] b = GradientCheck.Random(f, 3);
        var y = new float[n * f * g.ColumnCols];
        Array.Fill(y, float.NaN);
        Conv2DKernels.Forward(g, n, f, x, w, b, y, Cpu.ThreadCount);
        var (expected, scale) = DirectConvolution.Forward(g, n, f, x, w, b);
        DirectConvolution.AssertClose(y, expected, scale, "y");
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardWeightsAccumulatesDirectLoopGradients(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters;
        float[] x = GradientCheck.Random(n * g.InputSize, 4);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 5);
        float[] dw0 = GradientCheck.Random(f * g.ColumnRows, 6);
        float[] db0 = GradientCheck.Random(f, 7);
        var dw = (float[])dw0.Clone();
        var db = (float[])db0.Clone();
        Conv2DKernels.BackwardWeights(g, n, f, x, dy, dw, db, WeightScratch(g, f), Cpu.ThreadCount);

        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        for (int i = 0; i < ew.Length; i++) { ew[i] += dw0[i]; sw[i] += Math.Abs(dw0[i]); }
        for (int i = 0; i < eb.Length; i++) { eb[i] += db0[i]; sb[i] += Math.Abs(db0[i]); }
        DirectConvolution.AssertClose(dw, ew, sw, "dW");
        DirectConvolution.AssertClose(db, eb, sb, "db");
    }

    /// <summary>The weight gradient split over blocks of filters (each worker its own im2col, one hand-out per call): a first
    /// layer's shape (3 channels, filters off every register-tile height), bit-identical for 1–3 threads and on every tier to
    /// the one-thread loop, close to the double loops, bias included, with and without a bias.</summary>
    [TestCase(3, 12, 11, 32, true)]
    [TestCase(3, 10, 9, 25, false)]
    [TestCase(1, 16, 16, 13, true)]
    public void BackwardWeightsSplitOverFilterBlocksGivesTheOneThreadBits(int channels, int height, int width, int f, bool bias)
    {
        var g = ConvGeometry.Create(channels, height, width, 3, 3, 1, 1, 1, 1, 1, 1);
        int n = 40;
        Assert.That(2L * n * f * g.ColumnCols * g.ColumnRows, Is.GreaterThan(2 * ParallelFor.MinimumWorkPerPart), "large enough to split");
        float[] x = GradientCheck.Random(n * g.InputSize, 4);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 5);
        float[] dw0 = GradientCheck.Random(f * g.ColumnRows, 6);
        float[] db0 = bias ? GradientCheck.Random(f, 7) : [];
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        for (int i = 0; i < ew.Length; i++) { ew[i] += dw0[i]; sw[i] += Math.Abs(dw0[i]); }
        for (int i = 0; i < eb.Length; i++) { eb[i] += db0.ElementAtOrDefault(i); sb[i] += Math.Abs(db0.ElementAtOrDefault(i)); }
        foreach (var tier in Tiers.Available())
        {
            using var forced = Tiers.Force(tier);
            float[]? first = null, firstBias = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var dw = (float[])dw0.Clone();
                var db = (float[])db0.Clone();
                var scratch = Enumerable.Repeat(float.NaN, (int)Conv2DKernels.WeightGradientScratchSize(g, f, threads)).ToArray();
                Conv2DKernels.BackwardWeights(g, n, f, x, dy, dw, db, scratch, threads);
                string where = $"{tier}, {threads} thread(s)";
                DirectConvolution.AssertClose(dw, ew, sw, $"{where}: dW");
                if (bias) DirectConvolution.AssertClose(db, eb, sb, $"{where}: db");
                if (first is null) (first, firstBias) = (dw, db);
                else
                {
                    ActivationTierTests.AssertSameBits(first, dw, $"{where}: dW against 1 thread");
                    ActivationTierTests.AssertSameBits(firstBias!, db, $"{where}: db against 1 thread");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardDataMatchesDirectLoops(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters;
        float[] w = GradientCheck.Random(f * g.ColumnRows, 8);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 9);
        var dx = new float[n * g.InputSize];
        Array.Fill(dx, float.NaN); // overwritten, never read
        Conv2DKernels.BackwardData(g, n, f, w, dy, dx, Scratch(g, f, n), 1);
        var (expected, scale) = DirectConvolution.BackwardData(g, n, f, w, dy);
        DirectConvolution.AssertClose(dx, expected, scale, "dx");
    }

    [Test]
    public void HandComputedForward()
    {
        // 1×3×3 input 1..9, one 2×2 filter [[1,0],[0,-1]] (x[r,s] − x[r+1,s+1] = −4 everywhere), bias 0.5.
        var g = LayerGeometry.Conv(1, 3, 3, 2, 2, 1, 1, Engine.Layers.Padding.Valid);
        var y = new float[4];
        Conv2DKernels.Forward(g, 1, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 0, 0, -1], [0.5f], y, Cpu.ThreadCount);
        Assert.That(y, Is.EqualTo(new float[] { -3.5f, -3.5f, -3.5f, -3.5f }));
    }

    [Test]
    public void ShortSpansAreRejectedByName()
    {
        var shape = new ConvCase(2, 3, 5, 5, 4, 3, 3, 1, 1, Engine.Layers.Padding.Valid);
        var g = shape.Geometry;
        var x = new float[2 * g.InputSize];
        var w = new float[4 * g.ColumnRows];
        var b = new float[4];
        var y = new float[2 * 4 * g.ColumnCols];
        var columns = new float[Conv2DKernels.WeightGradientScratchSize(g, 4)];
        var grouped = new float[Conv2DKernels.ScratchSize(g, 4, 2)];
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.Forward(g, 2, 4, x.AsSpan(1), w, b, y, Cpu.ThreadCount))!.ParamName, Is.EqualTo("x"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.Forward(g, 2, 4, x, w.AsSpan(1), b, y, Cpu.ThreadCount))!.ParamName, Is.EqualTo("weights"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.Forward(g, 2, 4, x, w, b.AsSpan(1), y, Cpu.ThreadCount))!.ParamName, Is.EqualTo("bias"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.Forward(g, 2, 4, x, w, b, y.AsSpan(1), Cpu.ThreadCount))!.ParamName, Is.EqualTo("y"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.BackwardWeights(g, 2, 4, x, y, w, b, columns.AsSpan(1), Cpu.ThreadCount))!.ParamName, Is.EqualTo("scratch"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.BackwardWeights(g, 2, 4, x, y.AsSpan(1), w, b, columns, Cpu.ThreadCount))!.ParamName, Is.EqualTo("dy"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.BackwardWeights(g, 2, 4, x, y, w, b, columns.AsSpan(1), Cpu.ThreadCount))!.ParamName, Is.EqualTo("scratch"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.BackwardData(g, 2, 4, w, y, x.AsSpan(1), grouped, 1))!.ParamName, Is.EqualTo("dx"));
            Assert.That(Assert.Throws<ArgumentException>(() => Conv2DKernels.BackwardData(g, 2, 4, w, y, x, grouped.AsSpan(1), 1))!.ParamName, Is.EqualTo("columns"));
        });
    }

    // Conv shapes with batches large enough to split over samples, and per-sample GEMMs large enough to be threaded.
    private static IEnumerable<ConvCase> ThreadedCases() => ConvCase.All().Select(c => c with { Batch = 5 }).Concat(
    [
        new ConvCase(7, 16, 18, 17, 12, 3, 3, 1, 1, Engine.Layers.Padding.Same),
        new ConvCase(3, 8, 20, 20, 40, 3, 3, 2, 2, Engine.Layers.Padding.Same),
    ]);

    [TestCaseSource(nameof(ThreadedCases))]
    public void EveryTierAndThreadCountGivesTheSameBits(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters;
        float[] x = GradientCheck.Random(n * g.InputSize, 21);
        float[] w = GradientCheck.Random(f * g.ColumnRows, 22);
        float[] b = GradientCheck.Random(f, 23);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 24);
        float[] dw0 = GradientCheck.Random(f * g.ColumnRows, 25);
        float[] db0 = GradientCheck.Random(f, 26);

        (float[] Y, float[] Dw, float[] Db, float[] Dx) Run(ComputeTier tier, int threads)
        {
            using var forced = Tiers.Force(tier);
            using var threadScope = Tiers.Threads(threads);
            var columns = new float[Math.Max(g.ColumnSize * threads, Conv2DKernels.ScratchSize(g, f, n))];
            Array.Fill(columns, float.NaN);
            var y = new float[n * f * g.ColumnCols];
            var dx = new float[n * g.InputSize];
            float[] dw = (float[])dw0.Clone(), db = (float[])db0.Clone();
            Conv2DKernels.Forward(g, n, f, x, w, b, y, Cpu.ThreadCount);
            Conv2DKernels.BackwardWeights(g, n, f, x, dy, dw, db, WeightScratch(g, f), Cpu.ThreadCount);
            Conv2DKernels.BackwardData(g, n, f, w, dy, dx, columns, threads);
            return (y, dw, db, dx);
        }

        var expected = Run(ComputeTier.Scalar, 1);
        var (ey, _) = DirectConvolution.Forward(g, n, f, x, w, b);
        Assert.That(expected.Y.Select(v => (double)v), Is.EqualTo(ey).Within(1e-3), "the Scalar single-thread result is a convolution");
        foreach (ComputeTier tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var actual = Run(tier, threads);
                Assert.That(actual.Y, Is.EqualTo(expected.Y), $"y, {tier}, {threads} threads");
                Assert.That(actual.Dw, Is.EqualTo(expected.Dw), $"dW, {tier}, {threads} threads");
                Assert.That(actual.Db, Is.EqualTo(expected.Db), $"db, {tier}, {threads} threads");
                Assert.That(actual.Dx, Is.EqualTo(expected.Dx), $"dx, {tier}, {threads} threads");
            }
    }

    // Groups of G = 3 samples (the budget holds three column matrices): batches 1, G − 1, G, G + 1 and 2G + 1.
    private const int SmallGroup = 3;

    private static IEnumerable<TestCaseData> GroupCases()
    {
        var shapes = new[]
        {
            new ConvCase(1, 3, 7, 6, 5, 3, 3, 1, 1, Engine.Layers.Padding.Same),
            new ConvCase(1, 2, 9, 8, 13, 3, 2, 2, 1, Engine.Layers.Padding.Explicit(1, 0, 2, 1)),
            new ConvCase(1, 6, 14, 14, 16, 5, 5, 1, 1, Engine.Layers.Padding.Valid),
        };
        foreach (var shape in shapes)
            foreach (int batch in new[] { 1, SmallGroup - 1, SmallGroup, SmallGroup + 1, 2 * SmallGroup + 1 })
                yield return new TestCaseData(shape with { Batch = batch }).SetArgDisplayNames($"{shape.Channels}x{shape.Height}x{shape.Width} F{shape.Filters} N{batch}");
    }

    private static int Budget(ConvGeometry g) => SmallGroup * g.ColumnSize + g.ColumnSize / 2;

    [Test]
    public void GroupSizeDependsOnTheShapeOnly()
    {
        var g = new ConvCase(1, 6, 14, 14, 16, 5, 5, 1, 1, Engine.Layers.Padding.Valid).Geometry; // 150×100 columns
        Assert.Multiple(() =>
        {
            Assert.That(Conv2DKernels.GroupSize(g, Budget(g)), Is.EqualTo(SmallGroup));
            Assert.That(Conv2DKernels.GroupSize(g, 1), Is.EqualTo(1), "at least one sample");
            Assert.That(Conv2DKernels.GroupSize(g), Is.EqualTo(Conv2DKernels.DefaultColumnBudget / 15_000));
            Assert.That(Conv2DKernels.ScratchSize(g, 16, 2, Budget(g)), Is.EqualTo(2 * 100 * (150 + 16)), "a batch smaller than a group");
            Assert.That(Conv2DKernels.ScratchSize(g, 16, 50, Budget(g)), Is.EqualTo(SmallGroup * 100 * (150 + 16)));
        });
    }

    [TestCaseSource(nameof(GroupCases))]
    public void GradientsAcrossGroupBoundariesMatchDirectLoops(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters, budget = Budget(g);
        float[] x = GradientCheck.Random(n * g.InputSize, 31);
        float[] w = GradientCheck.Random(f * g.ColumnRows, 32);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 33);
        float[] dw0 = GradientCheck.Random(f * g.ColumnRows, 34);
        float[] db0 = GradientCheck.Random(f, 35);
        float[] dw = (float[])dw0.Clone(), db = (float[])db0.Clone();
        var dx = new float[n * g.InputSize];
        Array.Fill(dx, float.NaN);
        Conv2DKernels.BackwardWeights(g, n, f, x, dy, dw, db, WeightScratch(g, f), Cpu.ThreadCount);
        Conv2DKernels.BackwardData(g, n, f, w, dy, dx, Scratch(g, f, n, budget), 1, budget);

        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        for (int i = 0; i < ew.Length; i++) { ew[i] += dw0[i]; sw[i] += Math.Abs(dw0[i]); }
        for (int i = 0; i < eb.Length; i++) { eb[i] += db0[i]; sb[i] += Math.Abs(db0[i]); }
        var (ex, sx) = DirectConvolution.BackwardData(g, n, f, w, dy);
        DirectConvolution.AssertClose(dw, ew, sw, "dW");
        DirectConvolution.AssertClose(db, eb, sb, "db");
        DirectConvolution.AssertClose(dx, ex, sx, "dx");
    }

    [TestCaseSource(nameof(GroupCases))]
    public void GradientsAcrossGroupBoundariesAreBitIdenticalOnEveryTierAndThreadCount(ConvCase shape)
    {
        var g = shape.Geometry;
        int n = shape.Batch, f = shape.Filters;
        float[] x = GradientCheck.Random(n * g.InputSize, 41);
        float[] w = GradientCheck.Random(f * g.ColumnRows, 42);
        float[] dy = GradientCheck.Random(n * f * g.ColumnCols, 43);
        float[] dw0 = GradientCheck.Random(f * g.ColumnRows, 44);

        (float[] Dw, float[] Db, float[] Dx) Run(ComputeTier tier, int threads, int extraScratch, int budget)
        {
            using var forced = Tiers.Force(tier);
            using var threadScope = Tiers.Threads(threads);
            // More scratch than needed must not change the grouping.
            var columns = new float[Math.Max(g.ColumnSize, Conv2DKernels.ScratchSize(g, f, n, budget)) + extraScratch];
            Array.Fill(columns, float.NaN);
            float[] dw = (float[])dw0.Clone(), db = new float[f];
            var dx = new float[n * g.InputSize];
            Conv2DKernels.BackwardWeights(g, n, f, x, dy, dw, db, WeightScratch(g, f), Cpu.ThreadCount);
            Conv2DKernels.BackwardData(g, n, f, w, dy, dx, columns, threads, budget);
            return (dw, db, dx);
        }

        var expected = Run(ComputeTier.Scalar, 1, 0, Budget(g));
        foreach (ComputeTier tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 4 })
            {
                // Groups of 3, and single samples (budget 1) on up to `threads` threads: the same bits.
                foreach (int budget in new[] { Budget(g), 1 })
                {
                    var actual = Run(tier, threads, threads * g.ColumnSize, budget);
                    Assert.That(actual.Dw, Is.EqualTo(expected.Dw), $"dW, {tier}, {threads} threads, budget {budget}");
                    Assert.That(actual.Db, Is.EqualTo(expected.Db), $"db, {tier}, {threads} threads, budget {budget}");
                    Assert.That(actual.Dx, Is.EqualTo(expected.Dx), $"dx, {tier}, {threads} threads, budget {budget}");
                }
            }
    }
}
