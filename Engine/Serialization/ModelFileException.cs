namespace Engine.Serialization;

/// <summary>A model file could not be read: missing, truncated, corrupt, not a model file, or of a newer format.</summary>
public class ModelFileException : IOException
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

/// <summary>
/// A checkpoint belongs to another run: its network, data or training options differ from those of the <c>Fit</c> asked
/// to resume from it. <see cref="Stored"/> and <see cref="Current"/> are the first setting line that differs.
/// </summary>
public sealed class CheckpointMismatchException : ModelFileException
{
    /// <summary>Creates the exception for the checkpoint at <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The checkpoint.</param>
    /// <param name="stored">The first differing line of the run the checkpoint describes (empty when it has fewer lines).</param>
    /// <param name="current">The same line of the run asked to resume (empty when it has fewer lines).</param>
    public CheckpointMismatchException(string filePath, string stored, string current)
        : base(filePath, $"it belongs to another run: it has \"{stored}\" where this run has \"{current}\"; delete it or choose another checkpoint path.")
    {
        Stored = stored;
        Current = current;
    }

    /// <summary>The checkpoint's setting line, e.g. <c>loss=cross-entropy optimizer=adam(eta=0.01, …)</c>.</summary>
    public string Stored { get; }

    /// <summary>The resuming run's setting line at the same place.</summary>
    public string Current { get; }
}
