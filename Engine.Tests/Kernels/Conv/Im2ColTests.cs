using Engine.Kernels;
using Engine.Layers;
using Engine.Tests.Helpers;

namespace Engine.Tests.Kernels;

public class Im2ColTests
{
    [Test]
    public void HandComputedValidColumns()
    {
        // 3×3 image 1..9, 2×2 kernel: row (i, j) lists pixel (oh + i, ow + j) of each of the 4 windows.
        var g = LayerGeometry.Conv(1, 3, 3, 2, 2, 1, 1, Padding.Valid);
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var columns = new float[16];
        Im2Col.Forward(g, image, columns);
        Assert.That(columns, Is.EqualTo(new float[]
        {
            1, 2, 4, 5,
            2, 3, 5, 6,
            4, 5, 7, 8,
            5, 6, 8, 9,
        }));
    }

    [Test]
    public void HandComputedPaddedStridedColumns()
    {
        // 2×3 image, 2×2 kernel, stride 2, one zero row/column on every side: 2×2 windows
        // with top-left corners at (−1,−1), (−1,1), (1,−1), (1,1).
        var g = LayerGeometry.Conv(1, 2, 3, 2, 2, 2, 2, Padding.Explicit(1));
        float[] image = [1, 2, 3, 4, 5, 6];
        var columns = new float[16];
        Array.Fill(columns, float.NaN);
        Im2Col.Forward(g, image, columns);
        Assert.That(columns, Is.EqualTo(new float[]
        {
            0, 0, 0, 5, // (i, j) = (0, 0)
            0, 0, 4, 6, // (0, 1)
            0, 2, 0, 0, // (1, 0)
            1, 3, 0, 0, // (1, 1)
        }));
    }

    [Test]
    public void HandComputedChannelOrder()
    {
        // Two channels, 1×1 kernel: rows are the channels, columns the pixels.
        var g = LayerGeometry.Conv(2, 1, 2, 1, 1, 1, 1, Padding.Valid);
        var columns = new float[4];
        Im2Col.Forward(g, [1, 2, 3, 4], columns);
        Assert.That(columns, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Col2ImOfOnesCountsWindowsCoveringEachPixel()
    {
        var g = LayerGeometry.Conv(1, 3, 3, 2, 2, 1, 1, Padding.Valid);
        var columns = new float[16];
        Array.Fill(columns, 1f);
        var image = new float[9];
        Array.Fill(image, float.NaN);
        Im2Col.Backward(g, columns, image);
        Assert.That(image, Is.EqualTo(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }));
    }

    [Test]
    public void Col2ImDropsPadding()
    {
        // 1×1 image, 3×3 kernel, padding 1: one window, only its centre is the pixel.
        var g = LayerGeometry.Conv(1, 1, 1, 3, 3, 1, 1, Padding.Explicit(1));
        float[] columns = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var image = new float[1];
        Im2Col.Backward(g, columns, image);
        Assert.That(image[0], Is.EqualTo(5f));
    }

    // Batch and filter counts do not matter here; the shapes are those of the convolution tests plus a few extremes.
    private static IEnumerable<ConvCase> Geometries() => ConvCase.All().Concat(
    [
        new ConvCase(1, 2, 3, 4, 1, 5, 5, 1, 1, Padding.Explicit(1, 2)),
        new ConvCase(1, 1, 1, 1, 1, 1, 1, 3, 3, Padding.Valid),
        new ConvCase(1, 2, 7, 9, 1, 4, 2, 2, 3, Padding.Same),
        new ConvCase(1, 1, 4, 4, 1, 3, 3, 2, 2, Padding.Explicit(2, 0, 1, 3)),
    ]);

    [TestCaseSource(nameof(Geometries))]
    public void Col2ImIsTheAdjointOfIm2Col(ConvCase shape)
    {
        var g = shape.Geometry;
        // <im2col(x), c> == <x, col2im(c)>, both sums in double.
        float[] x = GradientCheck.Random(g.InputSize, 11);
        float[] c = GradientCheck.Random(g.ColumnSize, 12);
        var columns = new float[g.ColumnSize];
        var image = new float[g.InputSize];
        Array.Fill(columns, float.NaN);
        Array.Fill(image, float.NaN);
        Im2Col.Forward(g, x, columns);
        Im2Col.Backward(g, c, image);
        double left = 0, right = 0, scale = 0;
        for (int i = 0; i < columns.Length; i++) { left += (double)columns[i] * c[i]; scale += Math.Abs((double)columns[i] * c[i]); }
        for (int i = 0; i < image.Length; i++) right += (double)x[i] * image[i];
        Assert.That(left, Is.EqualTo(right).Within(1e-6 * (1 + scale)));
        Assert.That(scale, Is.GreaterThan(0), "the columns must hold some pixels");
    }

    // Wide rows exercise every vector width of the stride-1 fast path and all their tails.
    private static IEnumerable<ConvCase> WideGeometries() => Geometries().Concat(
        from width in new[] { 15, 16, 17, 31, 33, 40 }
        from stride in new[] { 1, 2, 3 }
        select new ConvCase(1, 2, 3, width, 1, 3, 3, stride, stride, Padding.Explicit(1, 2, 1, 2)));

    [TestCaseSource(nameof(WideGeometries))]
    public void Col2ImMatchesThePlainLoopBitForBit(ConvCase shape)
    {
        var g = shape.Geometry;
        float[] columns = GradientCheck.Random(g.ColumnSize, 13);
        var expected = new float[g.InputSize];
        int oh = g.OutputHeight, ow = g.OutputWidth;
        for (int c = 0; c < g.Channels; c++)
        for (int i = 0; i < g.KernelHeight; i++)
        for (int j = 0; j < g.KernelWidth; j++)
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            int ih = y * g.StrideHeight - g.PadTop + i, iw = x * g.StrideWidth - g.PadLeft + j;
            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
            expected[(c * g.Height + ih) * g.Width + iw] += columns[((c * g.KernelHeight + i) * g.KernelWidth + j) * oh * ow + y * ow + x];
        }
        var image = new float[g.InputSize];
        Array.Fill(image, float.NaN);
        Im2Col.Backward(g, columns, image);
        Assert.That(image, Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(Geometries))]
    public void EveryColumnElementIsAPixelOrZero(ConvCase shape)
    {
        var g = shape.Geometry;
        // Pixel values encode their own index, so each column element names where it came from.
        var x = new float[g.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = i + 1;
        var columns = new float[g.ColumnSize];
        Array.Fill(columns, float.NaN);
        Im2Col.Forward(g, x, columns);
        int ow = g.OutputWidth;
        for (int c = 0; c < g.Channels; c++)
        for (int i = 0; i < g.KernelHeight; i++)
        for (int j = 0; j < g.KernelWidth; j++)
        for (int oh = 0; oh < g.OutputHeight; oh++)
        for (int w = 0; w < ow; w++)
        {
            int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
            int ih = oh * g.StrideHeight - g.PadTop + i, iw = w * g.StrideWidth - g.PadLeft + j;
            float expected = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width ? (c * g.Height + ih) * g.Width + iw + 1 : 0;
            Assert.That(columns[row * g.ColumnCols + oh * ow + w], Is.EqualTo(expected), $"row {row}, column {oh * ow + w}");
        }
    }

    [Test]
    public void ShortSpansAreRejected()
    {
        var g = LayerGeometry.Conv(2, 4, 4, 3, 3, 1, 1, Padding.Valid);
        var e = Assert.Throws<ArgumentException>(() => Im2Col.Forward(g, new float[31], new float[g.ColumnSize]));
        Assert.That(e!.ParamName, Is.EqualTo("image"));
        e = Assert.Throws<ArgumentException>(() => Im2Col.Backward(g, new float[g.ColumnSize - 1], new float[32]));
        Assert.That(e!.ParamName, Is.EqualTo("columns"));
    }
}
