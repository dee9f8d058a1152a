using System.CommandLine;
using Engine.Data;

namespace Cnn;

/// <summary>
/// <c>cnn download mnist|fashion-mnist|cifar10 [--data-dir D]</c>: fetches a dataset from its public mirrors,
/// verified by SHA-256, into <c>&lt;root&gt;/&lt;dataset folder&gt;</c>, printing one line per file.
/// </summary>
public static class DownloadCommand
{
    /// <summary>Builds the command and its options.</summary>
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "mnist, fashion-mnist or cifar10" };
        dataset.AcceptOnlyFromAmong("mnist", "fashion-mnist", "cifar10");
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder to put the dataset folder in (default: $ENGINE_DATASETS, then ./datasets)" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };

        var command = new Command("download", "Download a dataset from its public mirrors, verified by SHA-256; files already present and intact are kept.")
        {
            dataset, dataDir, verbose,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(ExitCodes.Run(() =>
        {
            try
            {
                string root = DefaultRoot(parse.GetValue(dataDir));
                string name = parse.GetValue(dataset)!;
                Console.WriteLine($"{name}: downloading into {Path.Combine(root, DatasetLocator.FolderNames(name)[0])}");
                string folder = new DatasetDownloader()
                    .DownloadAsync(name, root, new LineProgress(Console.Out), cancellationToken)
                    .GetAwaiter().GetResult();
                Console.WriteLine($"{name}: ready in {folder}");
                return ExitCodes.Ok;
            }
            catch (DownloadException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
                return ExitCodes.Data;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine("error: download cancelled; no partial files were kept.");
                return ExitCodes.Failure;
            }
        }, parse.GetValue(verbose))));
        return command;
    }

    /// <summary>
    /// The folder of <paramref name="dataset"/>: where <see cref="DatasetLocator.Resolve"/> finds it, or else a
    /// fresh download into <see cref="DefaultRoot"/>(<paramref name="dataDir"/>). Progress lines go to <paramref name="log"/>.
    /// </summary>
    /// <param name="dataset"><c>mnist</c>, <c>fashion-mnist</c> or <c>cifar10</c>.</param>
    /// <param name="dataDir">The command line's <c>--data-dir</c>, or null.</param>
    /// <param name="log">Receives one line per downloaded or verified file.</param>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    /// <exception cref="DownloadException">The dataset is not present and could not be downloaded.</exception>
    public static async Task<string> EnsureAsync(string dataset, string? dataDir, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            return DatasetLocator.Resolve(dataset, dataDir);
        }
        catch (DatasetNotFoundException)
        {
            string root = DefaultRoot(dataDir);
            log.WriteLine($"{dataset}: not found; downloading into {Path.Combine(root, DatasetLocator.FolderNames(dataset)[0])}");
            return await new DatasetDownloader().DownloadAsync(dataset, root, new LineProgress(log)).ConfigureAwait(false);
        }
    }

    /// <summary>Where downloads go: <paramref name="dataDir"/> if given, else <c>$ENGINE_DATASETS</c> if set, else <c>./datasets</c>; as a full path.</summary>
    /// <param name="dataDir">The command line's <c>--data-dir</c>, or null.</param>
    public static string DefaultRoot(string? dataDir)
    {
        string? root = dataDir;
        if (string.IsNullOrWhiteSpace(root)) root = Environment.GetEnvironmentVariable(DatasetLocator.EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(root)) root = DatasetLocator.DefaultFolder;
        return Path.GetFullPath(root);
    }

    /// <summary>
    /// Writes each report as one plain line on the calling thread; byte counts only at every tenth of a file.
    /// (Progress&lt;T&gt; would post to the thread pool and could reorder lines.)
    /// </summary>
    private sealed class LineProgress(TextWriter writer) : IProgress<DownloadProgress>
    {
        private readonly Dictionary<string, long> _lastTenth = [];

        public void Report(DownloadProgress value)
        {
            if (value.Status == "receiving")
            {
                if (value.TotalBytes is not > 0) return;
                long tenth = value.BytesReceived * 10 / value.TotalBytes.Value;
                if (_lastTenth.TryGetValue(value.FileName, out long last) && tenth <= last) return;
                _lastTenth[value.FileName] = tenth;
                writer.WriteLine($"{value.FileName}: received {value.BytesReceived} of {value.TotalBytes} bytes ({tenth * 10}%)");
                return;
            }
            if (value.Status.StartsWith("downloading", StringComparison.Ordinal)) _lastTenth.Remove(value.FileName);
            writer.WriteLine($"{value.FileName}: {value.Status}");
        }
    }
}
