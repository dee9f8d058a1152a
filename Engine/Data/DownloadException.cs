namespace Engine.Data;

/// <summary>
/// A dataset file could not be downloaded from any of its mirrors. The message is one line: the file, every URL
/// tried and why each failed (<c>HTTP 404 (Not Found)</c>, <c>checksum mismatch: expected … got …</c>,
/// <c>truncated: got N of M bytes</c>, <c>no network: …</c>), the folder where the files are expected, what to
/// put there, and that <c>--data-dir</c> or <c>ENGINE_DATASETS</c> can point at an existing copy.
/// </summary>
public sealed class DownloadException : IOException
{
    internal DownloadException(string fileName, string folder, IReadOnlyList<string> failures, string expectedFiles)
        : base(BuildMessage(fileName, folder, failures, expectedFiles))
    {
        FileName = fileName;
        Folder = folder;
        Failures = failures;
    }

    /// <summary>The file that could not be downloaded, e.g. <c>train-images-idx3-ubyte.gz</c>.</summary>
    public string FileName { get; }

    /// <summary>The dataset folder the file was meant for, as a full path.</summary>
    public string Folder { get; }

    /// <summary>One entry per URL tried, in order: <c>&lt;url&gt;: &lt;why it failed&gt;</c>.</summary>
    public IReadOnlyList<string> Failures { get; }

    private static string BuildMessage(string fileName, string folder, IReadOnlyList<string> failures, string expectedFiles) =>
        $"Could not download {fileName}; tried {string.Join("; ", failures)}. " +
        $"Alternatively, put {expectedFiles} in {folder} yourself, or point --data-dir or " +
        $"{DatasetLocator.EnvironmentVariable} at a folder that already holds the dataset's folder.";
}

