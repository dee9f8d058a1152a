using System.Globalization;
using System.Text.RegularExpressions;

namespace Cnn;

/// <summary>
/// A sweep's results arranged as heatmap grids: rows are the values of the first axis, columns those of the second
/// (a one-axis sweep is one row), each in drawing order; a cell not run yet is null. A sweep of more axes is drawn as
/// one such grid per combination of the further axes' values (a <see cref="Slice"/>).
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
    /// <summary>Standard deviations of the validation accuracy over repeats [rows, cols], or null without repeats.</summary>
    public double?[,]? ValidationSpread { get; init; }

    /// <summary>Standard deviations of the training accuracy over repeats [rows, cols], or null without repeats.</summary>
    public double?[,]? TrainingSpread { get; init; }

    /// <summary>
    /// One heatmap's worth of a sweep of three or more axes: the values of the axes after the first two.
    /// </summary>
    /// <param name="Positions">For each further axis (axis 2, 3, …), the index of its value.</param>
    /// <param name="FileSuffix">E.g. <c>-pool=avg-seed=3</c>, for file names.</param>
    /// <param name="Caption">E.g. <c>pool avg, seed 3</c>, for titles.</param>
    public sealed record Slice(IReadOnlyList<int> Positions, string FileSuffix, string Caption);

    /// <summary>Every slice of <paramref name="grid"/>: one (empty) for one or two axes, else one per combination of the further axes' values.</summary>
    public static IReadOnlyList<Slice> Slices(Grid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var extra = grid.Axes.Skip(2).ToList();
        var slices = new List<Slice>();
        int count = extra.Aggregate(1, (n, a) => n * a.Values.Count);
        for (int k = 0; k < count; k++)
        {
            var positions = new int[extra.Count];
            for (int a = extra.Count - 1, rest = k; a >= 0; a--) { positions[a] = rest % extra[a].Values.Count; rest /= extra[a].Values.Count; }
            string suffix = string.Concat(extra.Select((a, i) => $"-{a.Option.Key}={FileSafe(a.Values[positions[i]])}"));
            string caption = string.Join(", ", extra.Select((a, i) => $"{a.Name} {Heatmap.TickLabel(a.Values[positions[i]])}"));
            slices.Add(new Slice(positions, suffix, caption));
        }
        return slices;
    }

    /// <summary>
    /// Arranges <paramref name="cells"/> of a one- or two-axis <paramref name="grid"/>. Rows follow the grid's order,
    /// except that an eta row axis is drawn descending (largest η at the top), as the report draws its heatmaps,
    /// unless <paramref name="keepOrder"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The grid has more than two axes (arrange one <see cref="Slice"/> at a time).</exception>
    public static SweepGrids Arrange(Grid grid, IEnumerable<CellResult> cells, bool keepOrder = false)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.Axes.Count > 2)
            throw new ArgumentException($"A heatmap shows one or two axes; this sweep has {grid.Axes.Count} ({string.Join(", ", grid.Axes.Select(a => a.Name))}); arrange one slice at a time.");
        return Arrange(grid, cells, Slices(grid)[0], keepOrder);
    }

    /// <summary>Arranges the cells of <paramref name="grid"/> that lie in <paramref name="slice"/> (see <see cref="Arrange(Grid, IEnumerable{CellResult}, bool)"/>).</summary>
    public static SweepGrids Arrange(Grid grid, IEnumerable<CellResult> cells, Slice slice, bool keepOrder = false)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(slice);
        bool twoAxes = grid.Axes.Count >= 2;
        var rowAxis = twoAxes ? grid.Axes[0] : new GridAxis("", [""]);
        var columnAxis = grid.Axes[twoAxes ? 1 : 0];
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
        double?[,]? validationSpread = null, trainingSpread = null;
        foreach (var cell in cells)
        {
            var position = grid.Position(cell.Index);
            if (!position.Skip(2).SequenceEqual(slice.Positions)) continue;
            int r = twoAxes ? drawnRow[position[0]] : 0, c = position[twoAxes ? 1 : 0];
            validation[r, c] = Finite(cell.ValidationAccuracy);
            training[r, c] = Finite(cell.TrainAccuracy);
            diverged[r, c] = cell.Status == "diverged";
            if (cell.Spread is { } spread)
            {
                (validationSpread ??= new double?[rows, columns])[r, c] = Finite(spread.ValidationAccuracy);
                (trainingSpread ??= new double?[rows, columns])[r, c] = Finite(spread.TrainAccuracy);
            }
        }
        return new SweepGrids(rowAxis.Name, [.. rowOrder.Select(i => rowAxis.Values[i])], columnAxis.Name, columnAxis.Values,
            validation, training, diverged)
        {
            ValidationSpread = validationSpread,
            TrainingSpread = trainingSpread,
        };

        static double? Finite(double v) => double.IsFinite(v) ? v : null;
    }

    /// <summary>The validation heatmap titled <paramref name="title"/>.</summary>
    public HeatmapData ValidationHeatmap(string title) =>
        Cnn.Heatmap.ForSweep(title, RowAxis, RowValues, ColumnAxis, ColumnValues, Validation, Diverged) with { Spread = ValidationSpread };

    /// <summary>The training heatmap titled <paramref name="title"/>.</summary>
    public HeatmapData TrainingHeatmap(string title) =>
        Cnn.Heatmap.ForSweep(title, RowAxis, RowValues, ColumnAxis, ColumnValues, Training, Diverged) with { Spread = TrainingSpread };

    private static string FileSafe(string value) => Regex.Replace(value, "[^A-Za-z0-9._+-]", "_");
}

/// <summary>
/// The seam where a finished sweep (or gather) hands its folder on: called once with the folder after its
/// <c>results.csv</c>, <c>results.json</c> and <c>sweep.json</c> are complete. It renders the heatmaps
/// (<c>heatmap-val.png/.svg</c>, <c>heatmap-train.png/.svg</c>; with three or more axes one pair per combination of the
/// further axes, e.g. <c>heatmap-val-pool=avg.png</c>) and prints the paths written.
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
    /// grid axis (η descending), columns = the second; a one-axis sweep is one row; further axes give one pair of
    /// heatmaps per combination of their values. The title names the dataset, model, activation and sizes from
    /// <c>sweep.json</c>. Cells not finished (or a grid with none finished) are drawn grey.
    /// </summary>
    /// <param name="dir">A folder holding sweep.json, results.csv and results.json.</param>
    /// <param name="scale">The colour scale: fitted to the data (default) or fixed 0–1.</param>
    public static void Written(string dir, ColorScale scale = ColorScale.Data)
    {
        ArgumentNullException.ThrowIfNull(dir);
        var manifest = SweepManifest.Read(dir);
        var cells = SweepResults.Read(dir, manifest.Grid);
        foreach (string name in new[] { SweepResults.CsvFileName, SweepResults.JsonFileName, SweepManifest.FileName })
            Console.WriteLine($"wrote {Path.Combine(dir, name)}");
        if (Directory.Exists(Path.Combine(dir, SweepRunner.CellsFolder)))
            Console.WriteLine($"wrote {Path.Combine(dir, SweepRunner.CellsFolder)}{Path.DirectorySeparatorChar}<cell>.csv (per-epoch history of each cell)");
        foreach (var slice in SweepGrids.Slices(manifest.Grid))
        {
            var grids = SweepGrids.Arrange(manifest.Grid, cells, slice);
            string extra = slice.Caption.Length > 0 ? $" · {slice.Caption}" : "";
            WriteHeatmaps(dir, grids.ValidationHeatmap(Title(manifest, "validation accuracy" + extra)).On(scale),
                grids.TrainingHeatmap(Title(manifest, "training accuracy" + extra)).On(scale), slice.FileSuffix);
        }
    }

    /// <summary>
    /// Renders <paramref name="validation"/> and <paramref name="training"/> to the heatmap files of <paramref name="dir"/>
    /// (their names with <paramref name="suffix"/> before the extension), printing their paths.
    /// </summary>
    public static void WriteHeatmaps(string dir, HeatmapData validation, HeatmapData training, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(suffix);
        string Named(string file) => Path.Combine(dir, Path.GetFileNameWithoutExtension(file) + suffix + Path.GetExtension(file));
        Heatmap.Render(validation, Named(ValidationPng), Named(ValidationSvg));
        Heatmap.Render(training, Named(TrainingPng), Named(TrainingSvg));
        foreach (string name in new[] { ValidationPng, ValidationSvg, TrainingPng, TrainingSvg })
            Console.WriteLine($"wrote {Named(name)}");
    }

    /// <summary>
    /// A title from the manifest's fixed options, e.g.
    /// "mnist 600 train / 100 val · paper-mnist, filters 20, hidden 0, lrelu, max pool\nη 0.01, 100 batches × 10 epochs · validation accuracy";
    /// options that are grid axes are left out (the axes name them); an optimizer other than Adam, a schedule, an
    /// augmentation, normalised inputs and the recipe are named.
    /// </summary>
    public static string Title(SweepManifest manifest, string what)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var f = manifest.Fields.ToDictionary(p => p.Key, p => p.Value);
        string? Get(string key) => f.TryGetValue(key, out var v) ? v : null;
        string Part(string key, string format) => Get(key) is { } v ? string.Format(CultureInfo.InvariantCulture, format, Heatmap.TickLabel(v)) : "";

        string data = $"{Get("dataset")} {Get("train_size")} train / {Get("val_size")} val";
        var model = new List<string> { Get("model") ?? (Get("model_file") is { } file ? Path.GetFileName(file) : "?") };
        model.Add(Part("filters", "filters {0}"));
        model.Add(Part("hidden", "hidden {0}"));
        model.Add(Get("activation") ?? "");
        model.Add(Part("pool", "{0} pool"));
        var training = new List<string> { Get("optimizer") is { } o && o != "adam" ? o : "", Part("eta", "η {0}"), Part("lambda", "λ {0}") };
        if (Get("schedule") is { } schedule && schedule != "constant") training.Add(schedule);
        if (Get("augment") is { } augment && augment != AugmentSpec.None) training.Add($"augment {augment}");
        if (Get("normalize") == "true") training.Add("normalized");
        string batches = Get("batches") is { } b ? $"{b} batches" : Get("batch_size") is { } s ? $"batch size {s}" : "";
        training.Add(batches.Length > 0 ? $"{batches} × {Get("epochs")} epochs" : $"{Get("epochs")} epochs");
        if (manifest.Repeats > 1) training.Add($"mean ± std of {manifest.Repeats} seeds");
        string Join(IEnumerable<string> parts) => string.Join(", ", parts.Where(p => p.Length > 0));
        string recipe = manifest.Recipe is { } r ? $"recipe {r} · " : "";
        return $"{recipe}{data} · {Join(model)}\n{Join(training)} · {what}";
    }
}
