using Engine.Data;
using static Engine.Tests.Data.DataFiles;

namespace Engine.Tests.Data;

public class Cifar10Tests : TempFolderTests
{
    [Test]
    public void LoadsPlanarImagesScaledToUnitRange()
    {
        WriteCifar(Folder, [[6, 9]], testLabels: [3]);

        TrainTestSplit data = Cifar10.Load(Folder);

        Assert.Multiple(() =>
        {
            Assert.That(data.Train.Name, Is.EqualTo("cifar10/train"));
            Assert.That(data.Test.Name, Is.EqualTo("cifar10/test"));
            Assert.That(data.Train.Count, Is.EqualTo(2));
            Assert.That(data.Test.Count, Is.EqualTo(1));
            Assert.That(data.Train.SampleShape, Is.EqualTo(new Shape(3, 32, 32)));
            Assert.That(data.Train.Classes, Is.EqualTo(10));
            Assert.That(data.Train.Labels.ToArray(), Is.EqualTo(new[] { 6, 9 }));
            Assert.That(data.Test.Labels.ToArray(), Is.EqualTo(new[] { 3 }));
            // Pixel (c, y, x) of record r is (11r + 85c + 7y + 3x) mod 256; it sits at c·1024 + y·32 + x.
            Assert.That(data.Train.Image(0)[0], Is.EqualTo(0f));
            Assert.That(data.Train.Image(0)[1 * 1024 + 2 * 32 + 5], Is.EqualTo((85 + 14 + 15) / 255f));
            Assert.That(data.Train.Image(1)[2 * 1024 + 31 * 32 + 31], Is.EqualTo((11 + 170 + 217 + 93) % 256 / 255f));
            Assert.That(data.Test.Image(0)[0], Is.EqualTo(11000 % 256 / 255f));
        });
        var expected = new float[3072];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    expected[c * 1024 + y * 32 + x] = CifarPixel(1, c, y, x) / 255f;
        Assert.That(data.Train.Image(1).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void ConcatenatesTrainingBatchesInOrder()
    {
        WriteCifar(Folder, [[1, 2], [3], [4, 5, 6]], testLabels: [0, 7]);

        TrainTestSplit data = Cifar10.Load(Folder);

        Assert.That(data.Train.Labels.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(data.Test.Labels.ToArray(), Is.EqualTo(new[] { 0, 7 }));
        // Record 3 is the first of data_batch_3.bin and was written as global record 3.
        Assert.That(data.Train.Image(3)[5], Is.EqualTo(CifarPixel(3, 0, 0, 5) / 255f));
        Assert.That(data.Train.Image(5)[3071], Is.EqualTo(CifarPixel(5, 2, 31, 31) / 255f));
    }

    [Test]
    public void ReadsAllFiveBatches()
    {
        WriteCifar(Folder, [[0], [1], [2], [3], [4]], testLabels: [9]);
        Assert.That(Cifar10.Load(Folder).Train.Labels.ToArray(), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
    }

    [Test]
    public void TakeReturnsTheFirstImagesInOrder()
    {
        WriteCifar(Folder, [[4, 1, 8], [2, 2]], testLabels: [0]);
        Dataset train = Cifar10.Load(Folder).Train;

        Dataset first = train.Take(4);

        Assert.That(first.Labels.ToArray(), Is.EqualTo(new[] { 4, 1, 8, 2 }));
        Assert.That(first.Images.ToArray(), Is.EqualTo(train.Images[..(4 * 3072)].ToArray()));
    }

    [Test]
    public void GapInTrainingBatchesIsAnError()
    {
        WriteCifar(Folder, [[1], [2], [3], [4]], testLabels: [0]);
        File.Delete(Path.Combine(Folder, "data_batch_3.bin"));

        var e = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("data_batch_3.bin").And.Contain("missing").And.Contain("data_batch_4.bin"));
    }

    [TestCase(1)]
    [TestCase(3072)]
    [TestCase(3074)]
    [TestCase(2 * 3073 + 100)]
    public void SizeNotAMultipleOfTheRecordSize(int length)
    {
        WriteCifar(Folder, [[1], [2]], testLabels: [0]);
        File.WriteAllBytes(Path.Combine(Folder, "data_batch_2.bin"), CifarRecords([1, 2, 3])[..length]);

        var e = Assert.Throws<DataFileException>(() => Cifar10.Load(Folder))!;

        Assert.That(e.FilePath, Does.EndWith("data_batch_2.bin"));
        Assert.That(e.Message, Does.Contain("data_batch_2.bin").And.Contain("truncated")
            .And.Contain($"{length} bytes is not a multiple of 3073"));
    }

    [Test]
    public void EmptyBatch()
    {
        WriteCifar(Folder, [[1]], testLabels: [0]);
        File.WriteAllBytes(Path.Combine(Folder, "test_batch.bin"), []);

        var e = Assert.Throws<DataFileException>(() => Cifar10.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("test_batch.bin").And.Contain("empty"));
    }

    [TestCase(10)]
    [TestCase(200)]
    public void LabelOutOfRangeNamesTheRecord(int badLabel)
    {
        WriteCifar(Folder, [[1], [2, 3, (byte)badLabel]], testLabels: [0]);

        var e = Assert.Throws<DataFileException>(() => Cifar10.Load(Folder))!;

        Assert.That(e.Message, Does.Contain("data_batch_2.bin").And.Contain("out of range")
            .And.Contain($"record 2 has label {badLabel}"));
    }

    [TestCase("data_batch_1.bin")]
    [TestCase("test_batch.bin")]
    public void MissingFile(string fileName)
    {
        WriteCifar(Folder, [[1]], testLabels: [0]);
        File.Delete(Path.Combine(Folder, fileName));

        var e = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(Folder))!;

        Assert.That(e.Message, Does.Contain(fileName).And.Contain(Folder).And.Contain("not found"));
    }

    [Test]
    public void ClassNamesInLabelOrder()
    {
        Assert.That(Cifar10.ClassNames, Has.Count.EqualTo(10));
        Assert.That(Cifar10.ClassNames[0], Is.EqualTo("airplane"));
        Assert.That(Cifar10.ClassNames[6], Is.EqualTo("frog"));
        Assert.That(Cifar10.ClassNames[9], Is.EqualTo("truck"));
    }
}
