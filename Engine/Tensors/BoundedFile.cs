using System.Runtime.InteropServices;
using System.Text;

namespace Engine;

/// <summary>
/// Opens and reads files the program did not write itself, within bounds:
/// <list type="bullet">
/// <item>only regular files: a directory, character or block device, FIFO or socket is refused before it is opened,
/// so nothing blocks on a FIFO or streams forever from <c>/dev/zero</c>;</item>
/// <item>only up to a size limit, checked before anything is allocated (a file over 2 GiB is refused like any other
/// file over its limit, naming the file);</item>
/// <item>never more bytes than the size it had when opened, even if it grows while it is read.</item>
/// </list>
/// Every problem goes through the caller's <c>fail(path, problem)</c>, so each format throws its own exception naming
/// the file (e.g. <c>(p, m) =&gt; new DataFileException(p, m)</c>); a failure to open or read becomes
/// <c>cannot be read: …</c> instead of a bare <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.
/// </summary>
internal static class BoundedFile
{
    /// <summary>Opens <paramref name="path"/> for reading after checking it is a readable regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <param name="fail">Builds the exception to throw from the path and the problem.</param>
    /// <returns>The open stream, positioned at 0; its <see cref="Stream.Length"/> is at most <paramref name="maxBytes"/>.</returns>
    internal static FileStream OpenRead(string path, long maxBytes, Func<string, string, Exception> fail)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(fail);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (NotARegularFile(path) is { } why) throw fail(path, why);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw fail(path, $"cannot be read: {e.Message}");
        }
        long length = stream.Length;
        if (length > maxBytes)
        {
            stream.Dispose();
            throw fail(path, $"too large: {length} bytes, more than the {maxBytes} bytes accepted for this kind of file.");
        }
        return stream;
    }

    /// <summary>The whole of <paramref name="path"/>, checked as in <see cref="OpenRead"/>; at most <paramref name="maxBytes"/> bytes are read.</summary>
    internal static byte[] ReadAllBytes(string path, long maxBytes, Func<string, string, Exception> fail)
    {
        using var stream = OpenRead(path, maxBytes, fail);
        var bytes = new byte[stream.Length];
        int filled = ReadUpTo(stream, bytes, path, fail);
        if (filled < bytes.Length)
            throw fail(path, $"changed while being read: it had {bytes.Length} bytes when opened but only {filled} could be read.");
        if (ReadUpTo(stream, new byte[1], path, fail) > 0)
            throw fail(path, $"changed while being read: it grew beyond the {bytes.Length} bytes it had when opened.");
        return bytes;
    }

    /// <summary>
    /// Reads from <paramref name="stream"/> (a file opened by <see cref="OpenRead"/>, or a stream over it such as a
    /// gzip decoder) until <paramref name="buffer"/> is full or the stream ends; returns the bytes read. A read that
    /// fails with an <see cref="IOException"/> goes through <paramref name="fail"/> as <c>cannot be read: …</c>
    /// (an <see cref="InvalidDataException"/> of a decoder passes through, for the format to report).
    /// </summary>
    internal static int ReadUpTo(Stream stream, Span<byte> buffer, string path, Func<string, string, Exception> fail)
    {
        int filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                int n = stream.Read(buffer[filled..]);
                if (n == 0) break;
                filled += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw fail(path, $"cannot be read: {e.Message}");
        }
        return filled;
    }

    /// <summary>
    /// Why <paramref name="path"/> is not something to read as a file — <c>does not exist</c>, <c>is a directory…</c>,
    /// <c>is a FIFO…</c> — or null when it is a regular file. On Linux the file type comes from <c>statx</c>; elsewhere
    /// a file that reports 0 bytes is refused unopened, since devices, FIFOs and sockets report 0 bytes (and no
    /// format this engine reads is empty).
    /// </summary>
    internal static string? NotARegularFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return "is a directory, not a file.";
        if (!File.Exists(path)) return "does not exist.";
        return FileType(path) switch
        {
            Kind.Regular => null,
            Kind.CharacterDevice => "is a character device, not a regular file.",
            Kind.BlockDevice => "is a block device, not a regular file.",
            Kind.Fifo => "is a FIFO (named pipe), not a regular file.",
            Kind.Socket => "is a socket, not a regular file.",
            Kind.Directory => "is a directory, not a file.",
            _ => new FileInfo(path).Length == 0 ? "is empty or not a regular file (a device, FIFO or socket)." : null,
        };
    }

    internal enum Kind { Unknown, Regular, Directory, CharacterDevice, BlockDevice, Fifo, Socket }

    /// <summary>The file type of <paramref name="path"/> (symbolic links followed), or <see cref="Kind.Unknown"/> where it cannot be asked.</summary>
    internal static unsafe Kind FileType(string path)
    {
        var statx = Statx.Value;
        if (statx is null) return Kind.Unknown;
        // struct statx (the same on every Linux architecture): stx_mode is the u16 at byte 28 of 256.
        const int AtFdCwd = -100, StatxType = 0x1, ModeOffset = 28, StructBytes = 256;
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        byte* buffer = stackalloc byte[StructBytes];
        int result;
        fixed (byte* p = name)
            result = ((delegate* unmanaged<int, byte*, int, uint, byte*, int>)statx.Value)(AtFdCwd, p, 0, StatxType, buffer);
        if (result != 0) return Kind.Unknown;
        int type = *(ushort*)(buffer + ModeOffset) & 0xF000;
        return type switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0x2000 => Kind.CharacterDevice,
            0x6000 => Kind.BlockDevice,
            0x1000 => Kind.Fifo,
            0xC000 => Kind.Socket,
            _ => Kind.Unknown,
        };
    }

    /// <summary>glibc's <c>statx</c> (2.28 and later), or null off Linux or where it is missing.</summary>
    private static readonly Lazy<nint?> Statx = new(() =>
        OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "statx", out nint function)
            ? function
            : null);
}
