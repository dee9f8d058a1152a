using System.Globalization;
using Cnn.Reproduction;
using Engine.Training;

namespace Cnn.Tests;

public sealed class PublishedHeatmapsTests
{
    [Test]
    public void EveryGridOfTheReportIsThereOnce()
    {
        Assert.That(PublishedHeatmaps.All.Select(g => g.Id), Is.EqualTo(new[]
        {
            "fig10a-val", "fig10a-train", "fig10b-val", "fig10b-train", "fig11a-val", "fig11b-val", "fig11c-val",
            "fig12-val", "fig13-val", "fig14-val", "fig14-train", "fig14-tensorflow-val", "fig14-tensorflow-train",
        }));
    }

    [TestCaseSource(typeof(PublishedHeatmaps), nameof(PublishedHeatmaps.All))]
    public void GridsMatchTheirAxesAndHoldAccuracies(PublishedGrid grid)
    {
        Assert.That(grid.Rows, Is.EqualTo(grid.RowValues.Count));
        Assert.That(grid.Columns, Is.EqualTo(grid.ColumnValues.Count));
        Assert.That(grid.Values.Cast<double>(), Is.All.InRange(0.0, 1.0));
        Assert.That(new[] { grid.RowAxis, grid.ColumnAxis }, Is.SubsetOf(new[] { "eta", "lambda", "filters", "hidden" }));
    }

    // The best values the report's TEXT states (EXPERIMENTS.md; coordinates where it gives them, else read off the
    // figure), checked against the cells read off its figures (HEATMAPS.md).
    [TestCase("fig10a-val", 0.85, 1, 5)]
    [TestCase("fig11a-val", 0.77, 0.1, 0.1)]
    [TestCase("fig11b-val", 0.86, 1, 0.01)]
    [TestCase("fig11c-val", 0.87, 0.1, 0.1)]
    [TestCase("fig12-val", 0.91, 0.1, 0.1)]
    [TestCase("fig13-val", 0.85, 0.01, 1e-4)]
    [TestCase("fig14-val", 0.14, 1e-3, 1e-3)]
    [TestCase("fig14-train", 0.17, 1e-3, 1e-4)]
    public void BestCellsAgreeWithTheReportsText(string id, double value, double row, double column)
    {
        var grid = PublishedHeatmaps.All.Single(g => g.Id == id);
        var best = Comparison.Best(grid.ToNullable())!;
        Assert.That(best.Value, Is.EqualTo(value));
        Assert.That((grid.RowValues[best.Row], grid.ColumnValues[best.Column]), Is.EqualTo((row, column)));
    }

    [Test]
    public void EveryFigureDrawsEtaDescending()
    {
        Assert.That(PublishedHeatmaps.Fig11cValidation.RowLabels, Is.EqualTo(new[] { "1", "1e-1", "1e-2", "1e-3", "1e-4" }));
        Assert.That(PublishedHeatmaps.Fig11cValidation.ColumnLabels, Is.EqualTo(new[] { "1e-4", "1e-3", "1e-2", "1e-1", "1" }));
        Assert.That(PublishedHeatmaps.Fig14Validation.RowLabels, Is.EqualTo(new[] { "1e-2", "1e-3", "1e-4", "1e-5" }));
        foreach (var grid in PublishedHeatmaps.All.Where(g => g.RowAxis == "eta"))
            Assert.That(grid.RowValues, Is.Ordered.Descending, grid.Id);
        foreach (var preset in Presets.All.Where(p => p.Grid.Axis1 == "eta"))
            Assert.That(preset.Grid.Values1.Select(v => double.Parse(v, CultureInfo.InvariantCulture)), Is.Ordered.Descending, preset.Name);
        Assert.That(PublishedHeatmaps.Fig10bValidation.RowLabels, Is.EqualTo(new[] { "50", "40", "30", "20", "10" }));
    }
}

public sealed class PresetsTests
{
    [Test]
    public void TheEightFiguresOfTheDesignArePresets() =>
        Assert.That(Presets.Names, Is.EqualTo(new[] { "fig10a", "fig10b", "fig11-sigmoid", "fig11-relu", "fig11-lrelu", "fig12", "fig13", "fig14" }));

    // EXPERIMENTS.md: sizes, batches (batch size = train / batches), epochs.
    [TestCase("fig10a", 600, 100, 100, 6, 100)]
    [TestCase("fig10b", 600, 100, 300, 2, 200)]
    [TestCase("fig11-sigmoid", 600, 100, 100, 6, 100)]
    [TestCase("fig11-relu", 600, 100, 100, 6, 100)]
    [TestCase("fig11-lrelu", 600, 100, 100, 6, 100)]
    [TestCase("fig12", 6000, 1000, 200, 30, 100)]
    [TestCase("fig13", 600, 100, 100, 6, 100)]
    [TestCase("fig14", 500, 100, 10, 50, 50)]
    public void SizesBatchesAndEpochsAreTheReports(string name, int train, int val, int batches, int batchSize, int epochs)
    {
        var p = Presets.Get(name);
        Assert.That((p.TrainSize, p.ValidationSize, p.Batches, p.BatchSize, p.Epochs), Is.EqualTo((train, val, batches, batchSize, epochs)));
    }

    [TestCase("fig11-sigmoid", "sigmoid", "max", 0)]
    [TestCase("fig11-relu", "relu", "max", 0)]
    [TestCase("fig11-lrelu", "lrelu", "max", 0)]
    [TestCase("fig12", "lrelu", "max", 20)]
    [TestCase("fig13", "lrelu", "avg", 0)]
    public void EtaLambdaFiguresHaveTheirModels(string name, string activation, string pool, int hidden)
    {
        var p = Presets.Get(name);
        Assert.That(p.Variant, Is.EqualTo(new ModelZoo.Variant(20, hidden, activation, pool)));
        Assert.That(p.Grid.GridOptions, Is.EqualTo(new[] { "eta=1,0.1,0.01,0.001,0.0001", "lambda=0.0001,0.001,0.01,0.1,1" }));
    }

    [Test]
    public void Fig10AxesAreHiddenRowsAndFilterColumnsAtFixedRates()
    {
        Assert.That(Presets.Fig10a.Grid.GridOptions, Is.EqualTo(new[] { "hidden=5,4,3,2,1", "filters=1,2,3,4,5" }));
        Assert.That(Presets.Fig10b.Grid.GridOptions, Is.EqualTo(new[] { "hidden=50,40,30,20,10", "filters=1,2,3,4,5" }));
        Assert.That((Presets.Fig10a.Eta, Presets.Fig10a.Lambda, Presets.Fig10a.Variant.Activation), Is.EqualTo((0.01, 0.001, "lrelu")));
    }

    [Test]
    public void Fig14IsCifarWithFourRatesAndTheTensorFlowReferences()
    {
        var p = Presets.Fig14;
        Assert.That((p.Dataset, p.Model), Is.EqualTo(("cifar10", "paper-cifar")));
        Assert.That(p.Grid.GridOptions, Is.EqualTo(new[] { "eta=0.01,0.001,0.0001,1E-05", "lambda=1E-05,0.0001,0.001,0.01" }), "η descending, as every figure draws it");
        Assert.That(p.OtherReferences.Select(g => g.Id), Is.EqualTo(new[] { "fig14-tensorflow-val", "fig14-tensorflow-train" }));
    }

    [TestCaseSource(typeof(Presets), nameof(Presets.All))]
    public void GridMatchesThePublishedHeatmaps(Preset p)
    {
        foreach (var published in new[] { p.PublishedValidation, p.PublishedTraining }.OfType<PublishedGrid>())
        {
            Assert.That((p.Grid.Axis1, p.Grid.Axis2), Is.EqualTo((published.RowAxis, published.ColumnAxis)));
            Assert.That(p.Grid.Values1.Select(Parse), Is.EqualTo(published.RowValues).Within(1e-6).Percent);
            Assert.That(p.Grid.Values2.Select(Parse), Is.EqualTo(published.ColumnValues).Within(1e-6).Percent);
        }
    }

    [TestCaseSource(typeof(Presets), nameof(Presets.All))]
    public void EveryCellsModelBuilds(Preset p)
    {
        foreach (string v1 in p.Grid.Values1)
        {
            foreach (string v2 in p.Grid.Values2)
            {
                var variant = p.Variant;
                foreach (var (axis, value) in new[] { (p.Grid.Axis1, v1), (p.Grid.Axis2, v2) })
                {
                    if (axis == "filters") variant = variant with { Filters = int.Parse(value, CultureInfo.InvariantCulture) };
                    if (axis == "hidden") variant = variant with { Hidden = int.Parse(value, CultureInfo.InvariantCulture) };
                }
                Assert.DoesNotThrow(() => ModelZoo.Build(p.Model, ModelZoo.InputShape(p.Model), 100, variant), $"{p.Name} {v1} {v2}");
            }
        }
    }

    [Test]
    public void QuickKeepsAnEighthOrTenthOfTheEpochsAndAtLeastOne()
    {
        Assert.That(Presets.Get("fig11-lrelu-quick").Epochs, Is.EqualTo(10));
        Assert.That(Presets.Get("fig11-lrelu-quick").Name, Is.EqualTo("fig11-lrelu-quick"));
        Assert.That(Presets.Fig14.Quick(0.01).Epochs, Is.EqualTo(1));
        Assert.That(Presets.Fig10b.Quick(0.5).Epochs, Is.EqualTo(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => Presets.Fig12.Quick(0));
    }

    [Test]
    public void UnknownNamesListTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => Presets.Get("fig99"));
        Assert.That(error!.Message, Does.Contain("fig99").And.Contain("fig11-lrelu").And.Contain("fig14"));
    }

    [Test]
    public void TitlesNameDatasetModelActivationAndSizes()
    {
        string title = Presets.Fig12.Title("validation accuracy");
        Assert.That(title, Does.Contain("Fig. 12").And.Contain("MNIST 6000 train / 1000 val").And.Contain("conv 20×3×3")
            .And.Contain("LReLU").And.Contain("dense 20").And.Contain("200 batches × 100 epochs").And.Contain("validation accuracy"));
        Assert.That(Presets.Fig10a.Title("x"), Does.Contain("η 1e-2").And.Contain("λ 1e-3").And.Contain("conv filters×3×3"));
        Assert.That(Presets.Fig14.Title("x"), Does.Contain("CIFAR-10 500 train / 100 val").And.Contain("conv 6×4×4"));
    }

    [Test]
    public void OurHeatmapUsesThePresetsAxesInTheReportsStyle()
    {
        var data = Presets.Fig14.OurHeatmap(new double?[4, 4], "validation accuracy");
        Assert.That(data.RowLabels, Is.EqualTo(new[] { "1e-2", "1e-3", "1e-4", "1e-5" }));
        Assert.That(data.ColumnLabels, Is.EqualTo(PublishedHeatmaps.Fig14Validation.ColumnLabels));
        Assert.That((data.RowAxis, data.ColumnAxis), Is.EqualTo((Heatmap.AxisTitle("eta"), Heatmap.AxisTitle("lambda"))));
        Assert.That(data.Title, Does.StartWith("Fig. 14 · CIFAR-10"));
        Assert.That(Presets.Fig10b.OurHeatmap(new double?[5, 5], "x").RowLabels, Is.EqualTo(new[] { "50", "40", "30", "20", "10" }));
    }

    private static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);
}

public sealed class ComparisonTests : TempFolderTest
{
    [Test]
    public void DifferenceIsOursMinusTheReportAndSkipsMissingAndDivergedCells()
    {
        var published = PublishedHeatmaps.Fig11cValidation;
        var ours = new double?[5, 5];
        ours[1, 3] = 0.33;   // η 0.1, λ 0.1: the numpy port's value (EXPERIMENTS.md item 25) vs the report's 0.87
        ours[2, 3] = 0.64;   // η 0.01, λ 0.1: vs 0.85
        ours[0, 0] = 0.5;
        var diverged = new bool[5, 5];
        diverged[0, 0] = true;
        var difference = Comparison.Difference(published, ours, diverged);
        Assert.That(difference[1, 3], Is.EqualTo(-0.54).Within(1e-12));
        Assert.That(difference[2, 3], Is.EqualTo(-0.21).Within(1e-12));
        Assert.That(difference[0, 0], Is.Null);
        Assert.That(difference[4, 4], Is.Null);
    }

    [Test]
    public void BestIsTheLargestFirstInRowOrderIgnoringDivergedCells()
    {
        var grid = new double?[,] { { 0.2, 0.9 }, { 0.9, null } };
        Assert.That(Comparison.Best(grid), Is.EqualTo(new BestCell(0, 1, 0.9)));
        Assert.That(Comparison.Best(grid, new bool[,] { { false, true }, { false, false } }), Is.EqualTo(new BestCell(1, 0, 0.9)));
        Assert.That(Comparison.Best(new double?[2, 2]), Is.Null);
    }

    [Test]
    public void ArrangePlacesResultsByAxisValues()
    {
        var published = PublishedHeatmaps.Fig11cValidation;
        var grid = Comparison.Arrange(published, [(1.0, 1e-4, 0.5), ((double)(float)1e-3, 1.0, 0.25)]);
        Assert.That(grid[0, 0], Is.EqualTo(0.5));
        Assert.That(grid[3, 4], Is.EqualTo(0.25), "the float nearest 1e-3 is the 1e-3 row");
        Assert.That(grid[3, 3], Is.Null);
        var error = Assert.Throws<ArgumentException>(() => Comparison.Arrange(published, [(0.5, 1e-4, 0.1)]));
        Assert.That(error!.Message, Does.Contain("eta=0.5").And.Contain("1e-4"));
    }

    [Test]
    public void MarkdownShowsBothGridsAndBothBestCells()
    {
        var preset = Presets.Fig11Lrelu;
        var ours = preset.PublishedValidation.ToNullable();
        ours[1, 3] = 0.33;
        ours[4, 4] = 0.95;
        ours[3, 0] = null;
        string md = Comparison.Markdown(preset, ours);
        Assert.That(md, Does.Contain("| η \\ λ | ours 1e-4 | ours 1e-3 | ours 1e-2 | ours 1e-1 | ours 1 | | report 1e-4 |"));
        Assert.That(md, Does.Contain("| **1e-1** | 0.11 | 0.15 | 0.79 | 0.33 | 0.52 | | 0.11 | 0.15 | 0.79 | 0.87 | 0.52 |"));
        Assert.That(md, Does.Contain("| **1e-3** | – |"));
        Assert.That(md, Does.Contain("Report's best: **0.87** at η = 1e-1, λ = 1e-1; ours there: 0.33."));
        Assert.That(md, Does.Contain("Our best: **0.95** at η = 1e-4, λ = 1; the report there: 0.31."));
        Assert.That(md, Does.Contain("| **1e-1** | 0.00 | 0.00 | 0.00 | −0.54 | 0.00 |"));
        Assert.That(md, Does.Contain("Cells compared: 24 of 25"));
        Assert.That(md, Does.Not.Contain("Training accuracy"), "Fig. 11 has no published training grid");
    }

    [Test]
    public void Fig14MarkdownComparesTrainingAndNamesTensorFlow()
    {
        var preset = Presets.Fig14;
        string md = Comparison.Markdown(preset, new double?[4, 4], new double?[4, 4]);
        Assert.That(md, Does.Contain("## Training accuracy"));
        Assert.That(md, Does.Contain("Our best: – (no cell finished)."));
        Assert.That(md, Does.Contain("TensorFlow, validation accuracy").And.Contain("best 0.41 at η = 1e-2, λ = 1e-2"));
    }

    [Test]
    public void WriteProducesMarkdownAndDifferenceImages()
    {
        var preset = Presets.Fig13;
        Comparison.Write(Folder, preset, preset.PublishedValidation.ToNullable());
        Assert.That(File.ReadAllText(Path.Combine(Folder, Comparison.MarkdownFile)), Does.StartWith("# Fig. 13 (fig13)"));
        Assert.That(new FileInfo(Path.Combine(Folder, Comparison.DifferencePng)).Length, Is.GreaterThan(1000));
        Assert.That(File.ReadAllText(Path.Combine(Folder, Comparison.DifferenceSvg)), Does.Contain("image-rendering:pixelated"));
        var diff = Comparison.DifferenceHeatmap(preset, preset.PublishedValidation.ToNullable());
        Assert.That((diff.Minimum, diff.Maximum, diff.Diverging), Is.EqualTo((-1.0, 1.0, true)));
    }

    [Test]
    public void WrongSizesAreNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => Comparison.Markdown(Presets.Fig12, new double?[4, 4]));
        Assert.That(error!.Message, Does.Contain("fig12-val").And.Contain("4×4").And.Contain("5×5"));
    }
}
