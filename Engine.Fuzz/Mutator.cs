namespace Engine.Fuzz;

/// <summary>
/// Coverage-free mutations of a seed, 1 to 4 per input, chosen at random from: bit flips, random bytes, interesting values
/// (0, 1, 0x7F, 0x80, 0xFF), insertions and deletions of short runs, duplicated runs, truncation, integer fields overwritten
/// with boundary values (1, 2, 4 and 8 bytes, both byte orders: the length and count fields of every format here),
/// protobuf varints replaced by long or huge ones, and splices of two corpus entries.
/// </summary>
internal sealed class Mutator
{
    private static readonly long[] Boundaries = [0, 1, 2, 3, 4, 7, 8, 15, 16, 127, 128, 255, 256, 3073, 65535, 65536, int.MaxValue, uint.MaxValue, long.MaxValue, -1, -2, int.MinValue, 1L << 31, 1L << 32, 1L << 40];
    private const int MaxLength = 1 << 20;
    private readonly Random _random;

    public Mutator(int seed) => _random = new Random(seed);

    /// <summary>A mutant of <paramref name="input"/>; <paramref name="other"/> is a second corpus entry for splicing.</summary>
    public byte[] Mutate(byte[] input, byte[] other)
    {
        var data = new List<byte>(input);
        int count = 1 + _random.Next(4);
        for (int i = 0; i < count; i++) MutateOnce(data, other);
        if (data.Count > MaxLength) data.RemoveRange(MaxLength, data.Count - MaxLength);
        return [.. data];
    }

    private void MutateOnce(List<byte> data, byte[] other)
    {
        int at = data.Count == 0 ? 0 : _random.Next(data.Count);
        switch (_random.Next(11))
        {
            case 0 when data.Count > 0: data[at] ^= (byte)(1 << _random.Next(8)); break;
            case 1 when data.Count > 0: data[at] = (byte)_random.Next(256); break;
            case 2 when data.Count > 0: data[at] = (byte)new[] { 0, 1, 0x7F, 0x80, 0xFF }[_random.Next(5)]; break;
            case 3: data.InsertRange(at, Bytes(1 + _random.Next(8))); break;
            case 4 when data.Count > 0: data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(16))); break;
            case 5 when data.Count > 0:
                int length = Math.Min(data.Count - at, 1 + _random.Next(64));
                data.InsertRange(_random.Next(data.Count), data.GetRange(at, length));
                break;
            case 6 when data.Count > 0: data.RemoveRange(at, data.Count - at); break;
            case 7: OverwriteInteger(data, at); break;
            case 8: ReplaceVarint(data, at); break;
            case 9 when other.Length > 0:
                int cut = _random.Next(other.Length);
                data.RemoveRange(at, data.Count - at);
                data.AddRange(other.AsSpan(cut).ToArray());
                break;
            default: if (data.Count > 0) data[at] = (byte)(data[at] + _random.Next(-4, 5)); break;
        }
    }

    private void OverwriteInteger(List<byte> data, int at)
    {
        int size = new[] { 1, 2, 4, 8 }[_random.Next(4)];
        long value = Boundaries[_random.Next(Boundaries.Length)];
        bool bigEndian = _random.Next(2) == 0;
        for (int i = 0; i < size && at + i < data.Count; i++)
        {
            int shift = 8 * (bigEndian ? size - 1 - i : i);
            data[at + i] = (byte)(value >> shift);
        }
    }

    /// <summary>The varint starting at <paramref name="at"/> (if any) replaced by a boundary value's varint.</summary>
    private void ReplaceVarint(List<byte> data, int at)
    {
        int end = at;
        while (end < data.Count && end - at < 10 && (data[end] & 0x80) != 0) end++;
        if (end < data.Count) end++;
        data.RemoveRange(at, end - at);
        ulong value = (ulong)Boundaries[_random.Next(Boundaries.Length)];
        var varint = new List<byte>();
        while (value >= 0x80) { varint.Add((byte)(value | 0x80)); value >>= 7; }
        varint.Add((byte)value);
        data.InsertRange(at, varint);
    }

    private byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
