using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Engine.Onnx.Protobuf;

/// <summary>
/// Writes one protobuf message: each field as its key (number, wire type) and value. Embedded messages are written by a
/// nested writer and copied in after their length. Repeated scalars are written one element per field (unpacked), as
/// onnx.proto's proto2 writers do; tensor values go in one bytes field (raw_data).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>An int64 or int32 field as a varint (negative values take 10 bytes, as protobuf specifies).</summary>
    public void WriteInt64(int field, long value)
    {
        WriteKey(field, WireType.Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A float field (fixed32).</summary>
    public void WriteFloat(int field, float value)
    {
        WriteKey(field, WireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    /// <summary>A string field (UTF-8); nothing is written for null.</summary>
    public void WriteString(int field, string? value)
    {
        if (value is null) return;
        WriteBytes(field, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>A bytes field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteKey(field, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>An embedded message field, written by <paramref name="write"/> into a writer of its own.</summary>
    public void WriteMessage<TState>(int field, TState state, Action<ProtoWriter, TState> write)
    {
        var inner = new ProtoWriter();
        write(inner, state);
        WriteBytes(field, inner.WrittenSpan);
    }

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian IEEE floats (a tensor's raw_data).</summary>
    public void WriteFloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        WriteKey(field, WireType.LengthDelimited);
        WriteVarint((ulong)values.Length * 4);
        WriteFloatsLittleEndian(values);
    }

    private void WriteFloatsLittleEndian(ReadOnlySpan<float> values)
    {
        var span = _buffer.GetSpan(values.Length * 4);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], values[i]);
        _buffer.Advance(values.Length * 4);
    }

    private void WriteKey(int field, WireType wire) => WriteVarint(((ulong)field << 3) | (uint)wire);

    private void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        _buffer.Advance(n);
    }
}
