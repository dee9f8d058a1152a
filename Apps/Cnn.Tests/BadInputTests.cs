using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cnn.Tests;

/// <summary>
/// Every bad input is answered before work is spent, in one line with the documented exit code, and nothing already
/// made is lost: output paths, data files, grids, shards and sweep folders.
/// </summary>
[NonParallelizable]
public class BadInputTests : TempFolderTest
{
    private static (int Code, string Out, string Error) Train(params string[] args) =>
        TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), ["train", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", .. args]);

    private static (int Code, string Out, string Error) Sweep(params string[] args) =>
        TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            ["sweep", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", "--batches", "4", .. args]);

    private static void AssertRefusedBeforeWork(int code, string output, string error, int expectedCode, string message)
    {
        Assert.That(code, Is.EqualTo(expectedCode), error);
        Assert.That(error, Does.Contain(message));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
        Assert.That(output, Does.Not.Contain("epoch 1/").And.Not.Contain("cell 1/"), "refused before any training");
    }

    [Test]
    public void AnUnwritableSaveIsRefusedBeforeTraining()
    {
        var (code, output, error) = Train("--save", "/proc/x/m.bin");
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "--save /proc/x/m.bin: its folder /proc/x cannot be created");
        Assert.That(error, Does.Not.Contain(".tmp"));
    }

    [Test]
    public void SaveOntoAFolderOrADeviceIsRefusedBeforeTraining()
    {
        var (code, output, error) = Train("--save", Folder);
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, $"--save {Folder}: is a folder; give a file name");
        (code, output, error) = Train("--save", "/dev/null");
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "--save /dev/null: is a character device, not a regular file; it would be replaced");
    }

    [Test]
    public void OutOnAFileIsRefusedBeforeTraining()
    {
        string file = Path.Combine(Folder, "history.csv");
        File.WriteAllText(file, "keep me");
        var (code, output, error) = Train("--out", file);
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, $"--out {file}: is a file; give a folder");
        Assert.That(File.ReadAllText(file), Is.EqualTo("keep me"));
        (code, output, error) = Sweep("--grid", "hidden=3", "--out", file);
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "is a file; give a folder");
    }

    [Test]
    public void AWritableSaveAndOutLeaveNoProbeBehind()
    {
        string dir = Path.Combine(Folder, "new", "deeper");
        var (code, _, error) = Train("--save", Path.Combine(dir, "m.bin"), "--out", Path.Combine(Folder, "run"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { Path.Combine(dir, "m.bin") }));
        Assert.That(Directory.GetFiles(Path.Combine(Folder, "run")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "history.csv", "curves.png", TrainCommand.CheckpointName }));
    }

    [Test]
    public void ADirectoryWhereADataFileShouldBeIsExitCode3WithoutADownload()
    {
        string mnist = Path.Combine(Folder, "mnist");
        Directory.CreateDirectory(Path.Combine(mnist, "train-images-idx3-ubyte.gz"));
        foreach (string name in new[] { "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            File.WriteAllBytes(Path.Combine(mnist, name), [1]);
        var (code, output, error) = TestSupport.RunMain("train", "--data-dir", Folder, "--epochs", "1");
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Data, "train-images-idx3-ubyte.gz: is a directory where a data file should be");
        Assert.That(output, Does.Not.Contain("downloading"));
    }

    [Test]
    public void AFifoWhereADataFileShouldBeIsExitCode3AtOnce()
    {
        string mnist = Path.Combine(Folder, "mnist");
        Directory.CreateDirectory(mnist);
        foreach (string name in new[] { "train-images-idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.WriteAllBytes(Path.Combine(mnist, name), [1]);
        string fifo = Path.Combine(mnist, "train-labels-idx1-ubyte");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assume.That(File.Exists(fifo), "mkfifo made no FIFO");
        var run = Task.Run(() => TestSupport.RunMain("train", "--data-dir", Folder, "--epochs", "1"));
        Assert.That(run.Wait(TimeSpan.FromSeconds(30)), Is.True, "the reader blocked on the FIFO");
        var (code, output, error) = run.Result;
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Data, "not a regular file");
    }

    [Test]
    public void ALogGridThatUnderflowsInFloatIsRefusedBeforeAnyCell()
    {
        string dir = Path.Combine(Folder, "s");
        var (code, output, error) = TestSupport.RunMain("sweep", "--grid", "eta=1e-50:1:3", "--out", dir);
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "--grid 'eta=1e-50:1:3': --eta: 1e-50 is 0 as a 32-bit float");
        Assert.That(Directory.Exists(dir), Is.False);
    }

    [Test]
    public void ASweepWhoseCellsAllDivergeStillDrawsItsHeatmaps()
    {
        string dir = Path.Combine(Folder, "diverged");
        var (code, output, error) = Sweep("--grid", "eta=1e30,1e31", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("2 diverged; best none yet"));
        Assert.That(new FileInfo(Path.Combine(dir, "heatmap-val.png")).Length, Is.GreaterThan(1000));
    }

    [TestCase("5/9")]
    [TestCase("1/3")]
    public void AShardBeyondTheGridIsRefusedUpFront(string shard)
    {
        string dir = Path.Combine(Folder, "s");
        var (code, output, error) = Sweep("--grid", "hidden=3,5", "--shard", shard, "--out", dir);
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, $"--shard {shard}: the grid has only 2 cells");
        Assert.That(Directory.Exists(dir), Is.False);
    }

    [Test]
    public void ResultsWithoutTheirManifestAreNotOverwritten()
    {
        string dir = Path.Combine(Folder, "s");
        Assert.That(Sweep("--grid", "hidden=3,5", "--out", dir).Code, Is.EqualTo(ExitCodes.Ok));
        File.Delete(Path.Combine(dir, "sweep.json"));
        byte[] before = File.ReadAllBytes(Path.Combine(dir, "results.json"));
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--resume"] })
        {
            var (code, output, error) = Sweep(["--grid", "hidden=3,5", "--out", dir, .. extra]);
            AssertRefusedBeforeWork(code, output, error, ExitCodes.Data, "results without their sweep.json; refusing to overwrite them");
        }
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "results.json")), Is.EqualTo(before));
    }

    [TestCase("duplicate", "appears more than once")]
    [TestCase("null-status", "has status null; it must be completed or diverged")]
    [TestCase("bad-status", "has status \"done\"")]
    [TestCase("negative-epochs", "has -1 epochs")]
    public void ResumeRefusesMalformedResultsInOneLine(string damage, string message)
    {
        string dir = Path.Combine(Folder, "s");
        Assert.That(Sweep("--grid", "hidden=3,5,7", "--out", dir).Code, Is.EqualTo(ExitCodes.Ok));
        string path = Path.Combine(dir, "results.json");
        var cells = JsonNode.Parse(File.ReadAllBytes(path))!.AsArray();
        switch (damage)
        {
            case "duplicate": cells.Add(cells[0]!.DeepClone()); break;
            case "null-status": cells[1]!["status"] = null; break;
            case "bad-status": cells[1]!["status"] = "done"; break;
            default: cells[2]!["epochs"] = -1; break;
        }
        File.WriteAllText(path, cells.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var (code, output, error) = Sweep("--grid", "hidden=3,5,7", "--out", dir, "--resume");
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Data, message);
        Assert.That(error, Does.Contain(path));
    }

    [Test]
    public void AnOptionGivenAlsoAsAnAxisIsRefused()
    {
        var (code, output, error) = Sweep("--hidden", "4", "--grid", "hidden=3,5", "--out", Path.Combine(Folder, "s"));
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "--hidden is given both as an option and as a --grid axis");
    }

    [Test]
    public void ACellThatDoesNotFitItsDataIsNamedBeforeAnyCellRuns()
    {
        var (code, output, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--train-size", "60", "--filters", "2", "--epochs", "1", "--grid", "batches=2,100", "--out", Path.Combine(Folder, "s"));
        AssertRefusedBeforeWork(code, output, error, ExitCodes.Usage, "cell 1 (batches=100): --batches 100 is more than the 60 training images used");
    }
}
