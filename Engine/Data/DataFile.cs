namespace Engine.Data;

/// <summary>
/// Reads a file the program did not write itself, within bounds: only a regular file (a directory, device, FIFO or
/// socket is refused before it is opened), of at most a given size (checked before anything is allocated), reading
/// no more than that. The engine's own loaders read this way; use it for your own data formats too.
/// </summary>
public static class DataFile
{
    /// <summary>The whole of <paramref name="path"/>, which must be a regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <exception cref="DataFileException">The file is missing, not a regular file, larger than <paramref name="maxBytes"/>, cannot be read, or changed while being read; the message names it.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return BoundedFile.ReadAllBytes(path, maxBytes, DataFileException.Factory);
    }

    /// <summary>
    /// Why <paramref name="path"/> is not a regular file — e.g. <c>does not exist.</c>, <c>is a directory, not a file.</c>,
    /// <c>is a FIFO (named pipe), not a regular file.</c> — or null when it is one. Nothing is opened.
    /// </summary>
    /// <param name="path">The path to look at.</param>
    public static string? WhyNotARegularFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return BoundedFile.NotARegularFile(path);
    }
}
