using Engine.Kernels;
using Engine.Layers;

namespace Engine.Tests.Kernels;

public class ConvGeometryTests
{
    [Test]
    public void ValidPaddingSizes()
    {
        var g = LayerGeometry.Conv(3, 28, 28, 5, 5, 1, 1, Padding.Valid);
        Assert.Multiple(() =>
        {
            Assert.That((g.OutputHeight, g.OutputWidth), Is.EqualTo((24, 24)));
            Assert.That(g.ColumnRows, Is.EqualTo(75));
            Assert.That(g.ColumnCols, Is.EqualTo(576));
            Assert.That(g.InputSize, Is.EqualTo(3 * 28 * 28));
        });
    }

    [TestCase(28, 28, 3, 1, 28, 28)]
    [TestCase(28, 28, 3, 2, 14, 14)]
    [TestCase(7, 9, 3, 2, 4, 5)]
    [TestCase(5, 5, 4, 3, 2, 2)]
    [TestCase(1, 1, 3, 1, 1, 1)]
    public void SamePaddingGivesCeilingOfInputOverStride(int h, int w, int kernel, int stride, int expectedH, int expectedW)
    {
        var g = LayerGeometry.Conv(1, h, w, kernel, kernel, stride, stride, Padding.Same);
        Assert.That((g.OutputHeight, g.OutputWidth), Is.EqualTo((expectedH, expectedW)));
        Assert.That(g.PadTop + g.PadBottom, Is.GreaterThanOrEqualTo(0));
        Assert.That(g.PadBottom - g.PadTop, Is.InRange(0, 1), "odd extra row goes to the bottom");
    }

    [Test]
    public void ExplicitPaddingIsUsedAsGiven()
    {
        // (10 + 1 + 2 − 3) / 2 + 1 = 6 rows; (7 + 0 + 3 − 2) / 1 + 1 = 9 columns.
        var g = LayerGeometry.Conv(2, 10, 7, 3, 2, 2, 1, Padding.Explicit(1, 2, 0, 3));
        Assert.That((g.PadTop, g.PadBottom, g.PadLeft, g.PadRight), Is.EqualTo((1, 2, 0, 3)));
        Assert.That((g.OutputHeight, g.OutputWidth), Is.EqualTo((6, 9)));
    }

    [Test]
    public void KernelLargerThanPaddedInputIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LayerGeometry.Conv(1, 3, 4, 5, 5, 1, 1, Padding.Valid));
        Assert.That(e!.Message, Does.Contain("5×5").And.Contain("3×4"));
        Assert.DoesNotThrow(() => LayerGeometry.Conv(1, 3, 4, 5, 5, 1, 1, Padding.Explicit(1)));
    }

    [Test]
    public void NonPositiveSizesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerGeometry.Conv(0, 3, 3, 1, 1, 1, 1, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerGeometry.Conv(1, 3, 3, 1, 0, 1, 1, Padding.Valid));
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerGeometry.Conv(1, 3, 3, 1, 1, 0, 1, Padding.Valid));
    }
}
