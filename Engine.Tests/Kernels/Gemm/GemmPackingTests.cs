using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>The GEMM packing routines on every tier (each is generic over the tier's register width).</summary>
public unsafe class GemmPackingTests
{
    /// <summary>TransposeRows on the width of the tier it is dispatched on.</summary>
    private readonly struct Transpose(float* source, int sourceStride, int rows, int depth, float* target, int targetStride) : IWidthKernel
    {
        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            GemmPacking.TransposeRows<TWidth, TVector>(source, sourceStride, rows, depth, target, targetStride);
    }

    /// <summary>PackB of the explicit columns, or PackBIm2Col of the image, on the width of the tier it is dispatched on.</summary>
    private readonly struct PackColumns(ConvGeometry g, float* columns, float* image, int depth0, int depth, int column0, int count, int nr, float* destination) : IWidthKernel
    {
        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            if (image is null)
                GemmPacking.PackB<TWidth, TVector>(false, columns, g.ColumnCols, depth0, depth, column0, count, nr, destination);
            else
                GemmPacking.PackBIm2Col<TWidth, TVector>(g, image, depth0, depth, column0, count, nr, destination);
        }
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void TransposeRowsMovesEveryElementForEveryRowAndDepthTail(ComputeTier tier)
    {
        // Rows and depths 0..20 cover every tail of the 8×8 and 4×4 register transposes.
        const int sourceStride = 37, targetStride = 21;
        var source = new float[20 * sourceStride];
        for (int i = 0; i < source.Length; i++) source[i] = i + 1;
        var target = new float[20 * targetStride];
        for (int rows = 0; rows <= 20; rows++)
        for (int depth = 0; depth <= 20; depth++)
        {
            Array.Fill(target, float.NaN);
            fixed (float* s = source, t = target)
            {
                var kernel = new Transpose(s, sourceStride, rows, depth, t, targetStride);
                TierDispatch.Run(tier, ref kernel);
            }
            for (int p = 0; p < 20; p++)
            for (int r = 0; r < targetStride; r++)
            {
                float expected = r < rows && p < depth ? source[r * sourceStride + p] : float.NaN;
                Assert.That(target[p * targetStride + r], Is.EqualTo(expected), $"{tier}: rows {rows}, depth {depth}: element (p {p}, r {r})");
            }
        }
    }

    private static IEnumerable<ConvCase> Geometries() => ConvCase.All().Concat(
    [
        new ConvCase(1, 3, 9, 33, 1, 3, 3, 1, 1, Padding.Same),
        new ConvCase(1, 2, 11, 10, 1, 5, 5, 1, 1, Padding.Valid),
        new ConvCase(1, 2, 9, 17, 1, 3, 3, 2, 2, Padding.Explicit(1, 2, 1, 2)),
    ]);

    private static IEnumerable<TestCaseData> TiersAndGeometries() =>
        from tier in Tiers.Available() from shape in Geometries() select new TestCaseData(tier, shape);

    [TestCaseSource(nameof(TiersAndGeometries))]
    public void ImplicitIm2ColPacksWhatPackBPacksFromTheExplicitColumns(ComputeTier tier, ConvCase shape)
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
                var packB = new PackColumns(g, c, null, depth0, depth, column0, count, nr, e);
                TierDispatch.Run(ComputeTier.Scalar, ref packB);
                var packIm2Col = new PackColumns(g, null, x, depth0, depth, column0, count, nr, a);
                TierDispatch.Run(tier, ref packIm2Col);
            }
            Assert.That(actual, Is.EqualTo(expected), $"{tier}: NR {nr}, depth {depth0}+{depth}, columns {column0}+{count}");
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
