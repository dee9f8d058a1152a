using Engine.Data;
using static Engine.Tests.Data.DataFiles;

namespace Engine.Tests.Data;

/// <summary>Changes the environment variable and the current directory, so never runs beside other tests.</summary>
[NonParallelizable]
public class DatasetLocatorTests : TempFolderTests
{
    private string? _savedVariable;
    private string _savedDirectory = "";
    private string _explicitRoot = "", _environmentRoot = "", _workingDirectory = "", _defaultRoot = "";

    [SetUp]
    public void IsolateEnvironment()
    {
        _savedVariable = Environment.GetEnvironmentVariable(DatasetLocator.EnvironmentVariable);
        _savedDirectory = Environment.CurrentDirectory;
        _explicitRoot = Path.Combine(Folder, "explicit");
        _environmentRoot = Path.Combine(Folder, "from-env");
        _workingDirectory = Path.Combine(Folder, "work");
        _defaultRoot = Path.Combine(_workingDirectory, "datasets");
        Directory.CreateDirectory(_workingDirectory);
        Environment.CurrentDirectory = _workingDirectory;
        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, null);
    }

    [TearDown]
    public void RestoreEnvironment()
    {
        Environment.CurrentDirectory = _savedDirectory;
        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, _savedVariable);
    }

    /// <summary>Tiny MNIST files whose single training label tells the roots apart.</summary>
    private static void WriteTinyMnist(string root, byte marker, string folder = "mnist", bool gzip = true) =>
        WriteMnist(Path.Combine(root, folder), trainLabels: [marker], testLabels: [0], gzip: gzip, rows: 2, columns: 2);

    [Test]
    public void ExplicitFolderWinsOverEnvironmentOverDefault()
    {
        WriteTinyMnist(_explicitRoot, 1);
        WriteTinyMnist(_environmentRoot, 2);
        WriteTinyMnist(_defaultRoot, 3);
        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, _environmentRoot);

        Assert.That(DatasetLocator.Resolve("mnist", _explicitRoot), Is.EqualTo(Path.Combine(_explicitRoot, "mnist")));
        Assert.That(DatasetLocator.Resolve("mnist"), Is.EqualTo(Path.Combine(_environmentRoot, "mnist")));
        Assert.That(DatasetLocator.Load("mnist", _explicitRoot).Train.Label(0), Is.EqualTo(1));
        Assert.That(DatasetLocator.Load("mnist").Train.Label(0), Is.EqualTo(2));

        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, null);
        Assert.That(DatasetLocator.Resolve("mnist"), Is.EqualTo(Path.Combine(_defaultRoot, "mnist")));
        Assert.That(DatasetLocator.Load("mnist").Train.Label(0), Is.EqualTo(3));
    }

    [Test]
    public void AFolderMissingAFileIsSkipped()
    {
        WriteTinyMnist(_explicitRoot, 1);
        File.Delete(Path.Combine(_explicitRoot, "mnist", "t10k-labels-idx1-ubyte.gz"));
        WriteTinyMnist(_defaultRoot, 3);

        Assert.That(DatasetLocator.Resolve("mnist", _explicitRoot), Is.EqualTo(Path.Combine(_defaultRoot, "mnist")));
    }

    [Test]
    public void RawFilesAlsoCountAndLoad()
    {
        WriteTinyMnist(_explicitRoot, 7, gzip: false);

        Assert.That(DatasetLocator.Resolve("mnist", _explicitRoot), Is.EqualTo(Path.Combine(_explicitRoot, "mnist")));
        Assert.That(DatasetLocator.Load("mnist", _explicitRoot).Train.Label(0), Is.EqualTo(7));
    }

    [Test]
    public void NotFoundListsEveryFolderSearchedAndHowToGetTheFiles()
    {
        Directory.CreateDirectory(Path.Combine(_explicitRoot, "mnist")); // exists but empty
        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, _environmentRoot);

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetLocator.Resolve("mnist", _explicitRoot))!;

        string[] searched = [Path.Combine(_explicitRoot, "mnist"), Path.Combine(_environmentRoot, "mnist"), Path.Combine(_defaultRoot, "mnist")];
        Assert.That(e.SearchedFolders, Is.EqualTo(searched));
        Assert.That(e.Dataset, Is.EqualTo("mnist"));
        foreach (string folder in searched) Assert.That(e.Message, Does.Contain(folder));
        Assert.That(e.Message, Does.Contain("not found").And.Contain("cnn download mnist")
            .And.Contain("train-images-idx3-ubyte.gz").And.Contain("t10k-labels-idx1-ubyte.gz"));
    }

    [Test]
    public void CifarNotFoundListsBothFolderNamesUnderEachRoot()
    {
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetLocator.Resolve("cifar10", _explicitRoot))!;

        Assert.That(e.SearchedFolders, Is.EqualTo(new[]
        {
            Path.Combine(_explicitRoot, "cifar-10-batches-bin"), Path.Combine(_explicitRoot, "cifar-10-subset"),
            Path.Combine(_defaultRoot, "cifar-10-batches-bin"), Path.Combine(_defaultRoot, "cifar-10-subset"),
        }));
        Assert.That(e.Message, Does.Contain("cnn download cifar10").And.Contain("data_batch_1.bin").And.Contain("test_batch.bin"));
    }

    [Test]
    public void CifarPrefersTheFullSetOverTheSubsetUnderOneRoot()
    {
        WriteCifar(Path.Combine(_explicitRoot, "cifar-10-subset"), [[1]], [0]);
        Assert.That(DatasetLocator.Resolve("cifar10", _explicitRoot), Is.EqualTo(Path.Combine(_explicitRoot, "cifar-10-subset")));

        WriteCifar(Path.Combine(_explicitRoot, "cifar-10-batches-bin"), [[2], [3]], [0]);
        Assert.That(DatasetLocator.Resolve("cifar10", _explicitRoot), Is.EqualTo(Path.Combine(_explicitRoot, "cifar-10-batches-bin")));
        Assert.That(DatasetLocator.Load("cifar10", _explicitRoot).Train.Labels.ToArray(), Is.EqualTo(new[] { 2, 3 }));
    }

    [Test]
    public void AnEarlierRootWinsEvenWithOnlyTheSubset()
    {
        WriteCifar(Path.Combine(_explicitRoot, "cifar-10-subset"), [[1]], [0]);
        WriteCifar(Path.Combine(_defaultRoot, "cifar-10-batches-bin"), [[2]], [0]);

        Assert.That(DatasetLocator.Resolve("cifar10", _explicitRoot), Is.EqualTo(Path.Combine(_explicitRoot, "cifar-10-subset")));
    }

    [Test]
    public void NamesAreCaseInsensitiveAndFashionMnistHasItsOwnFolder()
    {
        WriteTinyMnist(_defaultRoot, 4, folder: "fashion-mnist");
        WriteTinyMnist(_defaultRoot, 5, folder: "mnist");

        Assert.That(DatasetLocator.Resolve("Fashion-MNIST"), Is.EqualTo(Path.Combine(_defaultRoot, "fashion-mnist")));
        TrainTestSplit data = DatasetLocator.Load("FASHION-mnist");
        Assert.That(data.Train.Name, Is.EqualTo("fashion-mnist/train"));
        Assert.That(data.Train.Label(0), Is.EqualTo(4));
        Assert.That(DatasetLocator.Load("MNIST").Train.Name, Is.EqualTo("mnist/train"));
    }

    [TestCase("mnist2")]
    [TestCase("cifar100")]
    [TestCase("")]
    public void UnknownDatasetListsTheKnownNames(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetLocator.Resolve(name))!;
        Assert.That(e.Message, Does.Contain("mnist, fashion-mnist, cifar10"));
        Assert.Throws<ArgumentException>(() => DatasetLocator.RequiredFiles(name));
    }

    [Test]
    public void SearchRootsInOrderWithoutDuplicates()
    {
        Assert.That(DatasetLocator.SearchRoots(), Is.EqualTo(new[] { _defaultRoot }));
        Assert.That(DatasetLocator.SearchRoots(_explicitRoot), Is.EqualTo(new[] { _explicitRoot, _defaultRoot }));

        Environment.SetEnvironmentVariable(DatasetLocator.EnvironmentVariable, _environmentRoot + Path.DirectorySeparatorChar);
        Assert.That(DatasetLocator.SearchRoots(_explicitRoot), Is.EqualTo(new[] { _explicitRoot, _environmentRoot, _defaultRoot }));
        Assert.That(DatasetLocator.SearchRoots(_environmentRoot), Is.EqualTo(new[] { _environmentRoot, _defaultRoot }));
        // A relative data directory is taken relative to the current directory.
        Assert.That(DatasetLocator.SearchRoots("mine"), Is.EqualTo(new[] { Path.Combine(_workingDirectory, "mine"), _environmentRoot, _defaultRoot }));
    }

    [Test]
    public void RequiredFilesAndFolderNames()
    {
        Assert.That(DatasetLocator.RequiredFiles("mnist"), Is.EqualTo(new[]
            { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }));
        Assert.That(DatasetLocator.RequiredFiles("fashion-mnist"), Is.EqualTo(DatasetLocator.RequiredFiles("mnist")));
        Assert.That(DatasetLocator.RequiredFiles("CIFAR10"), Is.EqualTo(new[] { "data_batch_1.bin", "test_batch.bin" }));
        Assert.That(DatasetLocator.FolderNames("cifar10"), Is.EqualTo(new[] { "cifar-10-batches-bin", "cifar-10-subset" }));
        Assert.That(DatasetLocator.FolderNames("fashion-mnist"), Is.EqualTo(new[] { "fashion-mnist" }));
        Assert.That(DatasetLocator.Datasets, Is.EqualTo(new[] { "mnist", "fashion-mnist", "cifar10" }));
    }
}
