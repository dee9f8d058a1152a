using System.CommandLine;
using Cnn.Reproduction;
using Engine;
using Engine.Data;

namespace Cnn.Tests;

/// <summary>
/// Sweep heatmaps and <c>cnn reproduce</c> end to end on a tiny synthetic dataset (8×8 images, 10 classes),
/// through the commands' data seams.
/// </summary>
[NonParallelizable]
public class ReproduceTests : TempFolderTest
{
    /// <summary>A preset shrunk to the synthetic data: 60/30 images, 2 filters, 4 batches, 1 epoch.</summary>
    private static Preset Tiny(Preset preset) => preset with
    {
        TrainSize = 60,
        ValidationSize = 30,
        Variant = preset.Variant with { Filters = 2 },
        Batches = 4,
        Epochs = 1,
    };

    private static (int Code, string Out, string Error) Reproduce(params string[] args) =>
        TestSupport.Run(ReproduceCommand.Create(TestSupport.SyntheticData, Tiny, CancellationToken.None), args);

    private static void AssertPng(string path)
    {
        Assert.That(File.Exists(path), Is.True, path);
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), path);
    }

    private static void AssertSvg(string path)
    {
        Assert.That(File.Exists(path), Is.True, path);
        Assert.That(File.ReadAllText(path), Does.Contain("<svg"), path);
    }

    [Test]
    public void TwoByTwoSweepWritesCsvJsonAndHeatmaps()
    {
        string dir = Path.Combine(Folder, "sweep");
        var (code, output, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--train-size", "60", "--val-size", "30", "--filters", "2", "--hidden", "3", "--epochs", "1", "--batches", "4",
            "--grid", "eta=1e-3:1e-1:2", "--grid", "lambda=0,0.01", "--out", dir, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv")), Has.Length.EqualTo(5));
        Assert.That(File.Exists(Path.Combine(dir, "results.json")), Is.True);
        foreach (string name in new[] { "heatmap-val", "heatmap-train" })
        {
            AssertPng(Path.Combine(dir, name + ".png"));
            AssertSvg(Path.Combine(dir, name + ".svg"));
            Assert.That(output, Does.Contain($"wrote {Path.Combine(dir, name + ".png")}"));
        }
    }

    [Test]
    public void SweepGridsDrawEtaDescendingAndMarkDivergedCells()
    {
        var grid = new Grid([GridAxis.Parse("eta=1e-3:1e-1:3"), GridAxis.Parse("lambda=0,0.01")]);
        // Cell i = (eta index i / 2, lambda index i % 2); eta 0.001, 0.01, 0.1 in grid order.
        var cells = new[]
        {
            new CellResult(0, grid.Cell(0), 0.5, 0.25, 1, 1, 1, 0.1, "completed", 1),
            new CellResult(5, grid.Cell(5), double.NaN, double.NaN, double.NaN, double.NaN, 0, 0.1, "diverged", 1),
        };
        var grids = SweepGrids.Arrange(grid, cells);
        Assert.That(grids.RowValues, Is.EqualTo(new[] { "0.1", "0.01", "0.001" }));
        Assert.That(grids.ColumnValues, Is.EqualTo(new[] { "0", "0.01" }));
        Assert.That(grids.Validation[2, 0], Is.EqualTo(0.25), "eta 0.001 is the bottom row");
        Assert.That(grids.Training[2, 0], Is.EqualTo(0.5));
        Assert.That(grids.Diverged[0, 1], Is.True, "eta 0.1, lambda 0.01 is the top right cell");
        Assert.That(grids.Validation[0, 1], Is.Null);
        Assert.That(grids.Validation[1, 0], Is.Null, "not run");

        var kept = SweepGrids.Arrange(grid, cells, keepOrder: true);
        Assert.That(kept.RowValues, Is.EqualTo(new[] { "0.001", "0.01", "0.1" }));
        Assert.That(kept.Validation[0, 0], Is.EqualTo(0.25));
    }

    [Test]
    public void OneAxisSweepIsOneRowAndThreeAxesAreRefused()
    {
        var one = SweepGrids.Arrange(new Grid([GridAxis.Parse("hidden=3,5,7")]), []);
        Assert.That((one.Validation.GetLength(0), one.Validation.GetLength(1)), Is.EqualTo((1, 3)));
        var three = new Grid([GridAxis.Parse("eta=0.1"), GridAxis.Parse("lambda=0"), GridAxis.Parse("hidden=3")]);
        Assert.That(() => SweepGrids.Arrange(three, []), Throws.InstanceOf<ArgumentException>().With.Message.Contains("3 (eta, lambda, hidden)"));
    }

    [Test]
    public void ThreeAxisSweepDrawsOneHeatmapPerValueOfTheThirdAxis()
    {
        string dir = Path.Combine(Folder, "three");
        var (code, output, error) = TestSupport.Run(SweepCommand.Create(TestSupport.SyntheticData, CancellationToken.None),
            "sweep", "--train-size", "20", "--val-size", "10", "--filters", "2", "--epochs", "1", "--batches", "2",
            "--grid", "eta=0.01,0.1", "--grid", "lambda=0", "--grid", "hidden=3,5", "--out", dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        foreach (string hidden in new[] { "3", "5" })
            foreach (string name in new[] { "heatmap-val", "heatmap-train" })
            {
                AssertPng(Path.Combine(dir, $"{name}-hidden={hidden}.png"));
                AssertSvg(Path.Combine(dir, $"{name}-hidden={hidden}.svg"));
                Assert.That(output, Does.Contain($"wrote {Path.Combine(dir, $"{name}-hidden={hidden}.png")}"));
            }
        Assert.That(File.Exists(Path.Combine(dir, "heatmap-val.png")), Is.False, "no heatmap mixes the third axis' values");
        var grid = SweepManifest.Read(dir).Grid;
        var slices = SweepGrids.Slices(grid);
        Assert.That(slices.Select(s => s.Caption), Is.EqualTo(new[] { "hidden 3", "hidden 5" }));
        var second = SweepGrids.Arrange(grid, SweepResults.Read(dir, grid), slices[1]);
        Assert.That(second.Validation[0, 0], Is.Not.Null, "η 0.1, hidden 5 is drawn in the hidden=5 slice");
        Assert.That(second.RowValues, Is.EqualTo(new[] { "0.1", "0.01" }));
    }

    [Test]
    public void TitleNamesDatasetModelActivationAndSizes()
    {
        var grid = new Grid([GridAxis.Parse("eta=0.01,0.1"), GridAxis.Parse("lambda=0,0.01")]);
        var configuration = RunSettings.Of(("dataset", "mnist"), ("train-size", "600"), ("val-size", "100"), ("model", "paper-mnist"), ("filters", "20"),
            ("hidden", "0"), ("activation", "lrelu"), ("pool", "max"), ("epochs", "100"), ("batches", "100"), ("seed", "100"));
        var runner = new SweepRunner(configuration, grid, name => TestSupport.SyntheticData(name, null));
        string title = SweepReport.Title(new SweepManifest(runner.Fields(), grid, null), "validation accuracy");
        Assert.That(title, Is.EqualTo("mnist 600 train / 100 val · paper-mnist, filters 20, hidden 0, lrelu, max pool\n100 batches × 100 epochs · validation accuracy"));
    }

    [Test]
    public void ListNamesEveryPresetAndTheReportsBest()
    {
        var (code, output, _) = TestSupport.RunMain("reproduce", "--list");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        foreach (string name in Presets.Names)
            Assert.That(output, Does.Contain(name));
        Assert.That(output, Does.Contain("report's best 0.87 at eta=1e-1 lambda=1e-1"));
    }

    [Test]
    public void ReproduceOnePresetWritesHeatmapsAndComparison()
    {
        var (code, output, error) = Reproduce("reproduce", "fig11-lrelu", "--out", Folder, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        string dir = Path.Combine(Folder, "fig11-lrelu");
        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv")), Has.Length.EqualTo(26));
        foreach (string name in new[] { "heatmap-val", "heatmap-train", "compare-diff" })
        {
            AssertPng(Path.Combine(dir, name + ".png"));
            AssertSvg(Path.Combine(dir, name + ".svg"));
        }
        string compare = File.ReadAllText(Path.Combine(dir, "compare.md"));
        Assert.That(compare, Does.Contain("| **1e-1** |").And.Contain(" ours 1e-4 |").And.Contain(" report 1e-4 |"));
        Assert.That(compare, Does.Contain("Ours − report:").And.Contain("Report's best: **0.87**"));
        Assert.That(output, Does.Match(@"fig11-lrelu: \d+\.\d s wall, 25 cells .*our best val \d\.\d\d at eta=.*report's best 0\.87 at eta=1e-1 lambda=1e-1"));

        // Resume: everything is done, so nothing runs and the files are rewritten.
        (code, output, error) = Reproduce("reproduce", "fig11-lrelu", "--out", Folder, "--resume");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("25 cells (0 run now)"));
        // Without --resume the finished folder is not overwritten.
        (code, _, error) = Reproduce("reproduce", "fig11-lrelu", "--out", Folder);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("add --resume"));
    }

    [Test]
    public void QuickPresetRunsATenthOfTheEpochsIntoItsOwnFolder()
    {
        // Shrink the data but keep the epochs Quick() chose (fig11-lrelu: 100 → 10).
        var (code, output, error) = TestSupport.Run(
            ReproduceCommand.Create(TestSupport.SyntheticData, p => Tiny(p) with { Epochs = p.Epochs }, CancellationToken.None),
            "reproduce", "fig11-lrelu", "--quick", "--out", Folder);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        string dir = Path.Combine(Folder, "fig11-lrelu-quick");
        Assert.That(SweepManifest.Read(dir).Fields.Single(f => f.Key == "epochs").Value, Is.EqualTo("10"));
        Assert.That(File.Exists(Path.Combine(dir, "compare.md")), Is.True);
        Assert.That(output, Does.Contain("fig11-lrelu-quick: "));
    }

    [Test]
    public void AllRunsEveryPresetInOrderAndPrintsTheSummaryTable()
    {
        var (code, output, error) = Reproduce("reproduce", "all", "--out", Folder, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        string table = output[output.IndexOf("| preset | wall s |", StringComparison.Ordinal)..];
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(line => line.Split('|')[1].Trim());
        Assert.That(rows, Is.EqualTo(Presets.Names));
        foreach (string name in Presets.Names)
            Assert.That(File.Exists(Path.Combine(Folder, name, "compare.md")), Is.True, name);
        Assert.That(File.ReadAllText(Path.Combine(Folder, "fig14", "compare.md")), Does.Contain("## Training accuracy").And.Contain("TensorFlow"));
    }

    [Test]
    public void RepeatsRunEachCellOverSeedsAndShowMeanAndStdBesideTheReportAndTensorFlow()
    {
        var (code, output, error) = Reproduce("reproduce", "fig14", "--repeats", "2", "--out", Folder, "--parallel", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        string dir = Path.Combine(Folder, "fig14-repeats2");
        Assert.That(output, Does.Contain("fig14-repeats2 (Fig. 14): 16 cells × 2 seeds, "));
        var manifest = SweepManifest.Read(dir);
        Assert.That(manifest.Repeats, Is.EqualTo(2));
        Assert.That(manifest.Fields.Single(f => f.Key == "l2_style").Value, Is.EqualTo("report"));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv"))[0], Does.EndWith("train_acc_std,val_acc_std,train_loss_std,val_loss_std,repeats"));
        var cells = SweepResults.Read(dir, manifest.Grid);
        Assert.That(cells.All(c => c.Repeats == 2 && c.Spread is not null), Is.True);

        string compare = File.ReadAllText(Path.Combine(dir, "compare.md"));
        Assert.That(compare, Does.Contain("mean ± standard deviation over 2 seeds (100, 101, …, 101)"));
        Assert.That(compare, Does.Contain("L2: `--l2-style report`"));
        Assert.That(compare, Does.Contain(" ours 1e-5 |").And.Contain(" report 1e-5 |").And.Contain(" TensorFlow 1e-5 |"));
        Assert.That(compare, Does.Contain("| 0.31 | 0.28 | 0.26 | 0.41 |"), "TensorFlow's validation grid, first row");
        Assert.That(compare, Does.Contain("| 1.00 | 1.00 | 1.00 | 1.00 |"), "TensorFlow's training grid, first row");
        var first = cells.Single(c => c.Index == 0);
        string mean = first.ValidationAccuracy.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        string std = first.Spread!.ValidationAccuracy.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(compare, Does.Contain($"| **1e-2** | {mean} ± {std} |"), "our first cell: mean ± std");
        AssertPng(Path.Combine(dir, "heatmap-val.png"));
        AssertSvg(Path.Combine(dir, "heatmap-val.svg"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "heatmap-val.svg")), Does.Contain("±").And.Contain("mean ± std of 2 seeds"));
    }

    [Test]
    public void EveryPresetSaysItsL2Style()
    {
        foreach (var preset in Presets.All)
        {
            Assert.That(preset.L2Style, Is.EqualTo("report"), preset.Name);
            Assert.That(ReproduceCommand.SettingsOf(preset).Resolve()["l2-style"], Is.EqualTo("report"), preset.Name);
        }
        var writer = new StringWriter();
        ReproduceCommand.List(writer);
        Assert.That(writer.ToString().Split('\n').Count(l => l.Contains("L2 style report", StringComparison.Ordinal)), Is.EqualTo(Presets.All.Count));
        Assert.That(Presets.Fig12.WithRepeats(1), Is.SameAs(Presets.Fig12));
        Assert.That(Presets.Fig12.WithRepeats(3).Name, Is.EqualTo("fig12-repeats3"));
        Assert.That(Presets.Fig12.WithRepeats(3).Title("validation accuracy"), Does.Contain("100 epochs, mean ± std of 3 seeds · validation accuracy"));
    }

    [Test]
    public void UnknownPresetIsExitCode2NamingTheKnownOnes()
    {
        var (code, _, error) = TestSupport.RunMain("reproduce", "fig99");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("fig99"));
        foreach (string name in Presets.Names)
            Assert.That(error, Does.Contain(name));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void NoFigureIsExitCode2()
    {
        var (code, _, error) = TestSupport.RunMain("reproduce");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("--list"));
    }

    [Test]
    public void AllPrintsASummaryTable()
    {
        var writer = new StringWriter();
        var best = new BestCell(1, 3, 0.5);
        ReproduceCommand.Summary(writer, [new ReproduceOutcome(Presets.Fig11Lrelu, "x", 12.34, best, false), new ReproduceOutcome(Presets.Fig14, "y", 1, null, false)]);
        string text = writer.ToString();
        Assert.That(text, Does.Contain("| preset | wall s | our best val | report's best val |"));
        Assert.That(text, Does.Contain("| fig11-lrelu | 12.3 | 0.50 at eta=1e-1 lambda=1e-1 | 0.87 at eta=1e-1 lambda=1e-1 |"));
        Assert.That(text, Does.Contain("| fig14 | 1.0 | – | 0.14 at eta=1e-3 lambda=1e-3 |"));
    }
}

/// <summary>train and sweep take their training options from one <see cref="TrainingOptionsSet"/>.</summary>
public class TrainingOptionsSetTests
{
    [TestCase("train")]
    [TestCase("sweep")]
    public void CommandHasEveryTrainingOption(string name)
    {
        var command = name == "train" ? TrainCommand.Create() : SweepCommand.Create();
        var names = command.Options.Select(o => o.Name).ToList();
        Assert.That(new TrainingOptionsSet().All.Select(o => o.Name), Is.SubsetOf(names));
        Assert.That(names, Is.Unique);
    }
}
