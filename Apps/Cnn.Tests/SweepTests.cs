using System.CommandLine;
using System.Text.Json;
using Engine;
using Engine.Data;

namespace Cnn.Tests;

/// <summary>
/// Sweeps end to end on a tiny synthetic dataset (8×8 images, 10 classes): results files, resume after cancellation,
/// shards and gather, divergence, and the errors of mismatched folders.
/// </summary>
[NonParallelizable]
public class SweepTests : TempFolderTest
{
    private static readonly RunSettings Configuration = RunSettings.Of(
        ("dataset", "mnist"), ("train-size", "60"), ("val-size", "30"), ("model", "paper-mnist"), ("filters", "2"), ("hidden", "4"),
        ("activation", "lrelu"), ("pool", "max"), ("eta", "0.01"), ("lambda", "0.001"), ("epochs", "2"), ("batches", "4"), ("seed", "7"));

    private static Grid TwoByTwo() => new([GridAxis.Parse("eta=1e-3:1e-1:2"), GridAxis.Parse("hidden=3,5")]);

    private static SweepRunner Runner(Grid grid, RunSettings? configuration = null, int repeats = 1) =>
        new(configuration ?? Configuration, grid, name => TestSupport.SyntheticData(name, null), repeats);

    /// <summary>Cancels a token after <paramref name="cells"/> finished cells.</summary>
    private sealed class CancelAfter(int cells, CancellationTokenSource source) : ISweepProgress
    {
        public void Started(int cellCount, int alreadyDone, int toRun, int repeats) { }

        public void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best)
        {
            if (finishedThisRun >= cells) source.Cancel();
        }
    }

    private static (int Code, string Out, string Error) RunCli(DataLoader? load, params string[] args) =>
        load is null ? TestSupport.RunMain(args) : TestSupport.Run(SweepCommand.Create(load, CancellationToken.None), args);

    private static void AssertSameOutcomes(IReadOnlyList<CellResult> actual, IReadOnlyList<CellResult> expected)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
            Assert.That(actual[i].SameOutcome(expected[i]), Is.True, $"cell {expected[i].Index}: {actual[i]} vs {expected[i]}");
    }

    [Test]
    public void TwoByTwoSweepFromTheCommandLineWritesFourRowsOfCsvAndJson()
    {
        string dir = Path.Combine(Folder, "out");
        var (code, output, error) = RunCli(TestSupport.SyntheticData,
            "sweep", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "1", "--batches", "4",
            "--grid", "eta=1e-3:1e-1:2", "--grid", "lambda=0,0.01", "--out", dir, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("cell 4/4 done").And.Contain("best val_acc=").And.Contain("sweep done: 4 cells run"));
        Assert.That(output, Does.Contain($"wrote {Path.Combine(dir, "results.csv")}"));

        var lines = File.ReadAllLines(Path.Combine(dir, "results.csv"));
        Assert.That(lines, Has.Length.EqualTo(5));
        Assert.That(lines[0], Is.EqualTo("cell,eta,lambda,train_acc,val_acc,train_loss,val_loss,epochs,seconds,status,seed"));
        Assert.That(lines[1], Does.StartWith("0,0.001,0,"));
        Assert.That(lines[4], Does.StartWith("3,0.1,0.01,").And.Contain(",1,").And.EndWith(",completed,100"));

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json")));
        Assert.That(json.RootElement.GetArrayLength(), Is.EqualTo(4));
        var cell2 = json.RootElement[2];
        Assert.That(cell2.GetProperty("eta").GetDouble(), Is.EqualTo(0.1).Within(1e-7));
        Assert.That(cell2.GetProperty("lambda").GetDouble(), Is.EqualTo(0));
        Assert.That(cell2.GetProperty("val_acc").GetDouble(), Is.InRange(0.0, 1.0));
        Assert.That(cell2.GetProperty("status").GetString(), Is.EqualTo("completed"));
        Assert.That(File.Exists(Path.Combine(dir, "sweep.json")), Is.True);
        Assert.That(Directory.GetFiles(dir, "*.tmp"), Is.Empty);
    }

    [Test]
    public void SweepOnTheFirstMnistImagesThroughMain()
    {
        try { DatasetLocator.Resolve("mnist"); }
        catch (DatasetNotFoundException e)
        {
            if (Environment.GetEnvironmentVariable("ENGINE_REQUIRE_DATASETS") == "1") Assert.Fail(e.Message);
            Assert.Ignore($"mnist not found: set {DatasetLocator.EnvironmentVariable} or run `cnn download mnist`.");
        }
        string dir = Path.Combine(Folder, "mnist");
        var (code, output, error) = RunCli(null, "sweep", "--dataset", "mnist", "--train-size", "100", "--val-size", "50",
            "--filters", "2", "--epochs", "1", "--batches", "5", "--grid", "hidden=3,5", "--out", dir, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("sweep done: 2 cells run"));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv")), Has.Length.EqualTo(3));
    }

    [Test]
    public void BadGridSpecOnTheCommandLineIsExitCode2NamingTheValue()
    {
        var (code, _, error) = RunCli(null, "sweep", "--grid", "eta=1e-4:1:x");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("eta=1e-4:1:x").And.Contain("count"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void GridAxisTheModelLacksIsExitCode2()
    {
        var (code, _, error) = RunCli(TestSupport.SyntheticData, "sweep", "--model", "lenet5", "--grid", "filters=1,2", "--out", Path.Combine(Folder, "x"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("--filters applies only to --model paper-mnist, not lenet5 (in every cell of the grid)"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void ResumeAfterCancellationRunsOnlyTheRestAndEqualsACleanRun()
    {
        var grid = TwoByTwo();
        var clean = Runner(grid).Run(Path.Combine(Folder, "clean"), resume: false, parallel: 1, shard: null, progress: null, CancellationToken.None);
        Assert.That(clean.Cancelled, Is.False);
        Assert.That(clean.Results, Has.Count.EqualTo(4));

        string dir = Path.Combine(Folder, "interrupted");
        using var source = new CancellationTokenSource();
        var first = Runner(grid).Run(dir, resume: false, parallel: 1, shard: null, new CancelAfter(1, source), source.Token);
        Assert.That(first.Cancelled, Is.True);
        Assert.That(first.Results, Has.Count.EqualTo(1));
        Assert.That(SweepResults.Read(dir, grid), Has.Count.EqualTo(1), "the finished cell is on disk");

        var second = Runner(grid).Run(dir, resume: true, parallel: 2, shard: null, progress: null, CancellationToken.None);
        Assert.That(second.Cancelled, Is.False);
        Assert.That((second.Ran, second.Skipped), Is.EqualTo((3, 1)));
        AssertSameOutcomes(SweepResults.Read(dir, grid), clean.Results);
        AssertSameOutcomes(SweepResults.Read(dir, grid), SweepResults.Read(Path.Combine(Folder, "clean"), grid));
    }

    [Test]
    public void ShardsGatheredEqualAWholeRun()
    {
        var grid = new Grid([GridAxis.Parse("eta=1e-3:1e-1:3"), GridAxis.Parse("hidden=3,5")]);
        var whole = Runner(grid).Run(Path.Combine(Folder, "whole"), false, 2, null, null, CancellationToken.None);
        string sweep = Path.Combine(Folder, "sharded");
        var s0 = Runner(grid).Run(SweepRunner.ShardFolder(sweep, 0, 2), false, 1, (0, 2), null, CancellationToken.None);
        var s1 = Runner(grid).Run(SweepRunner.ShardFolder(sweep, 1, 2), false, 1, (1, 2), null, CancellationToken.None);
        Assert.That(s0.Results.Select(r => r.Index), Is.EqualTo(new[] { 0, 2, 4 }));
        Assert.That(s1.Results.Select(r => r.Index), Is.EqualTo(new[] { 1, 3, 5 }));

        var (code, output, error) = RunCli(null, "sweep", "gather", SweepRunner.ShardFolder(sweep, 0, 2), SweepRunner.ShardFolder(sweep, 1, 2));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain($"gathered 6 cells into {sweep}"));
        AssertSameOutcomes(SweepResults.Read(sweep, grid), whole.Results);
        Assert.That(SweepManifest.Read(sweep).Shard, Is.Null);
        Assert.That(SweepManifest.Read(sweep).Differences(SweepManifest.Read(Path.Combine(Folder, "whole"))), Is.Empty);
    }

    [Test]
    public void GatherReportsMissingAndDuplicateCells()
    {
        var grid = new Grid([GridAxis.Parse("hidden=3,5,7")]);
        string sweep = Path.Combine(Folder, "s");
        string shard0 = SweepRunner.ShardFolder(sweep, 0, 2), shard1 = SweepRunner.ShardFolder(sweep, 1, 2);
        Runner(grid).Run(shard0, false, 1, (0, 2), null, CancellationToken.None);

        var (code, _, error) = RunCli(null, "sweep", "gather", shard0);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain("1 of 3 cells are missing: cell 1 (hidden=5)"));

        Runner(grid).Run(shard1, false, 1, (1, 2), null, CancellationToken.None);
        string copy = Path.Combine(sweep, "copy-of-shard-0");
        Directory.CreateDirectory(copy);
        foreach (string f in Directory.GetFiles(shard0)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        (code, _, error) = RunCli(null, "sweep", "gather", shard0, shard1, copy);
        Assert.That(code, Is.EqualTo(ExitCodes.Data));
        Assert.That(error, Does.Contain("2 cell(s) appear in more than one folder: cell 0 (hidden=3) in " + shard0));
    }

    [Test]
    public void GatherRefusesShardsOfDifferentSweeps()
    {
        var grid = new Grid([GridAxis.Parse("hidden=3,5")]);
        string a = Path.Combine(Folder, "a"), b = Path.Combine(Folder, "b");
        Runner(grid).Run(a, false, 1, (0, 2), null, CancellationToken.None);
        Runner(grid, Configuration.With("epochs", "1")).Run(b, false, 1, (1, 2), null, CancellationToken.None);
        Assert.That(() => SweepGather.Gather([a, b], Path.Combine(Folder, "merged")),
            Throws.InstanceOf<SweepGatherException>().With.Message.Contains("not a shard of the same sweep").And.Message.Contains("epochs: 2 vs 1"));
    }

    [Test]
    public void DivergedCellIsRecordedAndTheSweepGoesOn()
    {
        var grid = new Grid([GridAxis.Parse("eta=0.01,1e30")]);
        string dir = Path.Combine(Folder, "diverge");
        var outcome = Runner(grid).Run(dir, false, 2, null, null, CancellationToken.None);
        Assert.That(outcome.Cancelled, Is.False);
        Assert.That(outcome.Results.Select(r => r.Status), Is.EqualTo(new[] { "completed", "diverged" }));

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json")));
        var diverged = json.RootElement[1];
        Assert.That(diverged.GetProperty("status").GetString(), Is.EqualTo("diverged"));
        var csv = File.ReadAllLines(Path.Combine(dir, "results.csv"));
        Assert.That(csv[2], Does.Contain(",diverged,"));
        // The first step's loss is already infinite, so no epoch finished and every metric is missing.
        Assert.That(outcome.Results[1].Epochs, Is.Zero);
        Assert.That(diverged.GetProperty("val_acc").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(diverged.GetProperty("train_loss").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(csv[2], Does.StartWith("1,1E+30,,,,,0,"));
    }

    [Test]
    public void ResumingADifferentConfigurationIsAClearError()
    {
        var grid = TwoByTwo();
        string dir = Path.Combine(Folder, "r");
        Runner(grid).Run(dir, false, 1, null, null, CancellationToken.None);
        Assert.That(() => Runner(grid, Configuration.With("epochs", "3")).Run(dir, true, 1, null, null, CancellationToken.None),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("cannot resume").And.Message.Contains("epochs: 2 vs 3"));
        var otherGrid = new Grid([GridAxis.Parse("eta=1e-3:1e-1:3"), GridAxis.Parse("hidden=3,5")]);
        Assert.That(() => Runner(otherGrid).Run(dir, true, 1, null, null, CancellationToken.None),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("grid: eta=0.001,0.1 hidden=3,5 vs eta=0.001,0.01,0.1 hidden=3,5"));
    }

    [Test]
    public void ResumeMismatchFromTheCommandLineIsExitCode2()
    {
        string dir = Path.Combine(Folder, "cli");
        string[] common = ["sweep", "--train-size", "60", "--val-size", "30", "--filters", "2", "--batches", "4", "--grid", "hidden=3", "--out", dir];
        Assert.That(RunCli(TestSupport.SyntheticData, [.. common, "--epochs", "1"]).Code, Is.EqualTo(ExitCodes.Ok));
        var (code, _, error) = RunCli(TestSupport.SyntheticData, [.. common, "--epochs", "2", "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("cannot resume").And.Contain("epochs: 1 vs 2"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void AFolderHoldingASweepNeedsResume()
    {
        var grid = new Grid([GridAxis.Parse("hidden=3")]);
        string dir = Path.Combine(Folder, "again");
        Runner(grid).Run(dir, false, 1, null, null, CancellationToken.None);
        Assert.That(() => Runner(grid).Run(dir, false, 1, null, null, CancellationToken.None),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("already holds a sweep; add --resume"));
        var again = Runner(grid).Run(dir, true, 1, null, null, CancellationToken.None);
        Assert.That((again.Ran, again.Skipped), Is.EqualTo((0, 1)));
    }

    [Test]
    public void CancelledSweepFromTheCommandLineExits130AndKeepsFinishedCells()
    {
        string dir = Path.Combine(Folder, "cancelled");
        using var source = new CancellationTokenSource();
        source.Cancel();
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        int code;
        try
        {
            var root = new RootCommand("test") { SweepCommand.Create(TestSupport.SyntheticData, source.Token) };
            code = root.Parse(["sweep", "--train-size", "60", "--batches", "4", "--filters", "2", "--grid", "hidden=3,5", "--out", dir]).Invoke();
        }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
        Assert.That(code, Is.EqualTo(SweepCommand.Cancelled));
        Assert.That(e.ToString(), Does.Contain("sweep cancelled: 0 finished cells are kept").And.Contain("--resume"));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv")), Has.Length.EqualTo(1), "header only");
    }
}
