using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Engine.Data;
using static Engine.Tests.Data.DataFiles;

namespace Engine.Tests.Data;

/// <summary>
/// Downloads from a loopback HTTP server that serves files made here, with their own checksums; never the internet.
/// </summary>
public class DatasetDownloaderTests : TempFolderTests
{
    private LoopbackServer _server = null!;
    private HttpClient _client = null!;
    private DatasetDownloader _downloader = null!;
    private ProgressLog _progress = null!;

    [SetUp]
    public void StartServer()
    {
        _server = new LoopbackServer();
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        _downloader = new DatasetDownloader(_client);
        _progress = new ProgressLog();
    }

    [TearDown]
    public void StopServer()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private string Root => Path.Combine(Folder, "root");
    private string DatasetFolder => Path.Combine(Root, "fake");

    private static DownloadSource Source(string name, byte[] content, params Uri[] mirrors) =>
        new(name, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)), mirrors);

    private static DatasetDownloader.DownloadPlan FlatPlan(params DownloadSource[] files) =>
        new("fake", files, string.Join(", ", files.Select(file => file.FileName)));

    private Task<string> Download(DatasetDownloader.DownloadPlan plan) =>
        _downloader.DownloadAsync(plan, Root, _progress, CancellationToken.None);

    private DownloadException DownloadFails(DatasetDownloader.DownloadPlan plan) =>
        Assert.ThrowsAsync<DownloadException>(() => Download(plan))!;

    private string[] LeftoverTempFiles() =>
        Directory.Exists(DatasetFolder) ? Directory.GetFiles(DatasetFolder, "*.part-*") : [];

    [Test]
    public async Task GoodFilesArePlacedWithTheirExactContentAndNoTempFiles()
    {
        // Odd sizes: 1 byte, one read buffer plus a tail, and over a MiB (several progress reports).
        byte[] tiny = [42];
        byte[] medium = RandomPixels(81_920 + 13, seed: 1);
        byte[] large = RandomPixels(1_100_003, seed: 2);
        _server.Serve("tiny.bin", tiny);
        _server.Serve("medium.bin", medium);
        _server.Serve("large.bin", large);

        string folder = await Download(FlatPlan(
            Source("tiny.bin", tiny, _server.Url("tiny.bin")),
            Source("medium.bin", medium, _server.Url("medium.bin")),
            Source("large.bin", large, _server.Url("large.bin"))));

        Assert.That(folder, Is.EqualTo(Path.GetFullPath(DatasetFolder)));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "tiny.bin")), Is.EqualTo(tiny));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "medium.bin")), Is.EqualTo(medium));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "large.bin")), Is.EqualTo(large));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "tiny.bin", "medium.bin", "large.bin" }));
        Assert.That(_progress.Lines("large.bin"), Has.Some.StartsWith("receiving"));
        Assert.That(_progress.Lines("large.bin").Last(), Does.StartWith("verified"));
        Assert.That(_server.Requests, Is.EqualTo(new[] { "/tiny.bin", "/medium.bin", "/large.bin" }));
    }

    [Test]
    public void WrongChecksumFailsNamingTheFileAndBothHashesAndLeavesNothing()
    {
        byte[] expected = RandomPixels(1000, seed: 3);
        byte[] served = (byte[])expected.Clone();
        served[517] ^= 1;
        _server.Serve("data.bin", served);

        var error = DownloadFails(FlatPlan(Source("data.bin", expected, _server.Url("data.bin"))));

        Assert.That(error.Message, Does.Contain("data.bin"));
        Assert.That(error.Message, Does.Contain("checksum mismatch: expected " + Convert.ToHexStringLower(SHA256.HashData(expected))));
        Assert.That(error.Message, Does.Contain("got " + Convert.ToHexStringLower(SHA256.HashData(served))));
        Assert.That(error.FileName, Is.EqualTo("data.bin"));
        Assert.That(File.Exists(Path.Combine(DatasetFolder, "data.bin")), Is.False);
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void ConnectionClosedBeforeContentLengthIsTruncatedAndLeavesNothing()
    {
        byte[] content = RandomPixels(5000, seed: 4);
        _server.Serve("data.bin", content, sendOnly: 1234);

        var error = DownloadFails(FlatPlan(Source("data.bin", content, _server.Url("data.bin"))));

        Assert.That(error.Message, Does.Contain("truncated: got 1234 of 5000 bytes"));
        Assert.That(File.Exists(Path.Combine(DatasetFolder, "data.bin")), Is.False);
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [TestCase(4999, "truncated: the server sends 4999 of 5000 bytes")]
    [TestCase(1, "truncated: the server sends 1 of 5000 bytes")]
    [TestCase(5001, "wrong size: the server sends 5001 bytes, expected 5000")]
    public void BodyOfTheWrongSizeFailsAndLeavesNothing(int servedLength, string reason)
    {
        byte[] content = RandomPixels(5000, seed: 5);
        _server.Serve("data.bin", RandomPixels(servedLength, seed: 5));

        var error = DownloadFails(FlatPlan(Source("data.bin", content, _server.Url("data.bin"))));

        Assert.That(error.Message, Does.Contain(reason));
        Assert.That(File.Exists(Path.Combine(DatasetFolder, "data.bin")), Is.False);
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public async Task NotFoundOnTheFirstMirrorFallsBackToTheSecond()
    {
        byte[] content = RandomPixels(777, seed: 6);
        _server.Serve("second/data.bin", content);
        Uri first = _server.Url("first/data.bin"), second = _server.Url("second/data.bin");

        string folder = await Download(FlatPlan(Source("data.bin", content, first, second)));

        Assert.That(File.ReadAllBytes(Path.Combine(folder, "data.bin")), Is.EqualTo(content));
        Assert.That(_server.Requests, Is.EqualTo(new[] { "/first/data.bin", "/second/data.bin" }));
        Assert.That(_progress.Lines("data.bin"), Has.Some.EqualTo($"failed: {first}: HTTP 404 (Not Found)"));
        Assert.That(_progress.Lines("data.bin").Last(), Does.StartWith("verified"));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void WhenEveryMirrorFailsTheErrorListsEachUrlAndSaysWhereTheFilesBelong()
    {
        byte[] content = RandomPixels(10, seed: 7);
        Uri first = _server.Url("a/data.bin"), second = _server.Url("b/data.bin");

        var error = DownloadFails(FlatPlan(Source("data.bin", content, first, second), Source("other.bin", content, first)));

        Assert.That(error.Failures, Is.EqualTo(new[] { $"{first} (HTTP 404 (Not Found))", $"{second} (HTTP 404 (Not Found))" }));
        Assert.That(error.Message, Does.Contain(first.ToString()).And.Contain(second.ToString()));
        Assert.That(error.Message, Does.Contain(Path.GetFullPath(DatasetFolder)));
        Assert.That(error.Message, Does.Contain("data.bin, other.bin"));
        Assert.That(error.Message, Does.Contain("--data-dir").And.Contain("ENGINE_DATASETS"));
        Assert.That(error.Message, Does.Not.Contain("\n"), "ExitCodes prints the message as one line");
        Assert.That(error.Folder, Is.EqualTo(Path.GetFullPath(DatasetFolder)));
        Assert.That(Directory.Exists(DatasetFolder), Is.False, "the empty folder it created is removed");
        Assert.That(_server.Requests, Is.EqualTo(new[] { "/a/data.bin", "/b/data.bin" }), "stops at the first file that cannot be had");
    }

    [Test]
    public void UnreachableServerIsReportedAsNoNetwork()
    {
        byte[] content = [1, 2, 3];
        Uri closed = new($"http://127.0.0.1:{LoopbackServer.ClosedPort()}/data.bin");

        var error = DownloadFails(FlatPlan(Source("data.bin", content, closed)));

        Assert.That(error.Message, Does.Contain($"{closed} (no network: "));
        Assert.That(error.Message, Does.Contain(Path.GetFullPath(DatasetFolder)));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public async Task PresentFileWithTheRightChecksumIsNotFetchedAgain()
    {
        byte[] content = RandomPixels(2049, seed: 8);
        Directory.CreateDirectory(DatasetFolder);
        File.WriteAllBytes(Path.Combine(DatasetFolder, "data.bin"), content);
        _server.Serve("data.bin", content);

        await Download(FlatPlan(Source("data.bin", content, _server.Url("data.bin"))));

        Assert.That(_server.Requests, Is.Empty);
        Assert.That(_progress.Lines("data.bin"), Is.EqualTo(new[] { "skipped: already present, SHA-256 verified" }));
    }

    [TestCase(false, TestName = "PresentFileWithTheWrongChecksumIsFetchedAgain(same size)")]
    [TestCase(true, TestName = "PresentFileWithTheWrongChecksumIsFetchedAgain(shorter)")]
    public async Task PresentFileWithTheWrongChecksumIsFetchedAgain(bool shorter)
    {
        byte[] content = RandomPixels(2049, seed: 9);
        byte[] corrupt = shorter ? content[..2000] : [.. content[..^1], (byte)(content[^1] ^ 0xFF)];
        Directory.CreateDirectory(DatasetFolder);
        File.WriteAllBytes(Path.Combine(DatasetFolder, "data.bin"), corrupt);
        _server.Serve("data.bin", content);

        await Download(FlatPlan(Source("data.bin", content, _server.Url("data.bin"))));

        Assert.That(File.ReadAllBytes(Path.Combine(DatasetFolder, "data.bin")), Is.EqualTo(content));
        Assert.That(_server.Requests, Is.EqualTo(new[] { "/data.bin" }));
        Assert.That(_progress.Lines("data.bin")[0], Does.StartWith("redownloading").And.Contain(shorter ? "size 2000, expected 2049" : "checksum mismatch"));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public async Task ArchiveIsVerifiedExtractedFromItsFolderAndDeleted()
    {
        byte[] batch = RandomPixels(3 * CifarRecordBytes, seed: 10);
        byte[] test = RandomPixels(2 * CifarRecordBytes, seed: 11);
        for (int record = 0; record < 3; record++) batch[record * CifarRecordBytes] = (byte)(record + 4); // labels 0..9
        for (int record = 0; record < 2; record++) test[record * CifarRecordBytes] = (byte)record;
        byte[] meta = Encoding.ASCII.GetBytes("airplane\nautomobile\n");
        byte[] archive = TarGz(
            ("cifar-10-batches-bin/", null),
            ("elsewhere/data_batch_1.bin", [9, 9, 9]), // same name, wrong folder: must not be taken
            ("cifar-10-batches-bin/data_batch_1.bin", batch),
            ("cifar-10-batches-bin/readme.html", Encoding.ASCII.GetBytes("<html/>")),
            ("./cifar-10-batches-bin/batches.meta.txt", meta),
            ("cifar-10-batches-bin/test_batch.bin", test));
        _server.Serve("fake.tar.gz", archive);
        var plan = DatasetDownloader.ArchivePlan("cifar-10-batches-bin", Source("fake.tar.gz", archive, _server.Url("fake.tar.gz")),
            "cifar-10-batches-bin", ["data_batch_1.bin", "test_batch.bin", "batches.meta.txt"]);

        string folder = await Download(plan);

        Assert.That(folder, Is.EqualTo(Path.Combine(Path.GetFullPath(Root), "cifar-10-batches-bin")));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "data_batch_1.bin")), Is.EqualTo(batch));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "test_batch.bin")), Is.EqualTo(test));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "batches.meta.txt")), Is.EqualTo(meta));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "data_batch_1.bin", "test_batch.bin", "batches.meta.txt" }), "archive deleted, readme not extracted, no temp files");
        Assert.That(_progress.Lines("fake.tar.gz").Last(), Does.StartWith("deleted"));
        Assert.That(DatasetLocator.Resolve("cifar10", Root), Is.EqualTo(folder));
        Assert.That(Cifar10.Load(folder).Train.Count, Is.EqualTo(3));

        // Run again: the extracted files are there, so nothing is fetched.
        await Download(plan);
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
        Assert.That(_progress.Lines("fake.tar.gz").Last(), Does.StartWith("skipped"));
    }

    [Test]
    public void ArchiveLackingAFileFailsNamingTheMissingEntry()
    {
        byte[] archive = TarGz(("cifar-10-batches-bin/data_batch_1.bin", [1, 2, 3]));
        _server.Serve("fake.tar.gz", archive);
        var plan = DatasetDownloader.ArchivePlan("fake", Source("fake.tar.gz", archive, _server.Url("fake.tar.gz")),
            "cifar-10-batches-bin", ["data_batch_1.bin", "test_batch.bin"]);

        var error = Assert.ThrowsAsync<DataFileException>(() => Download(plan))!;

        Assert.That(error.Message, Does.Contain("incomplete archive: no entries cifar-10-batches-bin/test_batch.bin"));
        Assert.That(error.FilePath, Is.EqualTo(Path.Combine(Path.GetFullPath(DatasetFolder), "fake.tar.gz")));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void CancelledDownloadLeavesNothing()
    {
        byte[] content = RandomPixels(100, seed: 12);
        _server.Serve("data.bin", content);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => _downloader.DownloadAsync(FlatPlan(Source("data.bin", content, _server.Url("data.bin"))), Root, null, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(File.Exists(Path.Combine(DatasetFolder, "data.bin")), Is.False);
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void UnknownDatasetIsAnArgumentErrorListingTheNames()
    {
        var error = Assert.Throws<ArgumentException>(() => DatasetDownloader.Sources("mnist2"))!;
        Assert.That(error.Message, Does.Contain("mnist2").And.Contain("mnist, fashion-mnist, cifar10"));
        Assert.ThrowsAsync<ArgumentException>(() => _downloader.DownloadAsync("imagenet", Root));
    }

    [Test]
    public void CatalogueListsTheLoaderFilesWithMirrorsInOrder()
    {
        foreach (string dataset in new[] { "mnist", "fashion-mnist" })
        {
            var sources = DatasetDownloader.Sources(dataset);
            Assert.That(sources.Select(source => source.FileName), Is.EqualTo(Mnist.FileNames.Select(name => name + ".gz")));
            Assert.That(sources.Select(source => source.Sha256), Has.All.Match("^[0-9a-f]{64}$"));
        }
        Assert.That(DatasetDownloader.Sources("MNIST")[0].Mirrors.Select(uri => uri.Host),
            Is.EqualTo(new[] { "storage.googleapis.com", "ossci-datasets.s3.amazonaws.com" }));
        Assert.That(DatasetDownloader.Sources("mnist").SelectMany(source => source.Mirrors).Select(uri => Path.GetFileName(uri.AbsolutePath)),
            Is.EqualTo(DatasetDownloader.Sources("mnist").SelectMany(source => new[] { source.FileName, source.FileName })));
        var cifar = DatasetDownloader.Sources("cifar10").Single();
        Assert.That(cifar.FileName, Is.EqualTo("cifar-10-binary.tar.gz"));
        Assert.That(cifar.Mirrors.Single().Host, Is.EqualTo("www.cs.toronto.edu"));
    }

    /// <summary>
    /// The catalogue's sizes and SHA-256 against the real published files in ENGINE_DATASETS (hashed here), and the
    /// real-catalogue path end to end: links to those files are recognised as present, so nothing is fetched.
    /// </summary>
    [TestCase("mnist")]
    [TestCase("fashion-mnist")]
    public async Task CatalogueMatchesTheRealFilesAndSkipsThemWithoutTheNetwork(string dataset)
    {
        string? shared = Environment.GetEnvironmentVariable(DatasetLocator.EnvironmentVariable);
        string realFolder = Path.Combine(shared ?? "", dataset);
        var sources = DatasetDownloader.Sources(dataset);
        if (string.IsNullOrEmpty(shared) || !sources.All(source => File.Exists(Path.Combine(realFolder, source.FileName))))
            Assert.Ignore($"{dataset} .gz files not found under ${DatasetLocator.EnvironmentVariable}.");

        string linkFolder = Path.Combine(Root, dataset);
        Directory.CreateDirectory(linkFolder);
        foreach (var source in sources)
        {
            string real = Path.Combine(realFolder, source.FileName);
            Assert.That(new FileInfo(real).Length, Is.EqualTo(source.Size), source.FileName);
            await using (var stream = File.OpenRead(real))
                Assert.That(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), Is.EqualTo(source.Sha256), source.FileName);
            File.CreateSymbolicLink(Path.Combine(linkFolder, source.FileName), real);
        }

        using var offline = new HttpClient(new RefusingHandler());
        string folder = await new DatasetDownloader(offline).DownloadAsync(dataset, Root, _progress);

        Assert.That(folder, Is.EqualTo(Path.GetFullPath(linkFolder)));
        foreach (var source in sources)
            Assert.That(_progress.Lines(source.FileName), Is.EqualTo(new[] { "skipped: already present, SHA-256 verified" }));
    }

    /// <summary>A gzipped tar archive of the given entries; a null content makes a directory entry.</summary>
    private static byte[] TarGz(params (string Name, byte[]? Content)[] entries)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = new PaxTarEntry(content is null ? TarEntryType.Directory : TarEntryType.RegularFile, name);
                if (content is not null) entry.DataStream = new MemoryStream(content);
                writer.WriteEntry(entry);
            }
        }
        return Gzip(tar.ToArray());
    }

    /// <summary>Collects reports synchronously, in order.</summary>
    private sealed class ProgressLog : IProgress<DownloadProgress>
    {
        private readonly ConcurrentQueue<DownloadProgress> _reports = new();

        public void Report(DownloadProgress value) => _reports.Enqueue(value);

        public string[] Lines(string fileName) =>
            _reports.Where(report => report.FileName == fileName).Select(report => report.Status).ToArray();
    }

    /// <summary>Fails every request, as if there were no network.</summary>
    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException($"test: no request may be sent ({request.RequestUri})");
    }
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1: one connection at a time, one GET per connection (Connection: close).
/// Unknown paths get 404. A reply can announce the full Content-Length but send only a prefix, then close.
/// Bounded: at most <see cref="MaxConnections"/> connections, each request within 5 s, the whole server within 30 s.
/// </summary>
internal sealed class LoopbackServer : IDisposable
{
    private const int MaxConnections = 64;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, (byte[] Body, int? SendOnly)> _files = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(30));
    private readonly Task _loop;

    public LoopbackServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The paths requested so far, in order, e.g. <c>/a/data.bin</c>.</summary>
    public IReadOnlyList<string> Requests => _requests.ToArray();

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}/{path}");

    /// <summary>Serves <paramref name="body"/> at <c>/path</c>; with <paramref name="sendOnly"/>, announces all of it but sends only that many bytes.</summary>
    public void Serve(string path, byte[] body, int? sendOnly = null) => _files["/" + path] = (body, sendOnly);

    /// <summary>A loopback port nothing listens on (just released).</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        for (int connection = 0; connection < MaxConnections; connection++)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                try
                {
                    await HandleAsync(client, timeout.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // The client went away or was too slow; serve the next one.
                }
            }
        }
    }

    private async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        var header = new List<byte>();
        var buffer = new byte[1024];
        while (!EndsWithBlankLine(header))
        {
            int count = await stream.ReadAsync(buffer, cancellationToken);
            if (count == 0 || header.Count > 16_384) return;
            header.AddRange(buffer.AsSpan(0, count));
        }
        string requestLine = Encoding.ASCII.GetString(header.ToArray()).Split("\r\n")[0];
        string path = requestLine.Split(' ')[1];
        _requests.Enqueue(path);

        byte[] response;
        if (_files.TryGetValue(path, out var file))
        {
            int sent = file.SendOnly ?? file.Body.Length;
            response = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {file.Body.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"), .. file.Body.AsSpan(0, sent)];
        }
        else
        {
            response = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        await stream.WriteAsync(response, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        client.Client.Shutdown(SocketShutdown.Send);
    }

    private static bool EndsWithBlankLine(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop only ends by cancellation or a closed listener.
        }
        _listener.Dispose();
        _stop.Dispose();
    }
}
