namespace Engine.Tests.Kernels;

/// <summary>The four results of one convolution's three passes, compared bit for bit between tiers and thread counts.</summary>
internal sealed record ConvOutputs(float[] Y, float[] Dw, float[] Db, float[] Dx)
{
    /// <summary>Asserts every result has exactly the bits of <paramref name="first"/>'s.</summary>
    public void AssertSameBits(ConvOutputs first, string where)
    {
        Assert.That(Y, Is.EqualTo(first.Y).AsCollection, $"{where}: y bits");
        Assert.That(Dw, Is.EqualTo(first.Dw).AsCollection, $"{where}: dW bits");
        Assert.That(Db, Is.EqualTo(first.Db).AsCollection, $"{where}: db bits");
        Assert.That(Dx, Is.EqualTo(first.Dx).AsCollection, $"{where}: dx bits");
    }
}
