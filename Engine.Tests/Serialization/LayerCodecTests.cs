using Engine.Layers;
using Engine.Serialization;

namespace Engine.Tests.Serialization;

/// <summary>The per-layer configuration blocks of model files, layer by layer.</summary>
public class LayerCodecTests
{
    private static T RoundTrip<T>(T layer) where T : Layer
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            LayerCodec.Write(writer, layer);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var copy = (T)LayerCodec.Read(reader, layer.Kind);
        Assert.That(stream.Position, Is.EqualTo(stream.Length), "configuration not fully read");
        Assert.That(copy, Is.Not.SameAs(layer));
        Assert.That(copy.ToString(), Is.EqualTo(layer.ToString()));
        return copy;
    }

    [Test]
    public void MaxPool2DRoundTrip()
    {
        var copy = RoundTrip(new MaxPool2D(2, 3, 4, 5));
        Assert.That((copy.SizeHeight, copy.SizeWidth, copy.StrideHeight, copy.StrideWidth), Is.EqualTo((2, 3, 4, 5)));
    }

    [Test]
    public void AvgPool2DRoundTrip()
    {
        var copy = RoundTrip(new AvgPool2D(3, 1));
        Assert.That((copy.SizeHeight, copy.SizeWidth, copy.StrideHeight, copy.StrideWidth), Is.EqualTo((3, 3, 1, 1)));
    }

    [Test]
    public void LeakyReLURoundTrip()
    {
        var copy = RoundTrip(new LeakyReLU(0.123f));
        Assert.That(copy.Slope, Is.EqualTo(0.123f));
    }

    [Test]
    public void StatelessLayersRoundTrip()
    {
        Assert.That(RoundTrip(new Flatten()), Is.TypeOf<Flatten>());
        Assert.That(RoundTrip(new Sigmoid()), Is.TypeOf<Sigmoid>());
        Assert.That(RoundTrip(new ReLU()), Is.TypeOf<ReLU>());
        Assert.That(RoundTrip(new Softmax()), Is.TypeOf<Softmax>());
    }

    private static BinaryReader Bytes(Action<BinaryWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) write(writer);
        stream.Position = 0;
        return new BinaryReader(stream);
    }

    [TestCase(0, 2, 2, 2)]
    [TestCase(2, -1, 2, 2)]
    [TestCase(2, 2, 0, 2)]
    [TestCase(2, 2, 2, int.MinValue)]
    public void PoolingRejectsNonsense(int sh, int sw, int strH, int strW)
    {
        void Write(BinaryWriter w) { w.Write(sh); w.Write(sw); w.Write(strH); w.Write(strW); }
        var ex = Assert.Throws<InvalidDataException>(() => LayerCodec.Read(Bytes(Write), "MaxPool2D"));
        Assert.That(ex!.Message, Does.Contain("MaxPool2D"));
        ex = Assert.Throws<InvalidDataException>(() => LayerCodec.Read(Bytes(Write), "AvgPool2D"));
        Assert.That(ex!.Message, Does.Contain("AvgPool2D"));
    }

    [TestCase(1f)]
    [TestCase(-0.5f)]
    [TestCase(float.NaN)]
    [TestCase(float.NegativeInfinity)]
    public void LeakyReLURejectsNonsense(float slope)
    {
        var ex = Assert.Throws<InvalidDataException>(() => LayerCodec.Read(Bytes(w => w.Write(slope)), "LeakyReLU"));
        Assert.That(ex!.Message, Does.Contain("LeakyReLU"));
    }
}
