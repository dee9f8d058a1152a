using System.Text;

namespace Engine.Serialization;

/// <summary>
/// Reads the length-prefixed UTF-8 strings <see cref="BinaryWriter.Write(string)"/> writes, from untrusted bytes: the length
/// is checked against a bound and against what the stream still holds before anything is allocated, and every way the
/// bytes can be wrong is one <see cref="InvalidDataException"/> (<see cref="BinaryReader.ReadString"/> would throw
/// <see cref="IOException"/> or <see cref="FormatException"/> instead, and trust the length).
/// </summary>
internal static class BoundedStrings
{
    /// <summary>Reads one string of at most <paramref name="maxBytes"/> UTF-8 bytes, which must end before <paramref name="end"/>.</summary>
    /// <exception cref="InvalidDataException">The length prefix is malformed, negative, over the bound or beyond the data, or the
    /// bytes are not UTF-8.</exception>
    /// <exception cref="EndOfStreamException">The stream ends inside the length prefix.</exception>
    public static string ReadBounded(this BinaryReader r, long end, int maxBytes, string what)
    {
        int length;
        try { length = r.Read7BitEncodedInt(); }
        catch (FormatException) { throw new InvalidDataException($"the length of the {what} is malformed."); }
        long left = end - r.BaseStream.Position;
        if (length < 0 || length > maxBytes || length > left)
            throw new InvalidDataException($"the {what} claims {length} bytes ({Math.Max(left, 0)} remain, at most {maxBytes} allowed).");
        var bytes = r.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException();
        try { return Strict.GetString(bytes); }
        catch (DecoderFallbackException) { throw new InvalidDataException($"the {what} is not UTF-8."); }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
