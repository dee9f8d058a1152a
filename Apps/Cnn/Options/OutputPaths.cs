using Engine.Data;

namespace Cnn;

/// <summary>
/// Output paths are checked before any work is spent: the folder is created, a probe file is created in it and
/// deleted, and a path that is (or would replace) a directory, device or FIFO is refused — so a long run never ends
/// unable to write what it made. Every failure is a <see cref="UsageException"/> naming the option.
/// </summary>
public static class OutputPaths
{
    /// <summary>Checks the folder option <paramref name="option"/> = <paramref name="path"/>: creates it and proves it writable.</summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="UsageException">It is a file, or cannot be created or written.</exception>
    public static string Folder(string option, string path)
    {
        string full = FullPath(option, path);
        if (System.IO.File.Exists(full))
            throw new UsageException($"{option} {path}: is a file; give a folder (it will hold several files).");
        CreateWritable(option, path, full, "the folder");
        return full;
    }

    /// <summary>Checks the file option <paramref name="option"/> = <paramref name="path"/>: its folder is created and writable, and the path is not a directory or special file.</summary>
    /// <returns>The file's full path.</returns>
    /// <exception cref="UsageException">It is a directory or special file, or its folder cannot be created or written.</exception>
    public static string File(string option, string path)
    {
        string full = FullPath(option, path);
        if (Directory.Exists(full) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar))
            throw new UsageException($"{option} {path}: is a folder; give a file name, e.g. {Path.Combine(path, "model.bin")}.");
        if (System.IO.File.Exists(full) && DataFile.WhyNotARegularFile(full) is { } why)
            throw new UsageException($"{option} {path}: {why.TrimEnd('.')}; it would be replaced. Give a regular file name.");
        string folder = Path.GetDirectoryName(full)!;
        if (System.IO.File.Exists(folder))
            throw new UsageException($"{option} {path}: {folder} is a file, not a folder.");
        CreateWritable(option, path, folder, $"its folder {folder}");
        return full;
    }

    private static string FullPath(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option}: the path is empty.");
        try { return Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option} {path}: not a usable path ({Reason(e)}).", e);
        }
    }

    /// <summary>Creates <paramref name="folder"/> (<paramref name="what"/> in messages) and proves it writable with a probe file.</summary>
    private static void CreateWritable(string option, string path, string folder, string what)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: {what} cannot be created ({Reason(e)}).", e);
        }

        string probe = Path.Combine(folder, $".cnn-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: {folder} is not writable ({Reason(e)}).", e);
        }
        finally
        {
            if (System.IO.File.Exists(probe)) System.IO.File.Delete(probe);
        }
    }

    private static string Reason(Exception e) => e.Message.TrimEnd('.');
}
