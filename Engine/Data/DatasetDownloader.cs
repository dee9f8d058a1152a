using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;

namespace Engine.Data;

/// <summary>
/// Downloads a dataset's published files from public mirrors into <c>&lt;dataRoot&gt;/&lt;folder&gt;</c>, the
/// folder <see cref="DatasetLocator"/> looks in first. Every file is streamed to a temporary file next to its
/// target while being hashed, checked against the catalogue's size and SHA-256, and only then renamed into place,
/// so a target file is either absent or complete and verified. CIFAR-10's archive is extracted and then deleted.
/// </summary>
public sealed class DatasetDownloader
{
    /// <summary>How long a response may stall (no bytes) before the mirror counts as failed.</summary>
    private static readonly TimeSpan ReadStallTimeout = TimeSpan.FromSeconds(60);

    private const int BufferSize = 81920;
    private const long ProgressStepBytes = 1 << 20;

    private static readonly Lazy<HttpClient> SharedClient = new(CreateDefaultClient);

    private static readonly string[] CifarExtractedFiles =
    [
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
        Cifar10.TestBatchFile, "batches.meta.txt",
    ];

    private readonly HttpClient _client;

    /// <summary>Creates a downloader.</summary>
    /// <param name="client">The client to fetch with; null for a shared client (connect timeout 30 s, response headers within 100 s, a stalled body fails after 60 s).</param>
    public DatasetDownloader(HttpClient? client = null)
    {
        _client = client ?? SharedClient.Value;
    }

    /// <summary>
    /// Downloads <paramref name="dataset"/> into <c>&lt;dataRoot&gt;/&lt;DatasetLocator.FolderNames(dataset)[0]&gt;</c>
    /// (created if needed) and returns that folder. Files already present with the right SHA-256 are not fetched
    /// again; a present file with a wrong checksum is fetched again (reported as <c>redownloading</c>). Mirrors
    /// are tried in order until one delivers the exact bytes. For <c>cifar10</c> the archive's batches are
    /// extracted and the archive deleted; when all extracted files are already there nothing is fetched.
    /// </summary>
    /// <param name="dataset"><c>mnist</c>, <c>fashion-mnist</c> or <c>cifar10</c> (case-insensitive).</param>
    /// <param name="dataRoot">The folder that holds dataset folders, e.g. <c>datasets</c>.</param>
    /// <param name="progress">Receives one report per step (see <see cref="DownloadProgress"/>), or null.</param>
    /// <param name="cancellationToken">Stops the download; partial files are deleted.</param>
    /// <returns>The full path of the dataset folder.</returns>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name, or <paramref name="dataRoot"/> is empty.</exception>
    /// <exception cref="DownloadException">A file could not be fetched intact from any mirror.</exception>
    /// <exception cref="DataFileException">A verified archive does not hold the expected files.</exception>
    public Task<string> DownloadAsync(string dataset, string dataRoot, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        DownloadAsync(Plan(dataset), dataRoot, progress, cancellationToken);

    /// <summary>
    /// The files <see cref="DownloadAsync(string, string, IProgress{DownloadProgress}?, CancellationToken)"/>
    /// fetches for <paramref name="dataset"/>, with their sizes, SHA-256 and mirrors.
    /// </summary>
    /// <param name="dataset"><c>mnist</c>, <c>fashion-mnist</c> or <c>cifar10</c> (case-insensitive).</param>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    public static IReadOnlyList<DownloadSource> Sources(string dataset) => Plan(dataset).Files;

    /// <summary>
    /// What to fetch for one dataset. <paramref name="IsComplete"/> (given the dataset folder) says the work is
    /// already done, so nothing is fetched; <paramref name="AfterDownload"/> runs once every file is in place
    /// (e.g. extracts an archive). <paramref name="ExpectedFiles"/> says, in words, what a user should put in the
    /// folder instead.
    /// </summary>
    internal sealed record DownloadPlan(
        string FolderName,
        IReadOnlyList<DownloadSource> Files,
        string ExpectedFiles,
        Func<string, bool>? IsComplete = null,
        Func<string, IProgress<DownloadProgress>?, CancellationToken, Task>? AfterDownload = null);

    /// <summary>The catalogue entry for <paramref name="dataset"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dataset"/> is not a known name.</exception>
    internal static DownloadPlan Plan(string dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        string? key = DatasetLocator.Datasets.FirstOrDefault(name => string.Equals(name, dataset.Trim(), StringComparison.OrdinalIgnoreCase));
        switch (key)
        {
            case "mnist":
                return FlatPlan("mnist",
                [
                    ("train-images-idx3-ubyte.gz", 9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
                    ("train-labels-idx1-ubyte.gz", 28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
                    ("t10k-images-idx3-ubyte.gz", 1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
                    ("t10k-labels-idx1-ubyte.gz", 4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
                ],
                "https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/");
            case "fashion-mnist":
                return FlatPlan("fashion-mnist",
                [
                    ("train-images-idx3-ubyte.gz", 26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
                    ("train-labels-idx1-ubyte.gz", 29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
                    ("t10k-images-idx3-ubyte.gz", 4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
                    ("t10k-labels-idx1-ubyte.gz", 5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
                ],
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
            case "cifar10":
                var archive = new DownloadSource("cifar-10-binary.tar.gz", 170052171,
                    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                    [new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")]);
                return ArchivePlan("cifar-10-batches-bin", archive, "cifar-10-batches-bin", CifarExtractedFiles);
            default:
                throw new ArgumentException(
                    $"Unknown dataset '{dataset}'; known datasets are {string.Join(", ", DatasetLocator.Datasets)}.", nameof(dataset));
        }
    }

    /// <summary>A plan whose files are used as downloaded: each file from every mirror base URL + its name.</summary>
    private static DownloadPlan FlatPlan(string folderName, (string Name, long Size, string Sha256)[] files, params string[] mirrorBases)
    {
        var sources = files.Select(file => new DownloadSource(file.Name, file.Size, file.Sha256,
            mirrorBases.Select(mirrorBase => new Uri(mirrorBase + file.Name)).ToArray())).ToArray();
        return new DownloadPlan(folderName, sources, string.Join(", ", files.Select(file => file.Name)));
    }

    /// <summary>
    /// A plan that downloads one <c>.tar.gz</c> <paramref name="archive"/> into the folder, extracts the entries
    /// <c>&lt;archiveFolder&gt;/&lt;name&gt;</c> for every name in <paramref name="extractedFiles"/> into the folder,
    /// then deletes the archive. It counts as complete when all extracted files exist.
    /// </summary>
    internal static DownloadPlan ArchivePlan(string folderName, DownloadSource archive, string archiveFolder, IReadOnlyList<string> extractedFiles) =>
        new(folderName, [archive],
            $"{string.Join(", ", extractedFiles)} (or the archive {archive.FileName})",
            IsComplete: folder => extractedFiles.All(name => File.Exists(Path.Combine(folder, name))),
            AfterDownload: async (folder, progress, cancellationToken) =>
            {
                string archivePath = Path.Combine(folder, archive.FileName);
                await ExtractTarGzAsync(archivePath, archiveFolder, extractedFiles, folder, progress, cancellationToken).ConfigureAwait(false);
                File.Delete(archivePath);
                progress?.Report(new DownloadProgress(archive.FileName, archive.Size, archive.Size, "deleted after extraction"));
            });

    /// <summary>Runs <paramref name="plan"/> into <c>&lt;dataRoot&gt;/&lt;plan.FolderName&gt;</c>; the seam the tests use with their own catalogues.</summary>
    internal async Task<string> DownloadAsync(DownloadPlan plan, string dataRoot, IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRoot);
        string folder = Path.GetFullPath(Path.Combine(dataRoot, plan.FolderName));
        bool created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);

        if (plan.IsComplete?.Invoke(folder) == true)
        {
            foreach (var source in plan.Files)
                progress?.Report(new DownloadProgress(source.FileName, 0, source.Size, $"skipped: {folder} already holds the extracted files"));
            return folder;
        }

        try
        {
            foreach (var source in plan.Files)
                await DownloadFileAsync(source, folder, plan.ExpectedFiles, progress, cancellationToken).ConfigureAwait(false);
        }
        catch when (created && !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder); // leave no empty folder behind a download that got nothing
            throw;
        }

        if (plan.AfterDownload is not null)
            await plan.AfterDownload(folder, progress, cancellationToken).ConfigureAwait(false);
        return folder;
    }

    /// <summary>Places <paramref name="source"/> in <paramref name="folder"/>, verified, unless it is already there.</summary>
    private async Task DownloadFileAsync(DownloadSource source, string folder, string expectedFiles,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string target = Path.Combine(folder, source.FileName);
        if (File.Exists(target))
        {
            string? problem = await CheckExistingAsync(target, source, cancellationToken).ConfigureAwait(false);
            if (problem is null)
            {
                progress?.Report(new DownloadProgress(source.FileName, source.Size, source.Size, "skipped: already present, SHA-256 verified"));
                return;
            }
            progress?.Report(new DownloadProgress(source.FileName, 0, source.Size, $"redownloading: the present file is wrong ({problem})"));
        }

        var failures = new List<string>();
        foreach (Uri url in source.Mirrors)
        {
            string? failure = await TryMirrorAsync(source, url, target, progress, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                progress?.Report(new DownloadProgress(source.FileName, source.Size, source.Size, $"verified: SHA-256 matches, saved to {target}"));
                return;
            }
            failures.Add($"{url} ({failure})");
            progress?.Report(new DownloadProgress(source.FileName, 0, source.Size, $"failed: {url}: {failure}"));
        }
        if (failures.Count == 0) failures.Add("no mirrors are listed");
        throw new DownloadException(source.FileName, folder, failures, expectedFiles);
    }

    /// <summary>Null when the file at <paramref name="path"/> has the right size and SHA-256; otherwise what is wrong.</summary>
    private static async Task<string?> CheckExistingAsync(string path, DownloadSource source, CancellationToken cancellationToken)
    {
        // The stream's length, not FileInfo's: a symbolic link to a copy elsewhere counts as that copy.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        if (stream.Length != source.Size) return $"size {stream.Length}, expected {source.Size}";
        string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        return string.Equals(actual, source.Sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"checksum mismatch: expected {source.Sha256.ToLowerInvariant()} got {actual}";
    }

    /// <summary>
    /// Fetches <paramref name="url"/> into a temporary file, verifies it and renames it to <paramref name="target"/>.
    /// Returns null on success, otherwise why this mirror failed. The temporary file never outlives the call.
    /// </summary>
    private async Task<string?> TryMirrorAsync(DownloadSource source, Uri url, string target,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string temp = $"{target}.part-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            progress?.Report(new DownloadProgress(source.FileName, 0, source.Size, $"downloading {url} ({source.Size} bytes)"));
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return $"HTTP {(int)response.StatusCode} ({response.ReasonPhrase ?? response.StatusCode.ToString()})";
            long? announced = response.Content.Headers.ContentLength;
            if (announced < source.Size) return $"truncated: the server sends {announced} of {source.Size} bytes";
            if (announced > source.Size) return $"wrong size: the server sends {announced} bytes, expected {source.Size}";

            long received = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                var buffer = new byte[BufferSize];
                long nextReport = ProgressStepBytes;
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    stall.CancelAfter(ReadStallTimeout);
                    int count;
                    try
                    {
                        count = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        return $"timed out: no data for {ReadStallTimeout.TotalSeconds:F0} s after {received} of {source.Size} bytes";
                    }
                    catch (IOException e)
                    {
                        // The connection broke in the body, e.g. the server closed it before Content-Length bytes.
                        return $"truncated: got {received} of {source.Size} bytes ({e.Message})";
                    }
                    if (count == 0) break;
                    received += count;
                    if (received > source.Size) return $"too long: more than the expected {source.Size} bytes";
                    hash.AppendData(buffer, 0, count);
                    await file.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                    if (received >= nextReport)
                    {
                        progress?.Report(new DownloadProgress(source.FileName, received, source.Size, "receiving"));
                        nextReport = received + ProgressStepBytes;
                    }
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            if (received < source.Size) return $"truncated: got {received} of {source.Size} bytes";
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, source.Sha256, StringComparison.OrdinalIgnoreCase))
                return $"checksum mismatch: expected {source.Sha256.ToLowerInvariant()} got {actual}";

            File.Move(temp, target, overwrite: true);
            return null;
        }
        catch (HttpRequestException e)
        {
            return $"no network: {e.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"timed out after {_client.Timeout.TotalSeconds:F0} s waiting for the response";
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Extracts the regular-file entries <c>&lt;archiveFolder&gt;/&lt;name&gt;</c> of the gzipped tar archive at
    /// <paramref name="archivePath"/>, for every name in <paramref name="fileNames"/>, into
    /// <paramref name="targetFolder"/>; each is written to a temporary name and renamed (replacing an existing file).
    /// </summary>
    /// <exception cref="DataFileException">The archive is not a readable .tar.gz, or lacks some of the files (the message lists them).</exception>
    internal static async Task ExtractTarGzAsync(string archivePath, string archiveFolder, IReadOnlyList<string> fileNames,
        string targetFolder, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var missing = new HashSet<string>(fileNames, StringComparer.Ordinal);
        string prefix = archiveFolder.Trim('/') + "/";
        try
        {
            await using var archive = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
            await using var gzip = new GZipStream(archive, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (missing.Count > 0 && await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                string entryName = entry.Name.Replace('\\', '/');
                if (entryName.StartsWith("./", StringComparison.Ordinal)) entryName = entryName[2..];
                if (!entryName.StartsWith(prefix, StringComparison.Ordinal)) continue;
                string name = entryName[prefix.Length..];
                if (!missing.Remove(name)) continue;

                string target = Path.Combine(targetFolder, name);
                string temp = $"{target}.part-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
                try
                {
                    await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
                        await entry.DataStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                    File.Move(temp, target, overwrite: true);
                }
                finally
                {
                    TryDelete(temp);
                }
                progress?.Report(new DownloadProgress(name, entry.Length, entry.Length, $"extracted from {Path.GetFileName(archivePath)}"));
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(archivePath, $"corrupt archive: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFileException(archivePath, $"truncated archive: {e.Message}", e);
        }
        if (missing.Count > 0)
            throw new DataFileException(archivePath,
                $"incomplete archive: no entries {string.Join(", ", fileNames.Where(missing.Contains).Select(name => prefix + name))}.");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path); // no error when the file does not exist
        }
        catch (IOException)
        {
            // Best effort: a leftover *.part-* file is never taken for a dataset file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static HttpClient CreateDefaultClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None, // the files are stored as published, gzipped
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("SimdCnn-dataset-downloader/1.0");
        return client;
    }
}
