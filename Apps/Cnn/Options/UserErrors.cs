using System.Text.RegularExpressions;
using Engine.Data;
using Engine.Serialization;

namespace Cnn;

/// <summary>A mistake in the command line, already said in the command line's terms (options, values); exit code 2.</summary>
public class UsageException : ArgumentException
{
    /// <summary>Creates the exception with a one-line message naming the option.</summary>
    public UsageException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the error that revealed the mistake.</summary>
    public UsageException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The one place where an exception becomes what the user reads and the exit code: library terms become option
/// names (<c>BatchSize</c> → <c>--batch-size</c>), argument suffixes such as <c>(Parameter 'threads')</c> are dropped,
/// and every failure is one line.
/// </summary>
public static class UserErrors
{
    private static readonly (Regex Pattern, string Option)[] LibraryTerms =
    [
        (new(@"\bBatchSize\b"), "--batch-size"),
        (new(@"\bBatches\b"), "--batches"),
        (new(@"\bEpochs\b"), "--epochs"),
        (new(@"\bL2\b"), "--lambda"),
        (new(@"\bThreadCount\b"), "--threads"),
        (new(@"\bWeightDecay\b"), "--weight-decay"),
        (new(@"\bClipGradientNorm\b"), "--clip"),
        (new(@"\bAugmentation: PadCrop\b"), "--augment crop"),
    ];

    private static readonly Regex ParameterSuffix = new(@"\s*\(Parameter '[^']*'\)", RegexOptions.CultureInvariant);

    /// <summary>The exit code and the one-line message for <paramref name="error"/>.</summary>
    public static (int Code, string Message) Describe(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        int code = error switch
        {
            UsageException => ExitCodes.Usage,
            DatasetNotFoundException or DataFileException or DownloadException or ModelFileException or SweepGatherException
                or FileNotFoundException or DirectoryNotFoundException => ExitCodes.Data,
            ArgumentException => ExitCodes.Usage,
            _ => ExitCodes.Failure,
        };
        string message = ParameterSuffix.Replace(error.Message, "");
        if (error is ArgumentException and not UsageException)
            foreach (var (pattern, option) in LibraryTerms) message = pattern.Replace(message, option);
        message = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return (code, message);
    }
}
