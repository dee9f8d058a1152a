using System.Text;
using Engine.Onnx;
using Engine.Onnx.Protobuf;

namespace Engine.Tests.Onnx;

/// <summary>The protobuf wire format: values round-trip, both encodings of repeated scalars read alike, unknown fields are skipped,
/// and every malformed or oversized input is one <see cref="OnnxFormatException"/> naming the input and the offset.</summary>
public class ProtobufTests
{
    private static ProtoReader Reader(byte[] bytes, string name = "bytes") => new(bytes, new DecodeLimits(name, bytes.Length));

    [TestCase(0L)]
    [TestCase(1L)]
    [TestCase(127L)]
    [TestCase(128L)]
    [TestCase(300L)]
    [TestCase(long.MaxValue)]
    [TestCase(-1L)]
    [TestCase(long.MinValue)]
    public void Int64RoundTrips(long value)
    {
        var w = new ProtoWriter();
        w.WriteInt64(5, value);
        var r = Reader(w.WrittenSpan.ToArray());
        Assert.That(r.NextField(), Is.True);
        Assert.That((r.Field, r.Wire), Is.EqualTo((5, WireType.Varint)));
        Assert.That(r.ReadInt64(), Is.EqualTo(value));
        Assert.That(r.NextField(), Is.False);
    }

    [Test]
    public void KnownEncodingsAreWrittenExactly()
    {
        var w = new ProtoWriter();
        w.WriteInt64(1, 150);      // the protobuf guide's example: 08 96 01
        w.WriteString(2, "testing"); // 12 07 74 65 73 74 69 6e 67
        w.WriteFloat(3, 1f);        // 1d 00 00 80 3f
        Assert.That(Convert.ToHexString(w.WrittenSpan), Is.EqualTo("089601" + "120774657374696E67" + "1D0000803F"));
    }

    [Test]
    public void StringsFloatsAndNestedMessagesRoundTrip()
    {
        var w = new ProtoWriter();
        w.WriteString(1, "größe ✓");
        w.WriteFloat(2, -2.5f);
        w.WriteMessage(3, 42L, static (inner, v) => inner.WriteInt64(1, v));
        var r = Reader(w.WrittenSpan.ToArray());
        r.NextField();
        Assert.That(r.ReadString(), Is.EqualTo("größe ✓"));
        r.NextField();
        Assert.That(r.ReadFloat(), Is.EqualTo(-2.5f));
        r.NextField();
        var inner = r.ReadMessage();
        inner.NextField();
        Assert.That(inner.ReadInt64(), Is.EqualTo(42L));
        Assert.That(inner.NextField(), Is.False);
        Assert.That(r.NextField(), Is.False);
    }

    [Test]
    public void PackedAndUnpackedRepeatedScalarsReadAlikeAndConcatenate()
    {
        // field 1 unpacked 3, then packed [1, 300, -1], then unpacked 7; field 2 packed floats [1, 2] then unpacked 3.
        var bytes = Convert.FromHexString("0803" + "0A0D" + "01AC02FFFFFFFFFFFFFFFFFF01" + "0807" + "12080000803F00000040" + "150000403F");
        var r = Reader(bytes);
        var ints = new List<long>();
        var floats = new List<float>();
        while (r.NextField())
        {
            if (r.Field == 1) r.ReadInt64s(ints);
            else r.ReadFloats(floats);
        }
        Assert.That(ints, Is.EqualTo(new long[] { 3, 1, 300, -1, 7 }));
        Assert.That(floats, Is.EqualTo(new[] { 1f, 2f, 0.75f }));
    }

    [Test]
    public void UnknownFieldsOfEveryWireTypeAreSkipped()
    {
        // 99: varint, 98: fixed64, 97: bytes, 96: fixed32, then field 1 = 5.
        var bytes = Convert.FromHexString("98068001" + "91060102030405060708" + "8A0603414243" + "8506AABBCCDD" + "0805");
        var r = Reader(bytes);
        long? value = null;
        while (r.NextField())
        {
            if (r.Field == 1) value = r.ReadInt64();
            else r.Skip();
        }
        Assert.That(value, Is.EqualTo(5));
    }

    [TestCase("0A05414243", "truncated", 1, TestName = "a length beyond the message")]
    [TestCase("0880", "truncated", 2, TestName = "a varint cut short")]
    [TestCase("08FFFFFFFFFFFFFFFFFF7F", "more than 64 bits", 10, TestName = "a varint over 64 bits")]
    [TestCase("0B", "group", 0, TestName = "the group wire type")]
    [TestCase("0E", "invalid wire type", 0, TestName = "wire type 6")]
    [TestCase("0005", "field number 0", 0, TestName = "field number 0")]
    [TestCase("0D0000", "truncated", 1, TestName = "a fixed32 cut short")]
    public void MalformedBytesAreOneErrorWithTheOffset(string hex, string problem, long offset)
    {
        var e = Assert.Throws<OnnxFormatException>(() =>
        {
            var r = Reader(Convert.FromHexString(hex), "cut.bin");
            while (r.NextField()) r.Skip();
        })!;
        Assert.That(e.Message, Does.StartWith("cut.bin: ").And.Contain(problem));
        Assert.That(e.Offset, Is.EqualTo(offset));
    }

    [Test]
    public void AWireTypeOtherThanTheFieldsIsRefused()
    {
        var e = Assert.Throws<OnnxFormatException>(() =>
        {
            var r = Reader(Convert.FromHexString("0A0141")); // field 1 as bytes, read as an int64
            r.NextField();
            r.ReadInt64();
        })!;
        Assert.That(e.Problem, Does.Contain("wire type 2"));
    }

    [Test]
    public void InvalidUtf8IsRefused()
    {
        var e = Assert.Throws<OnnxFormatException>(() =>
        {
            var r = Reader(Convert.FromHexString("0A02C328"));
            r.NextField();
            r.ReadString();
        })!;
        Assert.That(e.Problem, Does.Contain("UTF-8"));
    }

    [Test]
    public void NestingIsBounded()
    {
        byte[] message = [];
        for (int i = 0; i < DecodeLimits.MaxDepth + 5; i++) message = [0x0A, .. Varint(message.Length), .. message];
        var e = Assert.Throws<OnnxFormatException>(() =>
        {
            var r = Reader(message);
            Descend(ref r);
        })!;
        Assert.That(e.Problem, Does.Contain("nested deeper"));

        static void Descend(ref ProtoReader r)
        {
            while (r.NextField())
            {
                var inner = r.ReadMessage();
                Descend(ref inner);
            }
        }
    }

    [Test]
    public void TheAllocationBudgetIsAMultipleOfTheInput()
    {
        var limits = new DecodeLimits("small.onnx", 100);
        limits.Charge(100 * DecodeLimits.BudgetPerInputByte + DecodeLimits.BudgetSlack, 0);
        var e = Assert.Throws<OnnxFormatException>(() => limits.Charge(1, 7))!;
        Assert.That(e.Message, Does.Contain("small.onnx").And.Contain("budget"));
    }

    [Test]
    public void TensorValuesDecodeFromEveryEncoding()
    {
        var raw = new TensorProto { Name = "w", DataType = OnnxDataType.Float, Dims = [2, 2], Floats = [1f, -2f, 3.5f, 0f] };
        var w = new ProtoWriter();
        raw.Write(w);
        var back = TensorProto.Parse(w.WrittenSpan, "t.pb");
        Assert.That((back.Name, back.Dims, back.Floats), Is.EqualTo(("w", new long[] { 2, 2 }, new[] { 1f, -2f, 3.5f, 0f })));

        // dims 3 (unpacked), FLOAT, float_data packed; DOUBLE in double_data; INT32 in int32_data.
        Assert.That(TensorProto.Parse(Convert.FromHexString("08031001220C0000803F0000004000004040"), "f.pb").Floats, Is.EqualTo(new[] { 1f, 2f, 3f }));
        Assert.That(TensorProto.Parse(Convert.FromHexString("0801100B5208000000000000F83F"), "d.pb").Floats, Is.EqualTo(new[] { 1.5f }));
        Assert.That(TensorProto.Parse(Convert.FromHexString("080210062A0302FF01"), "i.pb").Ints, Is.EqualTo(new long[] { 2, 255 }));
    }

    [TestCase("0803100122080000803F00000040", "holds 2 values", TestName = "fewer float_data values than dims give")]
    [TestCase("080310014A080000000000000000", "raw data", TestName = "raw_data of the wrong length")]
    [TestCase("08FFFFFFFFFFFFFFFFFF011001", "negative dimension", TestName = "a negative dim")]
    [TestCase("0880C0CAF384A302100122040000803F", "more elements than the file can hold", TestName = "a dim larger than the file")]
    [TestCase("0801100170014A040000803F", "external file", TestName = "external data")]
    public void MalformedTensorsAreRefusedBeforeAllocating(string hex, string problem)
    {
        var e = Assert.Throws<OnnxFormatException>(() => TensorProto.Parse(Convert.FromHexString(hex), "bad.pb"))!;
        Assert.That(e.Message, Does.StartWith("bad.pb: ").And.Contain(problem));
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80) { bytes.Add((byte)(value | 0x80)); value >>= 7; }
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
