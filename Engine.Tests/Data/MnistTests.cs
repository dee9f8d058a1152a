using Engine.Data;
using static Engine.Tests.Data.DataFiles;

namespace Engine.Tests.Data;

public class MnistTests : TempFolderTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void LoadsShapeLabelsAndScaledPixels(bool gzip)
    {
        // 3 training images of 2×5 and 2 test images, so rows and columns cannot be confused.
        WriteMnist(Folder, trainLabels: [7, 0, 9], testLabels: [1, 2], gzip: gzip, rows: 2, columns: 5);

        TrainTestSplit data = Mnist.Load(Folder, "digits");

        Assert.Multiple(() =>
        {
            Assert.That(data.Train.Name, Is.EqualTo("digits/train"));
            Assert.That(data.Test.Name, Is.EqualTo("digits/test"));
            Assert.That(data.Train.Count, Is.EqualTo(3));
            Assert.That(data.Test.Count, Is.EqualTo(2));
            Assert.That(data.Train.SampleShape, Is.EqualTo(new Shape(1, 2, 5)));
            Assert.That(data.Test.SampleShape, Is.EqualTo(new Shape(1, 2, 5)));
            Assert.That(data.Train.Classes, Is.EqualTo(10));
            Assert.That(data.Train.Labels.ToArray(), Is.EqualTo(new[] { 7, 0, 9 }));
            Assert.That(data.Test.Labels.ToArray(), Is.EqualTo(new[] { 1, 2 }));
            // Pattern byte i is (7i + 3) mod 256: image 1 starts at byte 10 → 73; test pattern is shifted by 1.
            Assert.That(data.Train.Image(0)[0], Is.EqualTo(3 / 255f));
            Assert.That(data.Train.Image(1)[0], Is.EqualTo(73 / 255f));
            Assert.That(data.Train.Image(2)[9], Is.EqualTo((7 * 29 + 3) / 255f));
            Assert.That(data.Test.Image(1)[4], Is.EqualTo((7 * 14 + 4) / 255f));
        });
        byte[] pattern = PatternPixels(3 * 10);
        Assert.That(data.Train.Images.ToArray(), Is.EqualTo(pattern.Select(b => b / 255f).ToArray()));
    }

    [Test]
    public void ScalesZeroTo0And255To1()
    {
        Directory.CreateDirectory(Folder);
        WriteIdx(Folder, "train-images-idx3-ubyte", IdxImages(1, 1, 3, [0, 51, 255]), gzip: true);
        WriteIdx(Folder, "train-labels-idx1-ubyte", IdxLabels(4), gzip: true);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", IdxImages(1, 1, 3, [255, 0, 102]), gzip: false);
        WriteIdx(Folder, "t10k-labels-idx1-ubyte", IdxLabels(9), gzip: false);

        TrainTestSplit data = Mnist.Load(Folder);

        Assert.That(data.Train.Image(0).ToArray(), Is.EqualTo(new[] { 0f, 0.2f, 1f }));
        Assert.That(data.Test.Image(0).ToArray(), Is.EqualTo(new[] { 1f, 0f, 0.4f }));
        Assert.That(data.Train.Name, Is.EqualTo("mnist/train"));
    }

    [Test]
    public void PrefersTheRawFileWhenBothExist()
    {
        WriteMnist(Folder, trainLabels: [1, 2, 3], testLabels: [4], gzip: true, rows: 3, columns: 3);
        WriteIdx(Folder, "train-labels-idx1-ubyte", IdxLabels(8, 8, 8), gzip: false);

        Assert.That(Mnist.Load(Folder).Train.Labels.ToArray(), Is.EqualTo(new[] { 8, 8, 8 }));
    }

    [Test]
    public void TakeReturnsTheFirstImagesInOrder()
    {
        WriteMnist(Folder, trainLabels: [5, 0, 4, 1, 9, 2, 1], testLabels: [3], rows: 3, columns: 2);
        Dataset train = Mnist.Load(Folder).Train;

        Dataset first = train.Take(4);

        Assert.That(first.Count, Is.EqualTo(4));
        Assert.That(first.Labels.ToArray(), Is.EqualTo(new[] { 5, 0, 4, 1 }));
        Assert.That(first.Images.ToArray(), Is.EqualTo(train.Images[..24].ToArray()));
        Assert.That(first.Image(3).ToArray(), Is.EqualTo(PatternPixels(24)[18..].Select(b => b / 255f).ToArray()));
    }

    [Test]
    public void WrongMagicSaysWhatWasFoundAndWhatWasExpected()
    {
        WriteMnist(Folder, [1, 2], [3], rows: 2, columns: 2);
        // A label file where the image file belongs.
        WriteIdx(Folder, "train-images-idx3-ubyte", IdxLabels(1, 2), gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.FilePath, Does.EndWith("train-images-idx3-ubyte.gz"));
        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("magic")
            .And.Contain("0x00000801").And.Contain("0x00000803").And.Contain("label file"));
    }

    [Test]
    public void NotAnIdxFileAtAll()
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        WriteIdx(Folder, "t10k-labels-idx1-ubyte", "<html>Not found</html>"u8.ToArray(), gzip: false);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-labels-idx1-ubyte").And.Contain("magic").And.Contain("not an IDX file"));
    }

    [TestCase(0)]
    [TestCase(3)]
    [TestCase(15)]
    public void TruncatedImageHeader(int length)
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        byte[] full = IdxImages(1, 1, 1, [9]);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", full[..length], gzip: false);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-images-idx3-ubyte").And.Contain("truncated header").And.Contain($"{length} bytes"));
    }

    [TestCase(7)]
    [TestCase(2)]
    public void TruncatedLabelHeader(int length)
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        WriteIdx(Folder, "train-labels-idx1-ubyte", IdxLabels(1)[..length], gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-labels-idx1-ubyte.gz").And.Contain("truncated header"));
    }

    [Test]
    public void TruncatedImageData()
    {
        WriteMnist(Folder, [1, 2, 3], [3], rows: 2, columns: 3);
        // Header promises 3 images of 2×3 = 18 bytes; only 10 follow.
        WriteIdx(Folder, "train-images-idx3-ubyte", IdxImages(3, 2, 3, PatternPixels(10)), gzip: false);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte").And.Contain("truncated")
            .And.Contain("3 images of 2×3 (18 bytes)").And.Contain("only 10 bytes"));
    }

    [Test]
    public void TruncatedLabelData()
    {
        WriteMnist(Folder, [1, 2, 3], [3], rows: 2, columns: 3);
        byte[] labels = IdxLabels(1, 2, 3);
        WriteIdx(Folder, "train-labels-idx1-ubyte", labels[..^1], gzip: false);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-labels-idx1-ubyte").And.Contain("truncated").And.Contain("3 labels").And.Contain("only 2 bytes"));
    }

    [Test]
    public void GzipFileCutShortIsReportedAsTruncated()
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        // 40 incompressible 28×28 images; keep the first 60 % of the compressed file.
        byte[] gz = Gzip(IdxImages(40, 28, 28, RandomPixels(40 * 784, seed: 7)));
        File.WriteAllBytes(Path.Combine(Folder, "train-images-idx3-ubyte.gz"), gz[..(gz.Length * 6 / 10)]);
        WriteIdx(Folder, "train-labels-idx1-ubyte", IdxLabels(new byte[40]), gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("truncated").And.Contain("gunzip"));
    }

    [Test]
    public void TrailingGarbage()
    {
        WriteMnist(Folder, [1, 2], [3], rows: 2, columns: 2);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", [.. IdxImages(1, 2, 2, [1, 2, 3, 4]), 0, 0, 0], gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-images-idx3-ubyte.gz").And.Contain("trailing").And.Contain("3 too many"));
    }

    [Test]
    public void CorruptGzipBody()
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        byte[] gz = Gzip(IdxImages(20, 28, 28, PatternPixels(20 * 784)));
        for (int i = 12; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        File.WriteAllBytes(Path.Combine(Folder, "train-images-idx3-ubyte.gz"), gz);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("corrupt gzip"));
        Assert.That(e.InnerException, Is.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void GzipChecksumMismatch()
    {
        WriteMnist(Folder, [1, 2], [3], rows: 1, columns: 1);
        byte[] gz = Gzip(IdxLabels(1, 2));
        gz[^8] ^= 0xFF; // first byte of the CRC-32 in the gzip trailer
        File.WriteAllBytes(Path.Combine(Folder, "train-labels-idx1-ubyte.gz"), gz);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-labels-idx1-ubyte.gz").And.Contain("corrupt gzip"));
    }

    [Test]
    public void ImageAndLabelCountsMustAgree()
    {
        WriteMnist(Folder, [1, 2, 3], [3], rows: 2, columns: 2);
        WriteIdx(Folder, "train-labels-idx1-ubyte", IdxLabels(1, 2), gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte.gz").And.Contain("train-labels-idx1-ubyte.gz")
            .And.Contain("mismatch").And.Contain("3 images").And.Contain("2 labels"));
    }

    [TestCase(10)]
    [TestCase(255)]
    public void LabelOutOfRangeNamesIndexAndValue(int badLabel)
    {
        WriteMnist(Folder, [1, 2, 3], [3], rows: 1, columns: 1);
        WriteIdx(Folder, "t10k-labels-idx1-ubyte", IdxLabels(9, (byte)badLabel), gzip: true);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", IdxImages(2, 1, 1, [0, 0]), gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-labels-idx1-ubyte.gz").And.Contain("out of range")
            .And.Contain($"label 1 is {badLabel}").And.Contain("0..9"));
    }

    [Test]
    public void ZeroImagesInHeaderIsRejected()
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", IdxImages(0, 1, 1, []), gzip: false);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-images-idx3-ubyte").And.Contain("invalid header").And.Contain("count is 0"));
    }

    [Test]
    public void TrainAndTestImageSizesMustAgree()
    {
        WriteMnist(Folder, [1], [3], rows: 2, columns: 2);
        WriteIdx(Folder, "t10k-images-idx3-ubyte", IdxImages(1, 3, 3, new byte[9]), gzip: true);

        var e = Assert.Throws<DataFileException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("t10k-images-idx3-ubyte.gz").And.Contain("mismatch").And.Contain("3×3").And.Contain("2×2"));
    }

    [TestCase("train-images-idx3-ubyte")]
    [TestCase("train-labels-idx1-ubyte")]
    [TestCase("t10k-images-idx3-ubyte")]
    [TestCase("t10k-labels-idx1-ubyte")]
    public void MissingFileNamesTheFileAndTheFolder(string fileName)
    {
        WriteMnist(Folder, [1], [3], rows: 1, columns: 1);
        File.Delete(Path.Combine(Folder, fileName + ".gz"));

        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(Folder))!;

        Assert.That(e.Message, Does.Contain(fileName).And.Contain(Folder).And.Contain("not found"));
        Assert.That(e.FileName, Does.Contain(fileName));
    }

    [Test]
    public void MissingFolder()
    {
        string missing = Path.Combine(Folder, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Mnist.Load(missing))!;
        Assert.That(e.Message, Does.Contain(missing).And.Contain("does not exist"));
    }
}
