namespace Engine.Data;

/// <summary>
/// A dataset file exists but cannot be used: it is truncated, corrupt, of the wrong kind, or
/// disagrees with its partner file. The message always starts with the file's path and says
/// what is wrong, e.g. <c>…/train-images-idx3-ubyte.gz: truncated: header says 60000 images of
/// 28×28 (47040000 bytes) but only 1200 bytes follow</c>.
/// </summary>
public sealed class DataFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file that is wrong.</param>
    /// <param name="problem">What is wrong with it, starting with a short word for the problem (e.g. <c>truncated: …</c>).</param>
    /// <param name="innerException">The lower-level error that revealed the problem, if any.</param>
    public DataFileException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The path of the file that is wrong.</summary>
    public string FilePath { get; }

    /// <summary>Builds the exception from a path and a problem, for <see cref="BoundedFile"/>'s <c>fail</c>.</summary>
    internal static readonly Func<string, string, Exception> Factory = (path, problem) => new DataFileException(path, problem);

    /// <summary>
    /// Throws when <paramref name="path"/> is a directory: a folder where a dataset file should be is reported as a
    /// broken file (not as a missing one, which would start a download next to it).
    /// </summary>
    internal static void ThrowIfDirectory(string path)
    {
        if (Directory.Exists(path))
            throw new DataFileException(path, "is a directory where a data file should be; remove it or put the file there.");
    }
}

/// <summary>
/// A dataset's files were not found in any of the folders where datasets are looked up. The
/// message lists every folder searched, the file names expected there, and how to get the files
/// (<c>cnn download &lt;name&gt;</c>).
/// </summary>
public sealed class DatasetNotFoundException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="dataset">The dataset's name, e.g. <c>mnist</c>.</param>
    /// <param name="searchedFolders">Every folder that was looked in, in order.</param>
    /// <param name="expectedFiles">The files one of those folders must hold, in words, e.g. <c>train-images-idx3-ubyte.gz, … (gzipped or not)</c>.</param>
    public DatasetNotFoundException(string dataset, IReadOnlyList<string> searchedFolders, string expectedFiles)
        : base(BuildMessage(dataset, searchedFolders, expectedFiles))
    {
        Dataset = dataset;
        SearchedFolders = searchedFolders;
    }

    /// <summary>The dataset's name, e.g. <c>mnist</c>.</summary>
    public string Dataset { get; }

    /// <summary>Every folder that was looked in, in search order.</summary>
    public IReadOnlyList<string> SearchedFolders { get; }

    private static string BuildMessage(string dataset, IReadOnlyList<string> searchedFolders, string expectedFiles)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(searchedFolders);
        string searched = searchedFolders.Count == 0 ? "(no folders)" : string.Join(", ", searchedFolders);
        return $"Dataset '{dataset}' not found. Looked in: {searched}. One of these folders must hold {expectedFiles}. " +
               $"Get the files with `cnn download {dataset}` (add --data-dir DIR to choose the folder), " +
               $"or set {DatasetLocator.EnvironmentVariable} to the folder that holds the dataset's folder.";
    }
}
