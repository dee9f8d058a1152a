using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), gzipped or raw. All header integers are
/// 32-bit big-endian.
/// <code>
/// images: magic 0x00000803, count, rows, columns, then count×rows×columns unsigned bytes (16-byte header)
/// labels: magic 0x00000801, count, then count unsigned bytes                             (8-byte header)
/// </code>
/// A file is gunzipped when it starts with the gzip magic bytes 1F 8B, whatever its name.
/// Every problem throws a <see cref="DataFileException"/> naming the file.
/// </summary>
internal static class Idx
{
    internal const int ImagesMagic = 0x00000803;
    internal const int LabelsMagic = 0x00000801;
    internal const int ImagesHeaderBytes = 16;
    internal const int LabelsHeaderBytes = 8;

    /// <summary>Sanity cap on the gzip size hint: a hint above this many times the compressed size is ignored.</summary>
    private const int MaxTrustedCompressionRatio = 16;

    /// <summary>The contents of an IDX image file: <c>Bytes</c> is the whole (decompressed) file, pixels after the header.</summary>
    internal readonly record struct Images(int Count, int Rows, int Columns, byte[] Bytes)
    {
        /// <summary>The pixels, [Count, Rows, Columns] row-major, 0 = background, 255 = ink.</summary>
        public ReadOnlySpan<byte> Pixels => Bytes.AsSpan(ImagesHeaderBytes, Count * Rows * Columns);
    }

    /// <summary>Reads an IDX image file (magic 0x00000803).</summary>
    internal static Images ReadImages(string path)
    {
        byte[] bytes = ReadFile(path, out bool gzipped);
        string after = gzipped ? " after gunzip" : "";
        CheckMagic(path, bytes, ImagesMagic, "an IDX image file (unsigned bytes, 3 dimensions)");
        if (bytes.Length < ImagesHeaderBytes)
            throw new DataFileException(path, $"truncated header: {bytes.Length} bytes{after}, but an IDX image file starts with a {ImagesHeaderBytes}-byte header.");

        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        if (count < 1)
            throw new DataFileException(path, $"invalid header: image count is {count}; the file must hold at least one image.");
        if (rows < 1 || columns < 1)
            throw new DataFileException(path, $"invalid header: image size is {rows}×{columns}; both must be at least 1.");
        long expected = (long)count * rows * columns;
        if (expected > int.MaxValue)
            throw new DataFileException(path, $"invalid header: {count} images of {rows}×{columns} ({expected} bytes) is more than one array can hold.");

        long present = bytes.Length - ImagesHeaderBytes;
        string what = $"header says {count} images of {rows}×{columns} ({expected} bytes)";
        CheckLength(path, what, expected, present, gzipped);
        return new Images(count, rows, columns, bytes);
    }

    /// <summary>Reads an IDX label file (magic 0x00000801) whose labels must all be below <paramref name="classes"/>.</summary>
    internal static int[] ReadLabels(string path, int classes)
    {
        byte[] bytes = ReadFile(path, out bool gzipped);
        string after = gzipped ? " after gunzip" : "";
        CheckMagic(path, bytes, LabelsMagic, "an IDX label file (unsigned bytes, 1 dimension)");
        if (bytes.Length < LabelsHeaderBytes)
            throw new DataFileException(path, $"truncated header: {bytes.Length} bytes{after}, but an IDX label file starts with an {LabelsHeaderBytes}-byte header.");

        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (count < 1)
            throw new DataFileException(path, $"invalid header: label count is {count}; the file must hold at least one label.");
        CheckLength(path, $"header says {count} labels ({count} bytes)", count, bytes.Length - LabelsHeaderBytes, gzipped);

        var labels = new int[count];
        ReadOnlySpan<byte> source = bytes.AsSpan(LabelsHeaderBytes, count);
        for (int i = 0; i < labels.Length; i++)
        {
            int label = source[i];
            if (label >= classes)
                throw new DataFileException(path, $"label out of range: label {i} is {label}, but labels must be 0..{classes - 1}.");
            labels[i] = label;
        }
        return labels;
    }

    /// <summary>
    /// The whole file, gunzipped if it starts with the gzip magic 1F 8B.
    /// A missing file throws <see cref="FileNotFoundException"/>; corrupt gzip data a <see cref="DataFileException"/>.
    /// Note: a gzip stream cut short decompresses without error to fewer bytes; the IDX length checks catch that.
    /// </summary>
    internal static byte[] ReadFile(string path, out bool gzipped)
    {
        byte[] file = File.ReadAllBytes(path);
        gzipped = file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B;
        if (!gzipped) return file;

        // The gzip trailer's last 4 bytes hold the uncompressed size (mod 2^32, little-endian). Use it only as a
        // capacity hint, and only when plausible: a truncated file's last bytes are arbitrary.
        int capacity = 0;
        if (file.Length >= 18)
        {
            uint hint = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4));
            if (hint <= (ulong)file.Length * MaxTrustedCompressionRatio && hint <= (uint)Array.MaxLength) capacity = (int)hint;
        }
        var output = new MemoryStream(capacity);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            gzip.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(path, $"corrupt gzip data: the file starts like a gzip file but cannot be decompressed ({e.Message}).", e);
        }
        byte[] buffer = output.GetBuffer();
        return buffer.Length == output.Length ? buffer : output.ToArray();
    }

    /// <summary>Checks the magic number, first, so that a wrong kind of file is reported as such even when short; fewer than 4 bytes pass (the header length check reports them).</summary>
    private static void CheckMagic(string path, byte[] bytes, int expected, string expectedKind)
    {
        if (bytes.Length < 4) return;
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expected)
            throw new DataFileException(path, $"wrong magic number 0x{magic:X8} ({DescribeMagic(magic)}); expected 0x{expected:X8} for {expectedKind}.");
    }

    private static string DescribeMagic(int magic)
    {
        if (magic == ImagesMagic) return "an IDX image file";
        if (magic == LabelsMagic) return "an IDX label file";
        if ((magic >>> 16) != 0) return "not an IDX file";
        string type = ((magic >> 8) & 0xFF) switch
        {
            0x08 => "unsigned bytes",
            0x09 => "signed bytes",
            0x0B => "16-bit integers",
            0x0C => "32-bit integers",
            0x0D => "32-bit floats",
            0x0E => "64-bit floats",
            _ => "an unknown element type",
        };
        return $"an IDX file of {type} with {magic & 0xFF} dimensions";
    }

    private static void CheckLength(string path, string what, long expected, long present, bool gzipped)
    {
        if (present < expected)
        {
            string hint = gzipped ? " after gunzip (the compressed file may be cut short)" : "";
            throw new DataFileException(path, $"truncated: {what} but only {present} bytes follow{hint}.");
        }
        if (present > expected)
            throw new DataFileException(path, $"trailing garbage: {what} but {present} bytes follow ({present - expected} too many).");
    }
}
