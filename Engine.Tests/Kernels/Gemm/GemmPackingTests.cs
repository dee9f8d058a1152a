using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

public unsafe class GemmPackingTests
{
    [Test]
    public void TransposeRowsMovesEveryElementForEveryRowAndDepthTail()
    {
        const int sourceStride = 37, targetStride = 21;
        var source = new float[20 * sourceStride];
        for (int i = 0; i < source.Length; i++) source[i] = i + 1;
        var target = new float[20 * targetStride];
        for (int rows = 0; rows <= 20; rows++)
        for (int depth = 0; depth <= 20; depth++)
        {
            Array.Fill(target, float.NaN);
            fixed (float* s = source, t = target) GemmPacking.TransposeRows(s, sourceStride, rows, depth, t, targetStride);
            for (int p = 0; p < 20; p++)
            for (int r = 0; r < targetStride; r++)
            {
                float expected = r < rows && p < depth ? source[r * sourceStride + p] : float.NaN;
                Assert.That(target[p * targetStride + r], Is.EqualTo(expected), $"rows {rows}, depth {depth}: element (p {p}, r {r})");
            }
        }
    }

    private static IEnumerable<ConvCase> Geometries() => ConvCase.All().Concat(
    [
        new ConvCase(1, 3, 9, 33, 1, 3, 3, 1, 1, Padding.Same),
        new ConvCase(1, 2, 11, 10, 1, 5, 5, 1, 1, Padding.Valid),
        new ConvCase(1, 2, 9, 17, 1, 3, 3, 2, 2, Padding.Explicit(1, 2, 1, 2)),
    ]);

    [TestCaseSource(nameof(Geometries))]
    public void ImplicitIm2ColPacksWhatPackBPacksFromTheExplicitColumns(ConvCase shape)
    {
        var g = shape.Geometry;
        float[] image = GradientCheck.Random(g.InputSize, 31);
        var columns = new float[g.ColumnSize];
        Im2Col.Forward(g, image, columns);
        int k = g.ColumnRows, n = g.ColumnCols;
        foreach (int nr in new[] { 4, 8, 16, 32 })
        foreach (var (depth0, depth) in new[] { (0, k), (k / 3, k - k / 3), (k - 1, 1) })
        foreach (var (column0, count) in new[] { (0, n), (n / 2, n - n / 2), (1, n - 2), (n - 1, 1) }.Where(r => r.Item2 >= 1))
        {
            int length = depth * ((count + nr - 1) / nr) * nr;
            float[] expected = new float[length], actual = new float[length];
            Array.Fill(actual, float.NaN);
            fixed (float* c = columns, e = expected, x = image, a = actual)
            {
                GemmPacking.PackB(false, c, n, depth0, depth, column0, count, nr, e);
                GemmPacking.PackBIm2Col(g, x, depth0, depth, column0, count, nr, a);
            }
            Assert.That(actual, Is.EqualTo(expected), $"NR {nr}, depth {depth0}+{depth}, columns {column0}+{count}");
        }
    }

    [TestCaseSource(nameof(Geometries))]
    public void MultiplyIm2ColGivesTheBitsOfTheExplicitProductOnEveryTier(ConvCase shape)
    {
        var g = shape.Geometry;
        const int m = 13;
        float[] image = GradientCheck.Random(g.InputSize, 32);
        float[] weights = GradientCheck.Random(m * g.ColumnRows, 33);
        var columns = new float[g.ColumnSize];
        Im2Col.Forward(g, image, columns);
        foreach (ComputeTier tier in Tiers.Available())
        {
            using var forced = Tiers.Force(tier);
            float[] expected = new float[m * g.ColumnCols], actual = new float[m * g.ColumnCols];
            Array.Fill(actual, float.NaN);
            Gemm.Multiply(false, false, m, g.ColumnCols, g.ColumnRows, weights, g.ColumnRows, columns, g.ColumnCols, 0f, expected, g.ColumnCols);
            Gemm.MultiplyIm2Col(m, weights, g.ColumnRows, g, image, actual, g.ColumnCols);
            Assert.That(actual, Is.EqualTo(expected), tier.ToString());
        }
    }
}
