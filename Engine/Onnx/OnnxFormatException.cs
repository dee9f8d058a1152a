namespace Engine.Onnx;

/// <summary>
/// An ONNX file cannot be read or imported: it is missing, truncated or malformed (the message gives the byte offset), or it
/// describes a model the engine cannot express (the message names the node — by name, else by index — the operator and the
/// attribute). The message always starts with the file's path.
/// </summary>
public sealed class OnnxFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>; the message is the path, the problem and, when known, the offset.</summary>
    /// <param name="filePath">The file (or the name given to bytes being read).</param>
    /// <param name="problem">What is wrong, without the path.</param>
    /// <param name="offset">The byte offset in the file where the problem was found, or -1.</param>
    /// <param name="innerException">The lower-level error that revealed the problem, if any.</param>
    public OnnxFormatException(string filePath, string problem, long offset = -1, Exception? innerException = null)
        : base(offset >= 0 ? $"{filePath}: {problem} (at byte {offset})" : $"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
        Offset = offset;
    }

    /// <summary>The file that could not be read or imported.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; }

    /// <summary>The byte offset where a malformed file went wrong, or -1 when the problem is not at one place (e.g. an operator the engine lacks).</summary>
    public long Offset { get; }
}
