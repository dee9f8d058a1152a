using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>The convolution family's plan: its choice of path by shape, its scratch sizes, and every path against the
/// plain reference kernel in Engine (itself checked against the double-precision loops of the tests).</summary>
public class ConvPlanTests
{
    [TestCaseSource(typeof(ConvCase), nameof(ConvCase.All))]
    public void TheReferenceKernelIsTheTextbookConvolution(ConvCase c)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters;
        var x = GradientCheck.Random(n * g.InputSize, 1);
        var w = GradientCheck.Random(f * g.ColumnRows, 2);
        var b = GradientCheck.Random(f, 3);
        var dy = GradientCheck.Random(n * f * g.ColumnCols, 4);
        var y = new float[n * f * g.ColumnCols];
        Conv2DReference.Forward(g, n, f, x, w, b, y);
        var (ey, sy) = DirectConvolution.Forward(g, n, f, x, w, b);
        DirectConvolution.AssertClose(y, ey, sy, "y");
        var dw = new float[f * g.ColumnRows];
        var db = new float[f];
        Conv2DReference.BackwardWeights(g, n, f, x, dy, dw, db);
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        DirectConvolution.AssertClose(dw, ew, sw, "dW");
        DirectConvolution.AssertClose(db, eb, sb, "db");
        var dx = Enumerable.Repeat(float.NaN, n * g.InputSize).ToArray();
        Conv2DReference.BackwardData(g, n, f, w, dy, dx);
        var (ex, sx) = DirectConvolution.BackwardData(g, n, f, w, dy);
        DirectConvolution.AssertClose(dx, ex, sx, "dx");
    }

    /// <summary>Shapes that take each path: direct and GEMM forward, fixed-order and GEMM weight gradients.</summary>
    public static IEnumerable<ConvCase> PathCases() => ConvCase.All().Concat(
    [
        new ConvCase(3, 1, 28, 28, 20, 3, 3, 1, 1, Padding.Valid),      // paper-mnist: direct, fixed-order
        new ConvCase(2, 3, 32, 32, 6, 4, 4, 1, 1, Padding.Valid),       // paper-cifar: direct, fixed-order
        new ConvCase(2, 6, 14, 14, 16, 5, 5, 1, 1, Padding.Valid),      // lenet5 conv2: direct forward, GEMM gradient
        new ConvCase(2, 32, 12, 12, 32, 3, 3, 1, 1, Padding.Explicit(1)), // cifar-convnet-like: GEMM everywhere
        new ConvCase(2, 9, 11, 13, 17, 3, 3, 2, 2, Padding.Same),       // strided
    ]);

    [TestCaseSource(nameof(PathCases))]
    public void EveryPathOnEveryTierAndThreadCountMatchesTheReference(ConvCase c)
    {
        var g = c.Geometry;
        int n = c.Batch, f = c.Filters;
        var x = GradientCheck.Random(n * g.InputSize, 5);
        var w = GradientCheck.Random(f * g.ColumnRows, 6);
        var b = GradientCheck.Random(f, 7);
        var dy = GradientCheck.Random(n * f * g.ColumnCols, 8);
        var (ey, sy) = DirectConvolution.Forward(g, n, f, x, w, b);
        var (ew, sw, eb, sb) = DirectConvolution.BackwardWeights(g, n, f, x, dy);
        var (ex, sx) = DirectConvolution.BackwardData(g, n, f, w, dy);
        ConvOutputs? first = null;
        foreach (var tier in Tiers.Available())
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var plan = ConvPlan.Create(g, f, n, threads);
                var scratch = Enumerable.Repeat(float.NaN, (int)plan.ScratchSize(training: true)).ToArray();
                var y = new float[n * f * g.ColumnCols];
                var dw = new float[f * g.ColumnRows];
                var db = new float[f];
                var dx = new float[n * g.InputSize];
                using (Tiers.Force(tier))
                {
                    plan.Forward(x, w, b, y, n, scratch);
                    plan.BackwardWeights(x, dy, dw, db, n, scratch);
                    plan.BackwardData(w, dy, dx, n, scratch);
                }
                string where = $"{tier}, {threads} threads, {plan}";
                DirectConvolution.AssertClose(y, ey, sy, $"{where}: y");
                DirectConvolution.AssertClose(dw, ew, sw, $"{where}: dW");
                DirectConvolution.AssertClose(db, eb, sb, $"{where}: db");
                DirectConvolution.AssertClose(dx, ex, sx, $"{where}: dx");
                var outputs = new ConvOutputs(y, dw, db, dx);
                if (first is null) first = outputs;
                else outputs.AssertSameBits(first, where);
            }
    }

    [Test]
    public void ThePathDependsOnTheShapeOnly()
    {
        var mnist = LayerGeometry.Conv(1, 28, 28, 3, 3, 1, 1, Padding.Valid);
        var deep = LayerGeometry.Conv(32, 16, 16, 5, 5, 1, 1, Padding.Explicit(2)); // 3×3 and 1×1 go to the blocked kernels (ConvBlockedTests)
        var strided = LayerGeometry.Conv(16, 9, 9, 3, 3, 2, 2, Padding.Same);
        foreach (int threads in new[] { 1, 4 })
            foreach (int batch in new[] { 1, 128 })
            {
                var p = ConvPlan.Create(mnist, 20, batch, threads);
                Assert.That((p.ForwardPath, p.WeightGradientPath), Is.EqualTo((ConvForwardPath.Direct, ConvWeightGradientPath.FixedOrderDots)));
                var q = ConvPlan.Create(deep, 64, batch, threads);
                Assert.That((q.ForwardPath, q.WeightGradientPath, q.DataGradientPath),
                    Is.EqualTo((ConvForwardPath.Im2ColGemm, ConvWeightGradientPath.Im2ColGemm, ConvDataGradientPath.GemmCol2Im)));
                Assert.That(ConvPlan.Create(strided, 8, batch, threads).ForwardPath, Is.EqualTo(ConvForwardPath.Im2ColGemm));
            }
        Assert.That(ConvPlan.Create(mnist, 20, 30, 1).ScratchSize(training: false), Is.EqualTo(Conv2DDirect.ScratchSize(mnist)),
            "the direct forward pass holds one padded sample per thread");
        Assert.That(ConvPlan.Create(mnist, 20, 30, 2).ScratchSize(training: false), Is.EqualTo(2 * Conv2DDirect.ScratchSize(mnist)));
        Assert.That(ConvPlan.Create(deep, 64, 30, 2).ScratchSize(training: false), Is.Zero, "the implicit im2col forward pass needs no scratch");
    }

    [Test]
    public void ShapesWhoseColumnMatricesAreTooLargeFallBackToTheReferenceBackward()
    {
        var huge = LayerGeometry.Conv(256, 256, 256, 5, 5, 1, 1, Padding.Same); // 6400 × 65536 column matrix (a 3×3 kernel would run blocked)
        Assert.That((long)huge.ColumnSize, Is.GreaterThan(ConvPlan.MaxColumnScratch));
        var plan = ConvPlan.Create(huge, 64, 8, 2);
        Assert.That((plan.ForwardPath, plan.WeightGradientPath, plan.DataGradientPath),
            Is.EqualTo((ConvForwardPath.Im2ColGemm, ConvWeightGradientPath.Reference, ConvDataGradientPath.Reference)));
        Assert.That(plan.ScratchSize(training: true), Is.Zero);
    }
}
