using System.Buffers.Binary;
using System.Text;

namespace Engine.Onnx.Protobuf;

/// <summary>The protobuf wire types (groups, 3 and 4, are deprecated and refused: ONNX never uses them).</summary>
internal enum WireType
{
    /// <summary>A base-128 varint (int32, int64, enums, bools).</summary>
    Varint = 0,
    /// <summary>8 little-endian bytes (double, fixed64).</summary>
    Fixed64 = 1,
    /// <summary>A varint length, then that many bytes (strings, bytes, messages, packed repeated scalars).</summary>
    LengthDelimited = 2,
    /// <summary>4 little-endian bytes (float, fixed32).</summary>
    Fixed32 = 5,
}

/// <summary>
/// What one decode of untrusted bytes may spend, shared by all the readers of nested messages: a total allocation budget (a
/// multiple of the input's length, so nothing a file says makes the process allocate more than a constant times the data it
/// holds), a nesting limit, and the name the errors give.
/// </summary>
internal sealed class DecodeLimits
{
    /// <summary>Bytes of managed memory a decode may allocate per byte of input (an empty 2-byte message costs an object).</summary>
    internal const long BudgetPerInputByte = 64;

    /// <summary>Allocation allowed on top of the proportional budget, for the fixed costs of small files.</summary>
    internal const long BudgetSlack = 1 << 20;

    /// <summary>The deepest nesting of messages read (ONNX's schema needs 6).</summary>
    internal const int MaxDepth = 32;

    /// <summary>What one decoded message object is charged, whatever its encoded size.</summary>
    internal const long MessageCost = 64;

    private long _remaining;

    /// <summary>Limits for decoding <paramref name="inputLength"/> bytes of <paramref name="file"/>.</summary>
    public DecodeLimits(string file, long inputLength)
    {
        File = file;
        InputLength = inputLength;
        _remaining = inputLength * BudgetPerInputByte + BudgetSlack;
    }

    /// <summary>The file named in errors.</summary>
    public string File { get; }

    /// <summary>The length of the input in bytes.</summary>
    public long InputLength { get; }

    /// <summary>Takes <paramref name="bytes"/> from the budget before they are allocated.</summary>
    /// <exception cref="OnnxFormatException">The budget would be exceeded.</exception>
    public void Charge(long bytes, long offset)
    {
        if (bytes < 0 || bytes > _remaining)
            throw Fail(offset, $"the file asks for more memory than its {InputLength} bytes can hold (allocation budget exhausted)");
        _remaining -= bytes;
    }

    /// <summary>The error for a malformed input at <paramref name="offset"/>.</summary>
    public OnnxFormatException Fail(long offset, string problem) => new(File, problem, offset);
}

/// <summary>
/// Reads one protobuf message from a span: fields in order as (number, wire type), then their values. Every length is
/// checked against the bytes really left before anything is read or allocated; nested messages are readers over their own
/// bytes (one level deeper, bounded); fields the caller does not know are skipped with <see cref="Skip"/>.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _base;
    private readonly int _depth;
    private int _position;
    private int _field;
    private WireType _wire;
    private long _fieldStart;

    /// <summary>A reader over a whole input (a top-level message).</summary>
    public ProtoReader(ReadOnlySpan<byte> data, DecodeLimits limits) : this(data, 0, 0, limits) { }

    private ProtoReader(ReadOnlySpan<byte> data, long baseOffset, int depth, DecodeLimits limits)
    {
        _data = data;
        _base = baseOffset;
        _depth = depth;
        Limits = limits;
        _position = 0;
        _field = 0;
        _wire = WireType.Varint;
        _fieldStart = baseOffset;
    }

    /// <summary>The limits shared by this decode.</summary>
    public DecodeLimits Limits { get; }

    /// <summary>The absolute offset of the next byte in the input.</summary>
    public readonly long Offset => _base + _position;

    /// <summary>The number of the field whose value comes next.</summary>
    public readonly int Field => _field;

    /// <summary>The wire type of the field whose value comes next.</summary>
    public readonly WireType Wire => _wire;

    /// <summary>Reads the next field's key; false at the end of the message.</summary>
    /// <exception cref="OnnxFormatException">The key is malformed, names field 0, or has a wire type protobuf lacks or ONNX never uses.</exception>
    public bool NextField()
    {
        if (_position >= _data.Length) return false;
        _fieldStart = Offset;
        ulong key = ReadVarint();
        ulong number = key >> 3;
        if (number == 0 || number > 536_870_911)
            throw Limits.Fail(_fieldStart, $"invalid protobuf field number {number}");
        int wire = (int)(key & 7);
        if (wire is 3 or 4)
            throw Limits.Fail(_fieldStart, $"field {number} uses the deprecated group encoding, which ONNX never uses");
        if (wire is 6 or 7)
            throw Limits.Fail(_fieldStart, $"field {number} has invalid wire type {wire}");
        _field = (int)number;
        _wire = (WireType)wire;
        return true;
    }

    /// <summary>A base-128 varint (at most 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0, i = 0; i < 10; i++, shift += 7)
        {
            if (_position >= _data.Length) throw Limits.Fail(Offset, "truncated: the file ends inside a varint");
            byte b = _data[_position++];
            if (i == 9 && b > 1) throw Limits.Fail(Offset - 1, "malformed varint: more than 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Limits.Fail(Offset, "malformed varint: longer than 10 bytes");
    }

    /// <summary>An int64 field (varint, two's complement).</summary>
    public long ReadInt64()
    {
        Expect(WireType.Varint);
        return (long)ReadVarint();
    }

    /// <summary>An int32 or enum field: a varint whose value must fit 32 bits signed.</summary>
    public int ReadInt32()
    {
        Expect(WireType.Varint);
        long start = Offset;
        long value = (long)ReadVarint();
        if (value is < int.MinValue or > int.MaxValue)
            throw Limits.Fail(start, $"field {_field}: value {value} does not fit a 32-bit integer");
        return (int)value;
    }

    /// <summary>A float field (fixed32).</summary>
    public float ReadFloat()
    {
        Expect(WireType.Fixed32);
        return BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    }

    /// <summary>A double field (fixed64).</summary>
    public double ReadDouble()
    {
        Expect(WireType.Fixed64);
        return BinaryPrimitives.ReadDoubleLittleEndian(Take(8));
    }

    /// <summary>A bytes field: a view of the input (nothing is copied or allocated).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        Expect(WireType.LengthDelimited);
        return Take(ReadLength());
    }

    /// <summary>A string field (UTF-8; charged to the budget).</summary>
    /// <exception cref="OnnxFormatException">The bytes are not valid UTF-8.</exception>
    public string ReadString()
    {
        long start = Offset;
        var bytes = ReadBytes();
        Limits.Charge(2L * bytes.Length + 32, start);
        try { return Strict.GetString(bytes); }
        catch (DecoderFallbackException) { throw Limits.Fail(start, $"field {_field}: a string that is not valid UTF-8"); }
    }

    /// <summary>An embedded message field: a reader over its bytes, one level deeper (charged as one object).</summary>
    /// <exception cref="OnnxFormatException">Messages are nested deeper than <see cref="DecodeLimits.MaxDepth"/>.</exception>
    public ProtoReader ReadMessage()
    {
        Expect(WireType.LengthDelimited);
        int length = ReadLength();
        long start = Offset;
        if (_depth + 1 > DecodeLimits.MaxDepth)
            throw Limits.Fail(start, $"messages nested deeper than {DecodeLimits.MaxDepth} levels");
        Limits.Charge(DecodeLimits.MessageCost, start);
        var inner = _data.Slice(_position, length);
        _position += length;
        return new ProtoReader(inner, start, _depth + 1, Limits);
    }

    /// <summary>Appends a repeated int64 field's values, packed (one length-delimited run) or not (one varint).</summary>
    public void ReadInt64s(List<long> values)
    {
        if (_wire != WireType.LengthDelimited)
        {
            Limits.Charge(sizeof(long), Offset);
            values.Add(ReadInt64());
            return;
        }
        int length = ReadLength();
        long start = Offset;
        var packed = new ProtoReader(Take(length), start, _depth, Limits);
        int count = 0;
        foreach (byte b in packed._data) if (b < 0x80) count++; // one terminating byte per varint: the count is known before allocating
        Limits.Charge((long)count * sizeof(long), start);
        values.EnsureCapacity(values.Count + count);
        while (packed._position < packed._data.Length) values.Add((long)packed.ReadVarint());
    }

    /// <summary>Appends a repeated float field's values, packed (a multiple of 4 bytes) or not (one fixed32).</summary>
    public void ReadFloats(List<float> values)
    {
        if (_wire != WireType.LengthDelimited)
        {
            Limits.Charge(sizeof(float), Offset);
            values.Add(ReadFloat());
        }
        else ReadPacked(values, 4, static b => BinaryPrimitives.ReadSingleLittleEndian(b));
    }

    /// <summary>Appends a repeated double field's values as floats, packed (a multiple of 8 bytes) or not (one fixed64).</summary>
    public void ReadDoublesAsFloats(List<float> values)
    {
        if (_wire != WireType.LengthDelimited)
        {
            Limits.Charge(sizeof(float), Offset);
            values.Add((float)ReadDouble());
        }
        else ReadPacked(values, 8, static b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b));
    }

    /// <summary>A packed run of fixed-size elements, each <paramref name="size"/> bytes, appended as floats.</summary>
    private void ReadPacked(List<float> values, int size, Func<ReadOnlySpan<byte>, float> read)
    {
        int length = ReadLength();
        long start = Offset;
        if (length % size != 0) throw Limits.Fail(start, $"field {_field}: a packed run of {length} bytes, not a multiple of {size}");
        var bytes = Take(length);
        Limits.Charge(length / size * sizeof(float), start);
        values.EnsureCapacity(values.Count + length / size);
        for (int i = 0; i < length; i += size) values.Add(read(bytes.Slice(i, size)));
    }

    /// <summary>Skips the current field's value, whatever it is.</summary>
    public void Skip()
    {
        switch (_wire)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.Fixed32: Take(4); break;
            default: Take(ReadLength()); break;
        }
    }

    /// <summary>The error for a malformed value of the current field.</summary>
    public readonly OnnxFormatException Fail(string problem) => Limits.Fail(_fieldStart, problem);

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly void Expect(WireType wire)
    {
        if (_wire != wire)
            throw Limits.Fail(_fieldStart, $"field {_field} has wire type {(int)_wire} ({_wire}) where {(int)wire} ({wire}) belongs");
    }

    private int ReadLength()
    {
        long start = Offset;
        ulong length = ReadVarint();
        int left = _data.Length - _position;
        if (length > (ulong)left)
            throw Limits.Fail(start, $"truncated: field {_field} claims {length} bytes but only {left} remain in its message");
        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
            throw Limits.Fail(Offset, $"truncated: field {_field} needs {count} bytes but only {_data.Length - _position} remain in its message");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
