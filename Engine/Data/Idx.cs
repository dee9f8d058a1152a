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
/// A file is gunzipped when it starts with the gzip magic bytes 1F 8B, whatever its name. Reading is bounded: only
/// regular files, at most <see cref="MaxBodyBytes"/> of declared data, and a gzip stream is never inflated past
/// what its header declares (see <see cref="Source"/>).
/// Every problem throws a <see cref="DataFileException"/> naming the file.
/// </summary>
internal static class Idx
{
    internal const int ImagesMagic = 0x00000803;
    internal const int LabelsMagic = 0x00000801;
    internal const int ImagesHeaderBytes = 16;
    internal const int LabelsHeaderBytes = 8;

    /// <summary>
    /// The most pixel or label bytes a file may declare (1 GiB, 20 times MNIST's training images): a header that
    /// says more is refused before anything is allocated, and so is a file larger than that plus its header.
    /// </summary>
    internal const long MaxBodyBytes = 1L << 30;

    /// <summary>Trailing bytes after the declared data that are counted (for the message) before reading stops.</summary>
    private const int MaxTrailingBytesCounted = 1 << 20;

    /// <summary>The contents of an IDX image file.</summary>
    /// <param name="Count">Number of images.</param>
    /// <param name="Rows">Image height.</param>
    /// <param name="Columns">Image width.</param>
    /// <param name="Pixels">[Count, Rows, Columns] row-major, 0 = background, 255 = ink.</param>
    internal readonly record struct Images(int Count, int Rows, int Columns, byte[] Pixels);

    /// <summary>Reads an IDX image file (magic 0x00000803).</summary>
    internal static Images ReadImages(string path)
    {
        using var file = Source.Open(path, ImagesHeaderBytes);
        Span<byte> header = stackalloc byte[ImagesHeaderBytes];
        file.ReadHeader(header, ImagesMagic, "an IDX image file (unsigned bytes, 3 dimensions)", $"an IDX image file starts with a {ImagesHeaderBytes}-byte header");

        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int columns = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 1)
            throw new DataFileException(path, $"invalid header: image count is {count}; the file must hold at least one image.");
        if (rows < 1 || columns < 1)
            throw new DataFileException(path, $"invalid header: image size is {rows}×{columns}; both must be at least 1.");
        long expected = (long)count * rows * columns;
        string what = $"header says {count} images of {rows}×{columns} ({expected} bytes)";
        if (expected > MaxBodyBytes)
            throw new DataFileException(path, $"too large: {what}, more than the {MaxBodyBytes} bytes an IDX file may hold here.");
        return new Images(count, rows, columns, file.ReadBody(expected, what));
    }

    /// <summary>Reads an IDX label file (magic 0x00000801) whose labels must all be below <paramref name="classes"/>.</summary>
    internal static int[] ReadLabels(string path, int classes)
    {
        byte[] source;
        using (var file = Source.Open(path, LabelsHeaderBytes))
        {
            Span<byte> header = stackalloc byte[LabelsHeaderBytes];
            file.ReadHeader(header, LabelsMagic, "an IDX label file (unsigned bytes, 1 dimension)", $"an IDX label file starts with an {LabelsHeaderBytes}-byte header");

            int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
            if (count < 1)
                throw new DataFileException(path, $"invalid header: label count is {count}; the file must hold at least one label.");
            source = file.ReadBody(count, $"header says {count} labels ({count} bytes)");
        }

        var labels = new int[source.Length];
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
    /// An IDX file opened for reading: raw, or gunzipped when it starts with the gzip magic 1F 8B (whatever its name).
    /// A raw file's size is checked against its header before the data is read; a gzip stream is read only up to the
    /// size its header declares (then up to <see cref="MaxTrailingBytesCounted"/> more, to report trailing data and let
    /// the decoder check the CRC), into a buffer that grows with the data actually decompressed, so a small file that
    /// declares or inflates to gigabytes is refused without gigabytes of memory.
    /// </summary>
    private sealed class Source : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _file;
        private readonly Stream _stream;
        private readonly int _headerBytes;

        private Source(string path, FileStream file, bool gzipped, int headerBytes)
        {
            _path = path;
            _file = file;
            Gzipped = gzipped;
            _headerBytes = headerBytes;
            _stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
        }

        /// <summary>Whether the file is gzipped.</summary>
        public bool Gzipped { get; }

        /// <summary>" after gunzip" for gzipped files, for messages.</summary>
        private string After => Gzipped ? " after gunzip" : "";

        /// <summary>Opens <paramref name="path"/>: a regular file of at most the header plus <see cref="MaxBodyBytes"/>.</summary>
        public static Source Open(string path, int headerBytes)
        {
            var file = BoundedFile.OpenRead(path, headerBytes + MaxBodyBytes, DataFileException.Factory);
            try
            {
                Span<byte> magic = stackalloc byte[2];
                int n = BoundedFile.ReadUpTo(file, magic, path, DataFileException.Factory);
                file.Position = 0;
                return new Source(path, file, n == 2 && magic[0] == 0x1F && magic[1] == 0x8B, headerBytes);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Fills <paramref name="buffer"/> as far as the (decompressed) data goes; returns the bytes read.</summary>
        public int Read(Span<byte> buffer)
        {
            try
            {
                return BoundedFile.ReadUpTo(_stream, buffer, _path, DataFileException.Factory);
            }
            catch (InvalidDataException e)
            {
                throw new DataFileException(_path, $"corrupt gzip data: the file starts like a gzip file but cannot be decompressed ({e.Message}).", e);
            }
        }

        /// <summary>
        /// Fills <paramref name="header"/>, checking the magic number first (so a wrong kind of file is reported as such
        /// even when short), then that the whole header is there (<paramref name="rule"/> says how long it must be).
        /// </summary>
        public void ReadHeader(Span<byte> header, int magic, string kind, string rule)
        {
            int got = Read(header);
            CheckMagic(_path, header[..got], magic, kind);
            if (got < header.Length)
                throw new DataFileException(_path, $"truncated header: {got} bytes{After}, but {rule}.");
        }

        /// <summary>The <paramref name="expected"/> bytes after the header, which must be all that follows.</summary>
        public byte[] ReadBody(long expected, string what)
        {
            if (!Gzipped)
            {
                CheckLength(_path, what, expected, _file.Length - _headerBytes, gzipped: false);
                var body = new byte[expected];
                if (Read(body) < body.Length)
                    throw new DataFileException(_path, $"changed while being read: it had {_file.Length} bytes when opened.");
                return body;
            }

            // Grow the buffer with the data: never more than twice what was really decompressed.
            var buffer = new byte[Math.Min(expected, 1 << 16)];
            long filled = 0;
            while (filled < expected)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
                int n = Read(buffer.AsSpan((int)filled));
                if (n == 0) break;
                filled += n;
            }
            if (filled < expected) CheckLength(_path, what, expected, filled, gzipped: true);

            Span<byte> scratch = stackalloc byte[4096];
            long trailing = 0;
            for (int n; trailing <= MaxTrailingBytesCounted && (n = Read(scratch)) > 0;) trailing += n;
            if (trailing > MaxTrailingBytesCounted)
                throw new DataFileException(_path, $"trailing garbage: {what} but more follows (over {MaxTrailingBytesCounted} bytes too many after gunzip; reading stopped there).");
            CheckLength(_path, what, expected, expected + trailing, gzipped: true);
            return buffer;
        }

        public void Dispose() => _stream.Dispose();
    }


    /// <summary>Checks the magic number, first, so that a wrong kind of file is reported as such even when short; fewer than 4 bytes pass (the header length check reports them).</summary>
    private static void CheckMagic(string path, ReadOnlySpan<byte> bytes, int expected, string expectedKind)
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
