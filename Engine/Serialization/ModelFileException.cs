namespace Engine.Serialization;

/// <summary>A model file could not be read: missing, truncated, corrupt, not a model file, or of a newer format.</summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>; the message is prefixed with the path.</summary>
    public ModelFileException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>What is wrong with the file, without the path.</summary>
    public string Problem { get; }

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }
}
