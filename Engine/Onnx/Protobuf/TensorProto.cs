using System.Buffers.Binary;

namespace Engine.Onnx.Protobuf;

/// <summary>ONNX's TensorProto.DataType values the engine reads, and the names of all of them for messages.</summary>
internal static class OnnxDataType
{
    public const int Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Double = 11;

    private static readonly string[] Names =
    [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
        "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
        "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1",
    ];

    /// <summary>The data type's name, e.g. <c>FLOAT16</c>.</summary>
    public static string Name(int type) => type >= 0 && type < Names.Length ? Names[type] : $"data type {type}";
}

/// <summary>
/// An ONNX TensorProto (field numbers of onnx.proto): dims = 1, data_type = 2, segment = 3, float_data = 4, int32_data = 5,
/// int64_data = 7, name = 8, raw_data = 9, double_data = 10, external_data = 13, data_location = 14. The values are decoded
/// when read — FLOAT and DOUBLE into <see cref="Floats"/>; INT64, INT32, INT8, UINT8 and BOOL into <see cref="Ints"/> — after checking that the
/// data present holds exactly the element count the dims give; other types keep their dims and type only.
/// </summary>
internal sealed class TensorProto
{
    /// <summary>The tensor's name (initializers are referred to by it).</summary>
    public string Name { get; set; } = "";

    /// <summary>The dimensions, outermost first (empty for a scalar).</summary>
    public long[] Dims { get; set; } = [];

    /// <summary>The element type (<see cref="OnnxDataType"/>).</summary>
    public int DataType { get; set; }

    /// <summary>The values of a FLOAT or DOUBLE tensor, row-major; null for other types.</summary>
    public float[]? Floats { get; set; }

    /// <summary>The values of an integer or BOOL tensor, row-major; null for other types.</summary>
    public long[]? Ints { get; set; }

    /// <summary>The offset of the tensor's message in its file.</summary>
    public long Offset { get; private set; }

    /// <summary>The number of elements the dims give.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Dims) count *= d;
            return count;
        }
    }

    /// <summary>Reads a file that holds one TensorProto (as the ONNX test data sets do).</summary>
    /// <exception cref="OnnxFormatException">The bytes are not a valid tensor.</exception>
    public static TensorProto Parse(ReadOnlySpan<byte> bytes, string file)
    {
        var reader = new ProtoReader(bytes, new DecodeLimits(file, bytes.Length));
        return Read(ref reader);
    }

    /// <summary>Reads the tensor from its message.</summary>
    public static TensorProto Read(ref ProtoReader r)
    {
        var tensor = new TensorProto { Offset = r.Offset };
        var dims = new List<long>();
        var floats = new List<float>();
        var doubles = new List<float>();
        var int32s = new List<long>();
        var int64s = new List<long>();
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false, external = false;
        while (r.NextField())
        {
            switch (r.Field)
            {
                case 1: r.ReadInt64s(dims); break;
                case 2: tensor.DataType = r.ReadInt32(); break;
                case 3: throw r.Fail($"tensor \"{tensor.Name}\" is stored in segments, which the engine does not read");
                case 4: r.ReadFloats(floats); break;
                case 5: r.ReadInt64s(int32s); break;
                case 7: r.ReadInt64s(int64s); break;
                case 8: tensor.Name = r.ReadString(); break;
                case 9: raw = r.ReadBytes(); hasRaw = true; break;
                case 10: r.ReadDoublesAsFloats(doubles); break;
                case 13: r.Skip(); external = true; break;
                case 14: external |= r.ReadInt32() == 1; break;
                default: r.Skip(); break;
            }
        }
        if (external)
            throw r.Limits.Fail(tensor.Offset, $"tensor \"{tensor.Name}\" keeps its data in an external file; the engine reads self-contained models only");
        tensor.Dims = [.. dims];
        long count = CheckedCount(tensor, r.Limits);
        switch (tensor.DataType)
        {
            case OnnxDataType.Float:
                tensor.Floats = hasRaw ? DecodeRaw(raw, count, 4, tensor, r.Limits, b => BinaryPrimitives.ReadSingleLittleEndian(b))
                                       : Exactly(floats, count, tensor, r.Limits);
                break;
            case OnnxDataType.Double:
                tensor.Floats = hasRaw ? DecodeRaw(raw, count, 8, tensor, r.Limits, b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b))
                                       : Exactly(doubles, count, tensor, r.Limits);
                break;
            case OnnxDataType.Int64:
                tensor.Ints = hasRaw ? DecodeRaw(raw, count, 8, tensor, r.Limits, BinaryPrimitives.ReadInt64LittleEndian)
                                     : Exactly(int64s, count, tensor, r.Limits);
                break;
            case OnnxDataType.Int32:
                tensor.Ints = hasRaw ? DecodeRaw(raw, count, 4, tensor, r.Limits, b => (long)BinaryPrimitives.ReadInt32LittleEndian(b))
                                     : Exactly(int32s, count, tensor, r.Limits);
                break;
            case OnnxDataType.Bool or OnnxDataType.UInt8:
                tensor.Ints = hasRaw ? DecodeRaw(raw, count, 1, tensor, r.Limits, b => (long)b[0]) : Exactly(int32s, count, tensor, r.Limits);
                break;
            case OnnxDataType.Int8:
                tensor.Ints = hasRaw ? DecodeRaw(raw, count, 1, tensor, r.Limits, b => (long)(sbyte)b[0]) : Exactly(int32s, count, tensor, r.Limits);
                break;
        }
        return tensor;
    }

    /// <summary>Writes the tensor: dims unpacked (as onnx.proto's proto2 writers do), floats as raw_data, integers as int64_data.</summary>
    public void Write(ProtoWriter w)
    {
        foreach (long d in Dims) w.WriteInt64(1, d);
        w.WriteInt64(2, DataType);
        w.WriteString(8, Name);
        if (Floats is not null) w.WriteFloatsAsBytes(9, Floats);
        else if (Ints is not null)
        {
            if (DataType != OnnxDataType.Int64) throw new InvalidOperationException($"Tensor {Name}: integers are written as INT64 only.");
            foreach (long i in Ints) w.WriteInt64(7, i);
        }
    }

    /// <summary>The element count the dims give, checked: no negative dim, no overflow. The data check comes after.</summary>
    private static long CheckedCount(TensorProto tensor, DecodeLimits limits)
    {
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0) throw limits.Fail(tensor.Offset, $"tensor \"{tensor.Name}\" has a negative dimension {d}");
            if (d != 0 && count > limits.InputLength / d)
                throw limits.Fail(tensor.Offset, $"tensor \"{tensor.Name}\" has dims [{string.Join(", ", tensor.Dims)}], more elements than the file can hold");
            count *= d;
        }
        return count;
    }

    private static T[] Exactly<T>(List<T> values, long count, TensorProto tensor, DecodeLimits limits)
    {
        if (values.Count != count)
            throw limits.Fail(tensor.Offset,
                $"tensor \"{tensor.Name}\" has dims [{string.Join(", ", tensor.Dims)}] ({count} elements) but holds {values.Count} values");
        return [.. values];
    }

    private static T[] DecodeRaw<T>(ReadOnlySpan<byte> raw, long count, int size, TensorProto tensor, DecodeLimits limits, ReadElement<T> read)
    {
        if (raw.Length != count * size)
            throw limits.Fail(tensor.Offset,
                $"tensor \"{tensor.Name}\" has dims [{string.Join(", ", tensor.Dims)}] ({count} elements of {size} bytes) but {raw.Length} bytes of raw data");
        limits.Charge(count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), tensor.Offset);
        var values = new T[count];
        for (int i = 0; i < values.Length; i++) values[i] = read(raw.Slice(i * size, size));
        return values;
    }

    private delegate T ReadElement<T>(ReadOnlySpan<byte> bytes);
}
