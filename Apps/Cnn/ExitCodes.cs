namespace Cnn;

/// <summary>The process exit codes of <c>cnn</c>, and the one place that turns exceptions into them.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (the message says what).</summary>
    public const int Failure = 1;

    /// <summary>
    /// Invalid options or arguments, including an output path that cannot be written (checked before any work) and a model
    /// <c>cnn export</c> cannot write as ONNX.
    /// </summary>
    public const int Usage = 2;

    /// <summary>A dataset or model file (also an ONNX model) is missing, truncated, corrupt, cannot be imported or does not match.</summary>
    public const int Data = 3;

    /// <summary>Training diverged (NaN or infinite loss).</summary>
    public const int TrainingStopped = 4;

    /// <summary>Interrupted with Ctrl+C; finished work (epochs, sweep cells, a saved model) is kept.</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// Until disposed, the first Ctrl+C cancels <paramref name="cancel"/> (the command stops at its next safe point and
    /// keeps finished work); a second one ends the process at once.
    /// </summary>
    public static IDisposable CancelOnCtrlC(CancellationTokenSource cancel)
    {
        ConsoleCancelEventHandler handler = (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += handler;
        return new Unsubscribe(handler);
    }

    private sealed class Unsubscribe(ConsoleCancelEventHandler handler) : IDisposable
    {
        public void Dispose() => Console.CancelKeyPress -= handler;
    }

    /// <summary>
    /// Runs <paramref name="action"/>, printing one line on stderr and returning a code for a failure (see
    /// <see cref="UserErrors.Describe"/>; a stack trace only with <paramref name="verbose"/>).
    /// </summary>
    public static int Run(Func<int> action, bool verbose)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            var (code, message) = UserErrors.Describe(e);
            Console.Error.WriteLine($"error: {message}");
            if (verbose) Console.Error.WriteLine(e);
            return code;
        }
    }
}
