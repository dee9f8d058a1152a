namespace Engine.Data;

/// <summary>
/// One published file of a dataset: its name, exact size and SHA-256, and the URLs it can be fetched from,
/// tried in order.
/// </summary>
/// <param name="FileName">The file's name in the dataset folder, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Size">The file's exact size in bytes.</param>
/// <param name="Sha256">The file's SHA-256 as 64 hexadecimal digits (either case).</param>
/// <param name="Mirrors">The URLs serving the file, tried in order.</param>
public sealed record DownloadSource(string FileName, long Size, string Sha256, IReadOnlyList<Uri> Mirrors);

/// <summary>
/// What <see cref="DatasetDownloader"/> is doing with one file. <see cref="Status"/> starts with one word:
/// <c>skipped</c> (already present and verified), <c>redownloading</c> (present but its checksum is wrong),
/// <c>downloading</c> (a request to one mirror starts), <c>receiving</c> (bytes arrived; sent about every MiB),
/// <c>failed</c> (one mirror failed; the next one is tried), <c>verified</c> (downloaded, checked and in place),
/// <c>extracted</c> (taken out of an archive) or <c>deleted</c> (an archive removed after extraction).
/// </summary>
/// <param name="FileName">The file's name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="BytesReceived">Bytes received (or found on disk) so far.</param>
/// <param name="TotalBytes">The file's expected size, when known.</param>
/// <param name="Status">A short line starting with the status word, e.g. <c>downloading https://…</c>.</param>
public sealed record DownloadProgress(string FileName, long BytesReceived, long? TotalBytes, string Status);
