using System.Globalization;

namespace Cnn;

/// <summary>
/// A sweep's results arranged as heatmap grids: rows are the values of the first axis, columns those of the second
/// (a one-axis sweep is one row), each in drawing order; a cell not run yet is null.
/// </summary>
/// <param name="RowAxis">The first axis' name, or "" for a one-axis sweep.</param>
/// <param name="RowValues">The row values, top to bottom (canonical strings).</param>
/// <param name="ColumnAxis">The column axis' name.</param>
/// <param name="ColumnValues">The column values, left to right.</param>
/// <param name="Validation">Validation accuracy [rows, cols].</param>
/// <param name="Training">Training accuracy [rows, cols].</param>
/// <param name="Diverged">Cells whose training diverged [rows, cols].</param>
public sealed record SweepGrids(
    string RowAxis, IReadOnlyList<string> RowValues, string ColumnAxis, IReadOnlyList<string> ColumnValues,
    double?[,] Validation, double?[,] Training, bool[,] Diverged)
{
    /// <summary>
    /// Arranges <paramref name="cells"/> of a one- or two-axis <paramref name="grid"/>. Rows follow the grid's order,
    /// except that an eta row axis is drawn descending (largest η at the top), as the report draws its MNIST heatmaps,
    /// unless <paramref name="keepOrder"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The grid has more than two axes.</exception>
    public static SweepGrids Arrange(Grid grid, IEnumerable<CellResult> cells, bool keepOrder = false)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(cells);
        if (grid.Axes.Count > 2)
            throw new ArgumentException($"A heatmap shows one or two axes; this sweep has {grid.Axes.Count} ({string.Join(", ", grid.Axes.Select(a => a.Name))}).");
        bool twoAxes = grid.Axes.Count == 2;
        var rowAxis = twoAxes ? grid.Axes[0] : new GridAxis("", [""]);
        var columnAxis = grid.Axes[^1];
        // rowOrder[r] = the grid's index along the row axis of the r-th drawn row.
        int[] rowOrder = [.. Enumerable.Range(0, rowAxis.Values.Count)];
        if (!keepOrder && rowAxis.Name == "eta")
            rowOrder = [.. rowOrder.OrderByDescending(i => double.Parse(rowAxis.Values[i], CultureInfo.InvariantCulture))];
        int rows = rowOrder.Length, columns = columnAxis.Values.Count;
        var drawnRow = new int[rows];
        for (int r = 0; r < rows; r++) drawnRow[rowOrder[r]] = r;

        var validation = new double?[rows, columns];
        var training = new double?[rows, columns];
        var diverged = new bool[rows, columns];
        foreach (var cell in cells)
        {
            int r = drawnRow[cell.Index / columns], c = cell.Index % columns;
            validation[r, c] = Finite(cell.ValidationAccuracy);
            training[r, c] = Finite(cell.TrainAccuracy);
            diverged[r, c] = cell.Status == "diverged";
        }
        return new SweepGrids(rowAxis.Name, [.. rowOrder.Select(i => rowAxis.Values[i])], columnAxis.Name, columnAxis.Values,
            validation, training, diverged);

        static double? Finite(double v) => double.IsFinite(v) ? v : null;
    }

    /// <summary>The heatmap of <paramref name="values"/> (<see cref="Validation"/> or <see cref="Training"/>) titled <paramref name="title"/>.</summary>
    public HeatmapData Heatmap(string title, double?[,] values) =>
        Cnn.Heatmap.ForSweep(title, RowAxis, RowValues, ColumnAxis, ColumnValues, values, Diverged);
}

/// <summary>
/// The seam where a finished sweep (or gather) hands its folder on: called once with the folder after its
/// <c>results.csv</c>, <c>results.json</c> and <c>sweep.json</c> are complete. It renders the heatmaps
/// (<c>heatmap-val.png/.svg</c>, <c>heatmap-train.png/.svg</c>) and prints the paths written.
/// </summary>
public static class SweepReport
{
    /// <summary>The validation heatmap's file name (PNG; the SVG has the same stem).</summary>
    public const string ValidationPng = "heatmap-val.png";

    /// <summary>The validation heatmap as SVG.</summary>
    public const string ValidationSvg = "heatmap-val.svg";

    /// <summary>The training heatmap's file name (PNG).</summary>
    public const string TrainingPng = "heatmap-train.png";

    /// <summary>The training heatmap as SVG.</summary>
    public const string TrainingSvg = "heatmap-train.svg";

    /// <summary>
    /// Renders the heatmaps of the sweep folder <paramref name="dir"/> and prints every file of it: rows = the first
    /// grid axis (η descending), columns = the second; a one-axis sweep is one row; a sweep of more axes gets a one-line
    /// note instead. The title names the dataset, model, activation and sizes from <c>sweep.json</c>.
    /// </summary>
    /// <param name="dir">A folder holding sweep.json, results.csv and results.json.</param>
    public static void Written(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        var manifest = SweepManifest.Read(dir);
        var cells = SweepResults.Read(dir, manifest.Grid);
        foreach (string name in new[] { SweepResults.CsvFileName, SweepResults.JsonFileName, SweepManifest.FileName })
            Console.WriteLine($"wrote {Path.Combine(dir, name)}");
        if (manifest.Grid.Axes.Count > 2)
        {
            Console.WriteLine($"heatmaps skipped: the sweep has {manifest.Grid.Axes.Count} axes ({string.Join(", ", manifest.Grid.Axes.Select(a => a.Name))}); a heatmap shows one or two.");
            return;
        }
        var grids = SweepGrids.Arrange(manifest.Grid, cells);
        WriteHeatmaps(dir, grids.Heatmap(Title(manifest, "validation accuracy"), grids.Validation),
            grids.Heatmap(Title(manifest, "training accuracy"), grids.Training));
    }

    /// <summary>Renders <paramref name="validation"/> and <paramref name="training"/> to the heatmap files of <paramref name="dir"/>, printing their paths.</summary>
    public static void WriteHeatmaps(string dir, HeatmapData validation, HeatmapData training)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(training);
        Heatmap.Render(validation, Path.Combine(dir, ValidationPng), Path.Combine(dir, ValidationSvg));
        Heatmap.Render(training, Path.Combine(dir, TrainingPng), Path.Combine(dir, TrainingSvg));
        foreach (string name in new[] { ValidationPng, ValidationSvg, TrainingPng, TrainingSvg })
            Console.WriteLine($"wrote {Path.Combine(dir, name)}");
    }

    /// <summary>
    /// A title from the manifest's fixed options, e.g.
    /// "mnist 600 train / 100 val · paper-mnist, filters 20, hidden 0, lrelu, max pool\nη 0.01, 100 batches × 10 epochs · validation accuracy";
    /// options that are grid axes are left out (the axes name them).
    /// </summary>
    public static string Title(SweepManifest manifest, string what)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var f = manifest.Fields.ToDictionary(p => p.Key, p => p.Value);
        string? Get(string key) => f.TryGetValue(key, out var v) ? v : null;
        string Part(string key, string format) => Get(key) is { } v ? string.Format(CultureInfo.InvariantCulture, format, Heatmap.TickLabel(v)) : "";

        string data = $"{Get("dataset")} {Get("train_size")} train / {Get("val_size")} val";
        var model = new List<string> { Get("model") ?? "?" };
        if (Get("model") is "paper-mnist" or "paper-cifar") model.Add(Part("filters", "filters {0}"));
        if (Get("model") == "paper-mnist") model.Add(Part("hidden", "hidden {0}"));
        model.Add(Get("activation") ?? "");
        model.Add(Part("pool", "{0} pool"));
        var training = new List<string> { Part("eta", "η {0}"), Part("lambda", "λ {0}") };
        string batches = Get("batches") is { } b ? $"{b} batches" : Get("batch_size") is { } s ? $"batch size {s}" : "";
        training.Add(batches.Length > 0 ? $"{batches} × {Get("epochs")} epochs" : $"{Get("epochs")} epochs");
        string Join(IEnumerable<string> parts) => string.Join(", ", parts.Where(p => p.Length > 0));
        return $"{data} · {Join(model)}\n{Join(training)} · {what}";
    }
}
