using Engine.Serialization;
using Engine.Tests.Training;
using Engine.Training;

namespace Engine.Tests.Serialization;

public class ModelFileTests
{
    private string _dir = "";

    [SetUp]
    public void CreateFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "simdcnn-model-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Test]
    public void SaveThenLoadIsBitExactAndPredictsTheSame()
    {
        var net = NetworkTests.SmallNet(3);
        var data = NetworkTests.Bands(40, 1);
        net.Fit(data, null, new TrainingOptions { Epochs = 2, BatchSize = 8 });
        net.Save(PathOf("m.bin"));
        var again = Network.Load(PathOf("m.bin"));
        Assert.Multiple(() =>
        {
            Assert.That(again.GetParameters(), Is.EqualTo(net.GetParameters()).AsCollection);
            Assert.That(again.Layers.Select(l => l.ToString()), Is.EqualTo(net.Layers.Select(l => l.ToString())));
            Assert.That(again.Seed, Is.EqualTo(net.Seed));
            Assert.That(again.Evaluate(data), Is.EqualTo(net.Evaluate(data)));
            Assert.That(File.ReadAllBytes(PathOf("m.bin")), Is.EqualTo(ModelFile.Serialize(again.ToModelContents())));
        });
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void ForeignFileIsRejected()
    {
        File.WriteAllText(PathOf("notes.txt"), "hello, this is not a model");
        var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("notes.txt")));
        Assert.That(e!.Message, Does.Contain("notes.txt").And.Contain("not a SimdCnn model"));
    }

    [Test]
    public void TruncatedFileIsRejectedAtEveryLength()
    {
        NetworkTests.SmallNet().Save(PathOf("m.bin"));
        var bytes = File.ReadAllBytes(PathOf("m.bin"));
        for (int length = 0; length < bytes.Length; length += Math.Max(1, length / 8))
        {
            File.WriteAllBytes(PathOf("cut.bin"), bytes[..length]);
            var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("cut.bin")), $"length {length}");
            Assert.That(e!.Message, Does.Contain("cut.bin"));
        }
    }

    [Test]
    public void FlippedByteIsDetected()
    {
        NetworkTests.SmallNet().Save(PathOf("m.bin"));
        var bytes = File.ReadAllBytes(PathOf("m.bin"));
        foreach (int at in new[] { 12, bytes.Length / 2, bytes.Length - 40, bytes.Length - 1 })
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x10;
            File.WriteAllBytes(PathOf("bad.bin"), damaged);
            var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("bad.bin")), $"byte {at}");
            Assert.That(e!.Message, Does.Contain("bad.bin").And.Contain("checksum").Or.Contain("corrupt"));
        }
    }

    [Test]
    public void NewerFormatVersionIsNamed()
    {
        NetworkTests.SmallNet().Save(PathOf("m.bin"));
        var bytes = File.ReadAllBytes(PathOf("m.bin"));
        bytes[8] = 9;
        File.WriteAllBytes(PathOf("v9.bin"), bytes);
        var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("v9.bin")));
        Assert.That(e!.Message, Does.Contain("version 9"));
    }

    [Test]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("nope.bin")));
        Assert.That(e!.Message, Does.Contain("nope.bin").And.Contain("does not exist"));
    }

    [TestCase(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "malformed")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }, "claims 2147483647 bytes")]
    [TestCase(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x08 }, "claims -2147483648 bytes")]
    [TestCase(new byte[] { 0x02, 0xC3, 0x28 }, "not UTF-8")]
    public void BadLayerKindIsOneModelFileError(byte[] kind, string problem)
    {
        var net = NetworkTests.SmallNet();
        var bytes = ModelFile.Serialize(net.ToModelContents());
        int first = 8 + 2 + 1 + 4 * net.InputShape.Rank + 8 + 4;   // magic, version, rank, dims, seed, layer count
        int oldLength = 1 + bytes[first];                          // the first kind: a one-byte length and its bytes
        var body = bytes[..first].Concat(kind).Concat(bytes[(first + oldLength)..^32]).ToArray();
        var file = body.Concat(System.Security.Cryptography.SHA256.HashData(body)).ToArray();   // a valid checksum: only the kind is wrong
        File.WriteAllBytes(PathOf("kind.bin"), file);
        var e = Assert.Throws<ModelFileException>(() => Network.Load(PathOf("kind.bin")));
        Assert.That(e!.Message, Does.Contain("kind.bin").And.Contain("layer 1").And.Contain(problem).And.Not.Contain("checksum"));
    }
}
