using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

/// <summary>
/// im2col and col2im on every tier, with every stride-1 run length 0..41 (the runs copied or added in registers,
/// so every tail of every width) and a padded row stride: exactly the plain loops' values and bits.
/// </summary>
public class Im2ColTierTests
{
    private static IEnumerable<TestCaseData> TiersAndWidths() =>
        from tier in Tiers.Available() from width in Enumerable.Range(1, 41) select new TestCaseData(tier, width);

    /// <summary>A 3×3 kernel with one column of padding each side: rows j = 0, 2 run W − 1 pixels, row j = 1 all W.</summary>
    private static ConvGeometry Geometry(int width) => LayerGeometry.Conv(2, 4, width, 3, 3, 1, 1, Padding.Explicit(1, 1, 1, 1));

    [TestCaseSource(nameof(TiersAndWidths))]
    public void Im2ColIsThePlainLoopOnEveryTier(ComputeTier tier, int width)
    {
        var g = Geometry(width);
        float[] image = GradientCheck.Random(g.InputSize, width);
        int spatial = g.ColumnCols, ld = spatial + 3;
        var columns = new float[(g.ColumnRows - 1) * ld + spatial + 1];
        Array.Fill(columns, float.NaN);
        using (Tiers.Force(tier)) Im2Col.Forward(g, image, columns, ld);

        int ow = g.OutputWidth;
        for (int row = 0; row < g.ColumnRows; row++)
        {
            int c = row / 9, i = row / 3 % 3, j = row % 3;
            for (int column = 0; column < spatial; column++)
            {
                int ih = column / ow - g.PadTop + i, iw = column % ow - g.PadLeft + j;
                float expected = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width ? image[(c * g.Height + ih) * g.Width + iw] : 0f;
                Assert.That(columns[row * ld + column], Is.EqualTo(expected), $"{tier}, width {width}: row {row}, column {column}");
            }
            for (int column = spatial; column < ld && row * ld + column < columns.Length; column++)
                Assert.That(columns[row * ld + column], Is.NaN, $"{tier}, width {width}: wrote the row padding of row {row}");
        }
    }

    [TestCaseSource(nameof(TiersAndWidths))]
    public void Col2ImIsThePlainLoopBitForBitOnEveryTier(ComputeTier tier, int width)
    {
        var g = Geometry(width);
        int spatial = g.ColumnCols, ld = spatial + 3, ow = g.OutputWidth;
        float[] columns = GradientCheck.Random((g.ColumnRows - 1) * ld + spatial, 100 + width);
        var expected = new float[g.InputSize];
        for (int row = 0; row < g.ColumnRows; row++)
        {
            int c = row / 9, i = row / 3 % 3, j = row % 3;
            for (int column = 0; column < spatial; column++)
            {
                int ih = column / ow - g.PadTop + i, iw = column % ow - g.PadLeft + j;
                if (ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width)
                    expected[(c * g.Height + ih) * g.Width + iw] += columns[row * ld + column];
            }
        }
        var image = new float[g.InputSize + 1];
        Array.Fill(image, float.NaN);
        using (Tiers.Force(tier)) Im2Col.Backward(g, columns, ld, image);
        ActivationTierTests.AssertSameBits(expected, image.AsSpan(0, g.InputSize), $"col2im on {tier}, width {width}");
        Assert.That(image[^1], Is.NaN, "wrote past the image");
    }

    [TestCaseSource(typeof(Tiers), nameof(Tiers.Available))]
    public void Im2ColAndCol2ImAllocateNothing(ComputeTier tier)
    {
        using var scope = Tiers.Force(tier);
        var g = Geometry(26);
        var image = new float[g.InputSize];
        var columns = new float[g.ColumnSize];
        void Once()
        {
            Im2Col.Forward(g, image, columns);
            Im2Col.Backward(g, columns, image);
        }
        Assert.That(Allocations.SteadyState(Once, warmUp: 2, runs: 1), Is.EqualTo(0));
    }
}
