using Engine.Onnx;
using Engine.Training;

namespace Engine.Tests.Onnx;

/// <summary>
/// A damaged ONNX file is one <see cref="OnnxFormatException"/> naming it, whatever the damage: cut at any length, any byte
/// changed, or a length field claiming more than the file holds. (The fuzzing harness, Engine.Fuzz, goes on from here.)
/// </summary>
public class MalformedFileTests
{
    private static readonly byte[] Lenet = ModelZoo.Build("lenet5", ModelZoo.InputShape("lenet5"), seed: 1).ToOnnx();

    [Test]
    public void EveryTruncationIsRefused()
    {
        for (int length = 0; length < Lenet.Length; length += 1 + length / 16)
        {
            var e = Assert.Throws<OnnxFormatException>(() => OnnxImport.FromBytes(Lenet.AsSpan(0, length), "cut.onnx"), $"length {length}")!;
            Assert.That(e.Message, Does.StartWith("cut.onnx: "));
        }
    }

    [Test]
    public void EveryChangedByteIsRefusedOrImports()
    {
        // The header, every node and the first bytes of each initializer; weights themselves can take any value.
        var random = new Random(5);
        var copy = (byte[])Lenet.Clone();
        for (int i = 0; i < 4000; i++)
        {
            int at = i < 2000 ? i % Math.Min(Lenet.Length, 2000) : random.Next(Lenet.Length);
            byte was = copy[at];
            copy[at] = (byte)(i < 2000 ? was ^ (1 << (i % 8)) : random.Next(256));
            try { OnnxImport.FromBytes(copy, "bad.onnx"); }
            catch (OnnxFormatException e) { Assert.That(e.Message, Does.StartWith("bad.onnx: ")); }
            copy[at] = was;
        }
    }

    [Test]
    public void AHugeClaimedLengthIsRefusedWithoutAllocating()
    {
        // ModelProto field 7 (graph) claiming 2^62 bytes.
        byte[] bytes = [0x08, 0x07, 0x3A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImport.FromBytes(bytes, "huge.onnx"))!;
        Assert.That(e.Problem, Does.Contain("truncated"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024));
    }
}
