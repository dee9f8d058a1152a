namespace Engine.Tests.Tensors;

public class ShapeTests
{
    [Test]
    public void SizeRankAndText()
    {
        var s = new Shape(2, 3, 4, 5);
        Assert.Multiple(() =>
        {
            Assert.That(s.Rank, Is.EqualTo(4));
            Assert.That(s.Size, Is.EqualTo(120));
            Assert.That(s[2], Is.EqualTo(4));
            Assert.That(s.ToString(), Is.EqualTo("2×3×4×5"));
            Assert.That(s.WithoutBatch(), Is.EqualTo(new Shape(3, 4, 5)));
            Assert.That(new Shape(3, 4, 5).WithBatch(2), Is.EqualTo(s));
        });
    }

    [Test]
    public void RejectsBadDimensions()
    {
        Assert.Throws<ArgumentException>(() => _ = new Shape(1, 0, 3));
        Assert.Throws<ArgumentException>(() => _ = new Shape(1, 2, 3, 4, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Shape(1, 2)[2]);
    }

    [Test]
    public void PooledTensorIsZeroedAndChecksShape()
    {
        using var t = new Tensor(new Shape(3, 7));
        Assert.That(t.Span.ToArray(), Is.All.EqualTo(0f));
        t[2, 6] = 5;
        Assert.That(t[20], Is.EqualTo(5f));
        Assert.Throws<IndexOutOfRangeException>(() => _ = t[3, 0]);
        Assert.Throws<ArgumentException>(() => _ = new Tensor(new Shape(2, 2), new float[3]));
    }
}
