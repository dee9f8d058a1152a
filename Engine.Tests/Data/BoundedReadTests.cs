using System.Diagnostics;
using System.IO.Compression;
using Engine.Data;
using static Engine.Tests.Data.DataFiles;

namespace Engine.Tests.Data;

/// <summary>
/// Readers are bounded: a file that declares or inflates to gigabytes is refused without gigabytes of memory, a file
/// over the limit is refused by name, and directories, devices and FIFOs are refused before they are opened.
/// </summary>
[NonParallelizable]
public class BoundedReadTests : TempFolderTests
{
    /// <summary>A gzip stream of <paramref name="header"/> followed by <paramref name="zeroMegabytes"/> MiB of zeros (a few KB compressed).</summary>
    private string WriteBomb(string name, byte[] header, int zeroMegabytes)
    {
        string path = Path.Combine(Folder, name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        gzip.Write(header);
        var zeros = new byte[1 << 20];
        for (int i = 0; i < zeroMegabytes; i++) gzip.Write(zeros);
        return path;
    }

    /// <summary>Runs <paramref name="action"/>, which must throw a <see cref="DataFileException"/>, and returns it with the bytes this thread allocated.</summary>
    private static (DataFileException Error, long Allocated) Measure(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFileException>(() => action())!;
        return (error, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void RunWithin(TimeSpan limit, Action action)
    {
        var task = Task.Run(action);
        Assert.That(task.Wait(limit), Is.True, "the reader blocked");
    }

    [Test]
    public void AGzipStreamInflatingFarBeyondItsHeaderIsStoppedThere()
    {
        // 10 images of 28×28 declared (7,840 bytes), 256 MiB of zeros after them: a ~260 KB file.
        string path = WriteBomb("t10k-images-idx3-ubyte.gz", BigEndian(0x803, 10, 28, 28), zeroMegabytes: 256);
        Assert.That(new FileInfo(path).Length, Is.LessThan(1 << 20));

        var watch = Stopwatch.StartNew();
        var (error, allocated) = Measure(() => Mnist.ReadImages(path));

        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith(path).And.Contain("trailing garbage").And.Contain("10 images of 28×28").And.Contain("reading stopped"));
        Assert.That(allocated, Is.LessThan(8 << 20), "memory stays bounded by the declared size, not the inflated one");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "only about 1 MiB past the header is inflated");
    }

    [Test]
    public void ALabelStreamInflatingBeyondItsHeaderIsStoppedThere()
    {
        string path = WriteBomb("train-labels-idx1-ubyte.gz", BigEndian(0x801, 5), zeroMegabytes: 64);
        var (error, allocated) = Measure(() => Idx.ReadLabels(path, 10));
        Assert.That(error.Message, Does.StartWith(path).And.Contain("trailing garbage").And.Contain("5 labels"));
        Assert.That(allocated, Is.LessThan(8 << 20));
    }

    [Test]
    public void AHeaderDeclaringHundredsOfMegabytesInATinyFileAllocatesOnlyWhatIsThere()
    {
        // 1,000,000 images of 28×28 declared (784 MB, under the 1 GiB limit), 3 images present.
        string path = WriteIdx(Folder, "train-images-idx3-ubyte", IdxImages(1_000_000, 28, 28, PatternPixels(3 * 784)), gzip: true);
        var (error, allocated) = Measure(() => Mnist.ReadImages(path));
        Assert.That(error.Message, Does.StartWith(path).And.Contain("truncated").And.Contain("1000000 images").And.Contain("only 2352 bytes"));
        Assert.That(allocated, Is.LessThan(8 << 20));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AHeaderDeclaringMoreThanTheLimitIsRefusedBeforeReading(bool gzip)
    {
        // 2,000,000 images of 28×28 = 1.57 GB > 1 GiB.
        string path = WriteIdx(Folder, "train-images-idx3-ubyte", IdxImages(2_000_000, 28, 28, PatternPixels(784)), gzip);
        var (error, allocated) = Measure(() => Mnist.ReadImages(path));
        Assert.That(error.Message, Does.StartWith(path).And.Contain("too large").And.Contain("2000000 images").And.Contain($"{Idx.MaxBodyBytes} bytes"));
        Assert.That(allocated, Is.LessThan(1 << 20));
    }

    [Test]
    public void AFileOverTwoGigabytesIsRefusedByName()
    {
        // A sparse file: 2.5 GiB long, no disk used. File.ReadAllBytes would fail with a bare IOException.
        string mnist = Path.Combine(Folder, "train-images-idx3-ubyte");
        using (var f = File.Create(mnist)) { f.Write(BigEndian(0x803, 1, 28, 28)); f.SetLength(5L << 29); }
        var (error, allocated) = Measure(() => Mnist.ReadImages(mnist));
        Assert.That(error.Message, Does.StartWith(mnist).And.Contain("too large").And.Contain($"{5L << 29} bytes"));
        Assert.That(allocated, Is.LessThan(1 << 20));

        string cifar = Path.Combine(Folder, "data_batch_1.bin");
        using (var f = File.Create(cifar)) f.SetLength(3073L * 800_000);
        var cifarError = Assert.Throws<DataFileException>(() => Cifar10.LoadBatch(cifar))!;
        Assert.That(cifarError.Message, Does.StartWith(cifar).And.Contain("too large"));
    }

    [Test]
    public void ReadImagesGivesATensorOfScaledPixels()
    {
        string path = WriteIdx(Folder, "images", IdxImages(2, 2, 3, [0, 255, 51, 1, 2, 3, 4, 5, 6, 7, 8, 9]), gzip: true);
        using var images = Mnist.ReadImages(path);
        Assert.That(images.Shape, Is.EqualTo(new Shape(2, 1, 2, 3)));
        Assert.That(images[0], Is.EqualTo(0f));
        Assert.That(images[1], Is.EqualTo(1f));
        Assert.That(images[2], Is.EqualTo(0.2f));
        Assert.That(images[11], Is.EqualTo(9 / 255f));
    }

    [Test]
    public void LoadBatchReadsOneCifarFile()
    {
        string path = Path.Combine(Folder, "my_batch.bin");
        File.WriteAllBytes(path, CifarRecords([3, 9]));
        var batch = Cifar10.LoadBatch(path);
        Assert.That(batch.Name, Is.EqualTo("my_batch.bin"));
        Assert.That(batch.Labels.ToArray(), Is.EqualTo(new[] { 3, 9 }));
        Assert.That(batch.SampleShape, Is.EqualTo(new Shape(3, 32, 32)));
        Assert.That(batch.Image(1)[5], Is.EqualTo(CifarPixel(1, 0, 0, 5) / 255f));
    }

    [Test]
    public void AFifoIsRefusedWithoutBlocking()
    {
        string fifo = Path.Combine(Folder, "train-labels-idx1-ubyte");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assume.That(File.Exists(fifo), "mkfifo made no FIFO");

        RunWithin(TimeSpan.FromSeconds(20), () =>
        {
            var error = Assert.Throws<DataFileException>(() => DataFile.ReadAllBytes(fifo, 1 << 20))!;
            Assert.That(error.Message, Does.StartWith(fifo).And.Contain("FIFO").And.Contain("not a regular file"));
            var idx = Assert.Throws<DataFileException>(() => Idx.ReadLabels(fifo, 10))!;
            Assert.That(idx.Message, Does.Contain("FIFO"));
        });
        Assert.That(BoundedFile.FileType(fifo), Is.EqualTo(BoundedFile.Kind.Fifo));
    }

    [Test]
    public void DevZeroIsRefusedBeforeReadingAByte()
    {
        RunWithin(TimeSpan.FromSeconds(20), () =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<DataFileException>(() => DataFile.ReadAllBytes("/dev/zero", long.MaxValue))!;
            Assert.That(error.Message, Does.StartWith("/dev/zero").And.Contain("character device"));
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20));
            Assert.That(() => Cifar10.LoadBatch("/dev/zero"), Throws.InstanceOf<DataFileException>().With.Message.Contain("not a regular file"));
        });
    }

    [Test]
    public void ADirectoryIsRefused()
    {
        var error = Assert.Throws<DataFileException>(() => DataFile.ReadAllBytes(Folder, 100))!;
        Assert.That(error.Message, Does.StartWith(Folder).And.Contain("is a directory"));
        Assert.That(BoundedFile.NotARegularFile(Path.Combine(Folder, "missing")), Is.EqualTo("does not exist."));
    }

    [Test]
    public void AFileOverTheCallersLimitIsRefusedAndOneWithinItIsReadWhole()
    {
        string path = Path.Combine(Folder, "f.bin");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        Assert.That(DataFile.ReadAllBytes(path, 5), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.That(() => DataFile.ReadAllBytes(path, 4),
            Throws.InstanceOf<DataFileException>().With.Message.Contains("too large: 5 bytes, more than the 4 bytes"));
    }

    [Test]
    public void AFileThatCannotBeOpenedIsADataFileError()
    {
        // Write-only for everyone, root included (the kernel's sysctl permission check has no override).
        const string writeOnly = "/proc/sys/vm/drop_caches";
        Assume.That(File.Exists(writeOnly) && BoundedFile.FileType(writeOnly) == BoundedFile.Kind.Regular, $"{writeOnly} is not here");
        var error = Assert.Throws<DataFileException>(() => DataFile.ReadAllBytes(writeOnly, 100))!;
        Assert.That(error.Message, Does.StartWith(writeOnly).And.Contain("cannot be read"));
    }

    [Test]
    public void ADirectoryWhereADatasetFileShouldBeIsAnErrorNotAMissingDataset()
    {
        string mnist = Path.Combine(Folder, "mnist");
        WriteMnist(mnist, [1], [2]);
        File.Delete(Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz"));
        Directory.CreateDirectory(Path.Combine(mnist, "t10k-labels-idx1-ubyte.gz"));
        var error = Assert.Throws<DataFileException>(() => DatasetLocator.Resolve("mnist", Folder))!;
        Assert.That(error.Message, Does.Contain("t10k-labels-idx1-ubyte.gz").And.Contain("is a directory where a data file should be"));

        string cifar = Path.Combine(Folder, "cifar-10-subset");
        WriteCifar(cifar, [[1]], [2]);
        File.Delete(Path.Combine(cifar, "test_batch.bin"));
        Directory.CreateDirectory(Path.Combine(cifar, "test_batch.bin"));
        Assert.That(() => DatasetLocator.Resolve("cifar10", Folder), Throws.InstanceOf<DataFileException>().With.Message.Contains("test_batch.bin"));
        Assert.That(() => Cifar10.Load(cifar), Throws.InstanceOf<DataFileException>().With.Message.Contains("is a directory"));
    }
}
