using System.Globalization;
using System.Text.Json;
using Engine.Training;

namespace Cnn.Tests;

/// <summary>
/// What runs leave behind: history.csv and curves.png of <c>cnn train --out</c>, the <c>final:</c> line's best epoch,
/// each sweep cell's history, repeats as mean ± std, sweeps over any option, and the progress bars' arithmetic.
/// </summary>
[NonParallelizable]
public class RunRecordTests : TempFolderTest
{
    private static (int Code, string Out, string Error) Train(params string[] args) =>
        TestSupport.Run(TrainCommand.Create(TestSupport.SyntheticData), ["train", "--train-size", "60", "--val-size", "30", "--filters", "2", .. args]);

    private static (int Code, string Out, string Error) Sweep(params string[] args) =>
        TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            ["sweep", "--train-size", "60", "--val-size", "30", "--filters", "2", "--epochs", "2", "--batches", "4", .. args]);

    [Test]
    public void TrainOutWritesTheHistoryAndTheCurves()
    {
        string dir = Path.Combine(Folder, "run");
        var (code, output, error) = Train("--epochs", "3", "--out", dir, "--seed", "5");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = File.ReadAllLines(Path.Combine(dir, HistoryFiles.CsvName));
        Assert.That(lines[0], Is.EqualTo("seed,epoch,train_loss,train_acc,val_loss,val_acc,learning_rate,seconds"));
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[1]), Is.EqualTo(new[] { "1", "2", "3" }));
        Assert.That(lines.Skip(1).All(l => l.StartsWith("5,", StringComparison.Ordinal) && l.Split(',')[6] == "0.01"), Is.True);
        byte[] png = File.ReadAllBytes(Path.Combine(dir, HistoryFiles.CurvesName));
        Assert.That(png.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
        Assert.That(png.Length, Is.GreaterThan(5000), "axes, lines and legend");

        // The epoch lines and history.csv agree, and final: names the best epoch.
        var epochs = lines.Skip(1).Select(l => double.Parse(l.Split(',')[5], CultureInfo.InvariantCulture)).ToList();
        int best = epochs.IndexOf(epochs.Max()) + 1;
        Assert.That(output, Does.Contain($"best_epoch={best} best_val_acc={epochs.Max().ToString("F4", CultureInfo.InvariantCulture)}"));
    }

    [Test]
    public void TheBestEpochIsTheFirstWithTheHighestValidationAccuracy()
    {
        var history = new History();
        var add = typeof(History).GetMethod("Add", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        foreach (var (epoch, val) in new[] { (1, 0.5), (2, 0.7), (3, 0.7), (4, 0.6) })
            add.Invoke(history, [new EpochReport(epoch, 4, 1, 0.5, 1, val, TimeSpan.FromSeconds(1), 100)]);
        var run = new RunHistory(1, history);
        Assert.That(run.Best, Is.EqualTo((2, 0.7)));
        Assert.That(TrainCommand.FinalLine(run), Does.EndWith("best_epoch=2 best_val_acc=0.7000"));
    }

    [Test]
    public void EverySweepCellKeepsItsHistory()
    {
        string dir = Path.Combine(Folder, "s");
        var (code, output, error) = Sweep("--grid", "hidden=3,5", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        foreach (int cell in new[] { 0, 1 })
        {
            var lines = File.ReadAllLines(SweepRunner.CellHistory(dir, cell));
            Assert.That(lines[0], Is.EqualTo(HistoryFiles.Header));
            Assert.That(lines, Has.Length.EqualTo(3), "two epochs");
        }
        // The last epoch of the cell's history is the cell's result.
        var result = SweepResults.Read(dir, SweepManifest.Read(dir).Grid)[1];
        string last = File.ReadAllLines(SweepRunner.CellHistory(dir, 1))[^1];
        Assert.That(last.Split(',')[5], Is.EqualTo(result.ValidationAccuracy.ToString("R", CultureInfo.InvariantCulture)));
    }

    [Test]
    public void RepeatsRunConsecutiveSeedsAndReportTheirMeanAndStandardDeviation()
    {
        string dir = Path.Combine(Folder, "repeats");
        var (code, output, error) = Sweep("--grid", "hidden=3,5", "--repeats", "3", "--seed", "40", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("2 of 2 cells to run, 3 seeds each"));

        // Each seed alone, as cnn train runs it.
        var single = new List<(double Train, double Val)>();
        foreach (string seed in new[] { "40", "41", "42" })
        {
            var (c, o, e) = Train("--hidden", "5", "--epochs", "2", "--batches", "4", "--seed", seed);
            Assert.That(c, Is.EqualTo(ExitCodes.Ok), e);
            string final = o.Split('\n').Single(l => l.StartsWith("final:", StringComparison.Ordinal));
            single.Add((Metric(final, "train_acc"), Metric(final, "val_acc")));
        }
        var cell = SweepResults.Read(dir, SweepManifest.Read(dir).Grid)[1];
        double mean = single.Average(s => s.Val);
        double std = Math.Sqrt(single.Sum(s => (s.Val - mean) * (s.Val - mean)) / 2);
        Assert.That(cell.Repeats, Is.EqualTo(3));
        Assert.That(cell.Seed, Is.EqualTo(40));
        Assert.That(cell.ValidationAccuracy, Is.EqualTo(mean).Within(1e-4), "final: prints 4 decimals");
        Assert.That(cell.Spread!.ValidationAccuracy, Is.EqualTo(std).Within(1e-3));
        Assert.That(cell.TrainAccuracy, Is.EqualTo(single.Average(s => s.Train)).Within(1e-4));
        Assert.That(File.ReadAllLines(SweepRunner.CellHistory(dir, 1)).Skip(1).Select(l => l.Split(',')[0]).Distinct(), Is.EqualTo(new[] { "40", "41", "42" }));

        string header = File.ReadAllLines(Path.Combine(dir, "results.csv"))[0];
        Assert.That(header, Does.EndWith(",status,seed,train_acc_std,val_acc_std,train_loss_std,val_loss_std,repeats"));
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json")));
        Assert.That(json.RootElement[1].GetProperty("val_acc_std").GetDouble(), Is.EqualTo(cell.Spread.ValidationAccuracy));
        Assert.That(json.RootElement[1].GetProperty("repeats").GetInt32(), Is.EqualTo(3));
        Assert.That(SweepManifest.Read(dir).Repeats, Is.EqualTo(3));
        Assert.That(output, Does.Contain("±"));

        var grids = SweepGrids.Arrange(SweepManifest.Read(dir).Grid, SweepResults.Read(dir, SweepManifest.Read(dir).Grid));
        Assert.That(grids.ValidationSpread![0, 1], Is.EqualTo(cell.Spread.ValidationAccuracy));
        Assert.That(Heatmap.CellText(0.912, false, 0.0234), Is.EqualTo("0.91 ± 0.02"));
        Assert.That(SweepReport.Title(SweepManifest.Read(dir), "x"), Does.Contain("mean ± std of 3 seeds"));
    }

    [Test]
    public void ResumingWithOtherRepeatsIsRefused()
    {
        string dir = Path.Combine(Folder, "r");
        Assert.That(Sweep("--grid", "hidden=3", "--out", dir).Code, Is.EqualTo(ExitCodes.Ok));
        var (code, _, error) = Sweep("--grid", "hidden=3", "--out", dir, "--repeats", "2", "--resume");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("repeats: 1 vs 2"));
    }

    [Test]
    public void AnyTrainingOptionIsAnAxis()
    {
        string dir = Path.Combine(Folder, "any");
        var (code, output, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--train-size", "60", "--val-size", "30", "--filters", "2",
            "--grid", "optimizer=sgd,adam", "--grid", "batch-size=20..40:20", "--grid", "epochs=1,2", "--grid", "seed=1,2", "--out", dir, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var csv = File.ReadAllLines(Path.Combine(dir, "results.csv"));
        Assert.That(csv[0], Does.StartWith("cell,optimizer,batch_size,grid_epochs,grid_seed,train_acc,"));
        Assert.That(csv, Has.Length.EqualTo(17));
        Assert.That(csv[16], Does.StartWith("15,adam,40,2,2,").And.Contain(",2,").And.EndWith(",completed,2"));
        Assert.That(File.ReadAllLines(SweepRunner.CellHistory(dir, 1)), Has.Length.EqualTo(2), "cell 1 (sgd, 20, epochs 1, seed 2)");
        Assert.That(File.ReadAllLines(SweepRunner.CellHistory(dir, 2)), Has.Length.EqualTo(3), "cell 2 (sgd, 20, epochs 2, seed 1)");
        // Four axes: one heatmap per (epochs, seed).
        foreach (string suffix in new[] { "epochs=1-seed=1", "epochs=1-seed=2", "epochs=2-seed=1", "epochs=2-seed=2" })
            Assert.That(File.Exists(Path.Combine(dir, $"heatmap-val-{suffix}.png")), Is.True, suffix);
        // An axis cell equals the same run from cnn train.
        var (c, o, e) = Train("--optimizer", "adam", "--batch-size", "40", "--epochs", "2", "--seed", "2");
        Assert.That(c, Is.EqualTo(ExitCodes.Ok), e);
        string final = o.Split('\n').Single(l => l.StartsWith("final:", StringComparison.Ordinal));
        var cell = SweepResults.Read(dir, SweepManifest.Read(dir).Grid)[15];
        Assert.That(cell.ValidationAccuracy, Is.EqualTo(Metric(final, "val_acc")).Within(1e-4));
    }

    [TestCase("batch-size=16..64:16", new[] { "16", "32", "48", "64" })]
    [TestCase("epochs=1..3", new[] { "1", "2", "3" })]
    [TestCase("optimizer=SGD,rmsprop", new[] { "sgd", "rmsprop" })]
    [TestCase("momentum=0.5,0.9", new[] { "0.5", "0.9" })]
    [TestCase("model-file=a.json,b.json", new[] { "a.json", "b.json" })]
    [TestCase("batch_size=8", new[] { "8" })]
    public void AxesOfEveryKind(string spec, string[] values) =>
        Assert.That(GridAxis.Parse(spec).Values, Is.EqualTo(values));

    [TestCase("epochs=3..1", "is empty")]
    [TestCase("epochs=0..3", "--epochs must be at least 1, not 0")]
    [TestCase("batch-size=1..8:0", "the step must be a whole number")]
    [TestCase("optimizer=sgd:adam", "optimizer takes a list")]
    [TestCase("eta=1e-46,1e-45", "1e-46 is 0 as a 32-bit float")]
    [TestCase("lambda=0.1,0.10000000001", "appears more than once (as a 32-bit float)")]
    public void BadAxesOfEveryKind(string spec, string problem) =>
        Assert.That(() => GridAxis.Parse(spec), Throws.InstanceOf<UsageException>().With.Message.Contains($"--grid '{spec}'").And.Message.Contains(problem));

    [Test]
    public void TheTrainBarsShowOneEpochAndTheWholeRunEachLabelled()
    {
        var state = TrainProgressState.After(new BatchReport(3, 10, 50, 200, 0.31, TimeSpan.FromSeconds(1), 1500));
        Assert.That(state.EpochLabel, Is.EqualTo("epoch 3/10 · loss 0.3100 · 1500 img/s"));
        Assert.That(state.EpochFraction, Is.EqualTo(0.25));
        Assert.That(state.RunLabel, Is.EqualTo("all 10 epochs"));
        Assert.That(state.RunFraction, Is.EqualTo(0.225), "2 epochs and a quarter of 10");
    }

    [Test]
    public void TheSweepBarMovesWithEveryBatchOfEveryCell()
    {
        var work = new SweepWork();
        work.Start(cells: 4, repeats: 2);
        Assert.That(work.TotalRuns, Is.EqualTo(8));
        Assert.That(work.Batch(0, 0, new BatchReport(1, 2, 5, 10, 1, TimeSpan.Zero, 50)), Is.EqualTo(0.25), "half of the first of two epochs");
        Assert.That(work.Batch(1, 0, new BatchReport(2, 2, 10, 10, 1, TimeSpan.Zero, 50)), Is.EqualTo(1.25));
        Assert.That(work.Batch(0, 1, new BatchReport(1, 2, 10, 10, 1, TimeSpan.Zero, 50)), Is.EqualTo(1.75));
        Assert.That(work.CellFinished(0, repeats: 2), Is.EqualTo(3.0), "cell 0's two runs count whole; cell 1's run stays");
    }

    private static double Metric(string final, string name) =>
        double.Parse(final.Split(' ').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..], CultureInfo.InvariantCulture);
}
