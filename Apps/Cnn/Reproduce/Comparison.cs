using System.Globalization;
using System.Text;

namespace Cnn.Reproduction;

/// <summary>The best cell of a grid: its value and coordinates.</summary>
/// <param name="Row">The row index (0 = top).</param>
/// <param name="Column">The column index (0 = left).</param>
/// <param name="Value">The cell's value.</param>
public sealed record BestCell(int Row, int Column, double Value);

/// <summary>Our cells' standard deviations over the seeds of <c>--repeats</c>, drawn and printed as "mean ± std".</summary>
/// <param name="Validation">Of the validation accuracy [rows, cols], or null.</param>
/// <param name="Training">Of the training accuracy [rows, cols], or null.</param>
/// <param name="Repeats">The seeds per cell.</param>
public sealed record Spreads(double?[,]? Validation, double?[,]? Training, int Repeats);

/// <summary>
/// Writes <c>compare.md</c> for <c>cnn reproduce</c>: the report's grid drawn beside ours (as pictures on one colour
/// scale, and as tables), the best cell of each and the difference (ours − report), also drawn as
/// <c>compare-diff.png</c> and <c>compare-diff.svg</c>.
/// </summary>
public static class Comparison
{
    /// <summary>The file name of the markdown comparison.</summary>
    public const string MarkdownFile = "compare.md";

    /// <summary>The file name of the difference heatmap (PNG; the SVG has the same stem).</summary>
    public const string DifferencePng = "compare-diff.png";

    /// <summary>The file name of the difference heatmap as SVG.</summary>
    public const string DifferenceSvg = "compare-diff.svg";

    /// <summary>The report's validation grid drawn as a heatmap (PNG; the SVG has the same stem), beside ours in compare.md.</summary>
    public const string ReportPng = "report-val.png";

    /// <summary>The report's training grid drawn as a heatmap, when the report published one.</summary>
    public const string ReportTrainingPng = "report-train.png";

    /// <summary>
    /// Writes compare.md, compare-diff.png/.svg and the report's grids as pictures (report-val.png/.svg, and
    /// report-train.png/.svg where published) into <paramref name="folder"/> (created if needed). Our grids are indexed
    /// like the preset's published grids (rows top to bottom as <see cref="PresetGrid.Values1"/>, columns as
    /// <see cref="PresetGrid.Values2"/>); null marks a cell not run.
    /// </summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="preset">The figure reproduced.</param>
    /// <param name="ourValidation">Our validation accuracies.</param>
    /// <param name="ourTraining">Our training accuracies, if measured; compared when the report published them.</param>
    /// <param name="ourDiverged">Cells whose training diverged, if known (shown as "div").</param>
    /// <param name="dataFolder">The dataset folder our cells read (e.g. <c>cifar-10-subset</c>), recorded in compare.md.</param>
    /// <param name="scale">The colour scale of the pictures: fitted to ours and the report's values together, or fixed 0–1.</param>
    /// <param name="spreads">Our standard deviations over the repeats, or null for single runs.</param>
    /// <returns>The file names written.</returns>
    /// <exception cref="ArgumentException">A grid's size differs from the published grid's.</exception>
    public static IReadOnlyList<string> Write(string folder, Preset preset, double?[,] ourValidation, double?[,]? ourTraining = null, bool[,]? ourDiverged = null,
        string? dataFolder = null, ColorScale scale = ColorScale.Data, Spreads? spreads = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(ourValidation);
        Directory.CreateDirectory(folder);
        var written = new List<string> { MarkdownFile };
        File.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown(preset, ourValidation, ourTraining, ourDiverged, dataFolder, spreads));
        var difference = DifferenceHeatmap(preset, ourValidation, ourDiverged);
        Heatmap.Render(difference.On(scale), Path.Combine(folder, DifferencePng), Path.Combine(folder, DifferenceSvg));
        written.AddRange([DifferencePng, DifferenceSvg]);
        foreach (var (published, ours, png) in new[] { (preset.PublishedValidation, ourValidation, ReportPng), (preset.PublishedTraining, ourTraining, ReportTrainingPng) })
        {
            if (published is null) continue;
            var picture = ReportHeatmap(preset, published, ours, scale);
            Heatmap.Render(picture, Path.Combine(folder, png), Path.Combine(folder, Path.ChangeExtension(png, ".svg")));
            written.AddRange([png, Path.ChangeExtension(png, ".svg")]);
        }
        return written;
    }

    /// <summary>
    /// The colour range our heatmap and the report's share: fitted to both grids' values (<see cref="ColorScale.Data"/>),
    /// or 0–1, so the two pictures in compare.md read alike.
    /// </summary>
    public static (double Min, double Max) SharedRange(PublishedGrid published, double?[,]? ours, ColorScale scale)
    {
        ArgumentNullException.ThrowIfNull(published);
        return scale == ColorScale.Fixed ? (0, 1) : ours is null ? Heatmap.DataRange(published.ToNullable()) : Heatmap.DataRange(published.ToNullable(), ours);
    }

    /// <summary>Our heatmap of a figure (mean ± std with <paramref name="spread"/>) on the colour range it shares with the report's picture.</summary>
    public static HeatmapData OurHeatmap(Preset preset, double?[,] ours, string what, bool[,]? diverged, PublishedGrid? published, ColorScale scale, double?[,]? spread = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var data = preset.OurHeatmap(ours, what, diverged, spread);
        if (published is null) return data.On(scale);
        var (min, max) = SharedRange(published, ours, scale);
        return data with { Minimum = min, Maximum = max };
    }

    /// <summary>The report's published grid as a heatmap, on the colour range shared with ours.</summary>
    public static HeatmapData ReportHeatmap(Preset preset, PublishedGrid published, double?[,]? ours, ColorScale scale)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(published);
        var (min, max) = SharedRange(published, ours, scale);
        return new HeatmapData($"the report: {published.Caption}", Heatmap.AxisTitle(published.RowAxis), published.RowLabels,
            Heatmap.AxisTitle(published.ColumnAxis), published.ColumnLabels, published.ToNullable())
        {
            Minimum = min,
            Maximum = max,
        };
    }

    /// <summary>The text of compare.md (see <see cref="Write"/>).</summary>
    /// <exception cref="ArgumentException">A grid's size differs from the published grid's.</exception>
    public static string Markdown(Preset preset, double?[,] ourValidation, double?[,]? ourTraining = null, bool[,]? ourDiverged = null, string? dataFolder = null,
        Spreads? spreads = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {preset.Figure} ({preset.Name}): ours vs the report");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{preset.Title("accuracy").Replace("\n", " · ", StringComparison.Ordinal)}");
        text.AppendLine();
        if (dataFolder is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Data: the dataset folder `{dataFolder}`{(dataFolder == "cifar-10-subset" ? " (an ordered prefix of CIFAR-10, not the full set: results are not comparable with the full set's)" : "")}; the first {preset.TrainSize} training images, validation on the first {preset.ValidationSize} test images.");
            text.AppendLine();
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"L2: `--l2-style {preset.L2Style}`{(preset.L2Style == "report" ? " (λ·w added to the weights' gradients, as the report's code does)" : "")}.");
        text.AppendLine();
        if (spreads is { Repeats: > 1 } seeds)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Our cells are the mean ± standard deviation over {seeds.Repeats} seeds ({ReproduceCommand.Seed}, {ReproduceCommand.Seed + 1}, …, {ReproduceCommand.Seed + seeds.Repeats - 1}); the report's are single runs.");
            text.AppendLine();
        }
        text.AppendLine("The report: E. Nupen, O. K. Rustebakke, B. A. Trefjord, J. T. F. Stensson, \"An Object Oriented Implementation of a " +
            "Convolutional Neural Network in Python\", FYS5429 project report, 2024. Its accuracies are single runs that its own code " +
            "no longer reproduces: reference points, not exact targets.");
        text.AppendLine();
        text.AppendLine("| ours | the report |");
        text.AppendLine("|---|---|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| ![ours, validation accuracy]({SweepReport.ValidationPng}) | ![the report, validation accuracy]({ReportPng}) |");
        if (ourTraining is not null && preset.PublishedTraining is not null)
            text.AppendLine(CultureInfo.InvariantCulture, $"| ![ours, training accuracy]({SweepReport.TrainingPng}) | ![the report, training accuracy]({ReportTrainingPng}) |");
        text.AppendLine();
        Section(text, "Validation accuracy", preset.PublishedValidation, ourValidation, ourDiverged, spreads?.Validation, preset.OtherReferences.Where(o => !o.IsTraining));
        if (ourTraining is not null && preset.PublishedTraining is { } training)
            Section(text, "Training accuracy", training, ourTraining, ourDiverged, spreads?.Training, preset.OtherReferences.Where(o => o.IsTraining));
        foreach (var other in preset.OtherReferences)
        {
            var best = Best(other.ToNullable())!;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Further reference, {other.Caption}: best {Decimal(best.Value)} at {Coordinates(other, best)}.");
            text.AppendLine();
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"Difference heatmap (ours − report, validation; positive where ours is higher): [{DifferencePng}]({DifferencePng}), [{DifferenceSvg}]({DifferenceSvg}).");
        return text.ToString();
    }

    /// <summary>The cell-wise difference ours − published; null where ours is missing or diverged.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public static double?[,] Difference(PublishedGrid published, double?[,] ours, bool[,]? ourDiverged = null)
    {
        ArgumentNullException.ThrowIfNull(published);
        CheckSize(published, ours, "our grid");
        if (ourDiverged is not null) CheckSize(published, ourDiverged, "the diverged flags");
        var difference = new double?[published.Rows, published.Columns];
        for (int r = 0; r < published.Rows; r++)
            for (int c = 0; c < published.Columns; c++)
                difference[r, c] = ourDiverged?[r, c] == true ? null : ours[r, c] - published.Values[r, c];
        return difference;
    }

    /// <summary>The largest value of <paramref name="grid"/> (first in row order on ties), or null when every cell is missing.</summary>
    public static BestCell? Best(double?[,] grid, bool[,]? diverged = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        BestCell? best = null;
        for (int r = 0; r < grid.GetLength(0); r++)
            for (int c = 0; c < grid.GetLength(1); c++)
                if (grid[r, c] is { } v && double.IsFinite(v) && diverged?[r, c] != true && (best is null || v > best.Value))
                    best = new BestCell(r, c, v);
        return best;
    }

    /// <summary>
    /// Places sweep results into a grid shaped like <paramref name="published"/>: each result names its row and
    /// column values (matched to 1e-6 relative, so float-rounded values match); cells without a result stay null.
    /// </summary>
    /// <exception cref="ArgumentException">A result's row or column value is not on the published grid.</exception>
    public static double?[,] Arrange(PublishedGrid published, IEnumerable<(double Row, double Column, double? Value)> results)
    {
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(results);
        var grid = new double?[published.Rows, published.Columns];
        foreach (var (row, column, value) in results)
        {
            int r = published.RowOf(row), c = published.ColumnOf(column);
            if (r < 0 || c < 0)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "{0}: the cell {1}={2}, {3}={4} is not on the report's grid ({1}: {5}; {3}: {6}).",
                    published.Id, published.RowAxis, row, published.ColumnAxis, column,
                    string.Join(", ", published.RowLabels), string.Join(", ", published.ColumnLabels)));
            grid[r, c] = value;
        }
        return grid;
    }

    /// <summary>
    /// The difference heatmap of the validation grids (ours − report, cells written with their sign as in compare.md),
    /// on a blue–white–red scale from −1 to 1: red where ours is higher.
    /// </summary>
    public static HeatmapData DifferenceHeatmap(Preset preset, double?[,] ourValidation, bool[,]? ourDiverged = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var published = preset.PublishedValidation;
        return new HeatmapData(
            preset.Title("validation accuracy, ours − report"),
            Heatmap.AxisTitle(published.RowAxis), published.RowLabels,
            Heatmap.AxisTitle(published.ColumnAxis), published.ColumnLabels,
            Difference(published, ourValidation, ourDiverged))
        {
            Diverged = ourDiverged,
            Minimum = -1,
            Maximum = 1,
            Diverging = true,
            SignedLabels = true,
            ValueName = "ours − report (positive: ours higher)",
        };
    }

    private static void Section(StringBuilder text, string heading, PublishedGrid published, double?[,] ours, bool[,]? diverged,
        double?[,]? spread, IEnumerable<PublishedGrid> further)
    {
        var difference = Difference(published, ours, diverged);
        if (spread is not null) CheckSize(published, spread, "the standard deviations");
        var others = further.ToList();
        foreach (var other in others) CheckSize(published, other.Values, other.Id);
        text.AppendLine(CultureInfo.InvariantCulture, $"## {heading}");
        text.AppendLine();
        string blocks = others.Count == 0
            ? $"Left block: ours{(spread is null ? "" : " (mean ± std)")}; right block: the report ({published.Caption})."
            : $"Blocks: ours{(spread is null ? "" : " (mean ± std)")}; the report ({published.Caption}); {string.Join("; ", others.Select(o => o.Caption))}.";
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Rows: {Heatmap.AxisTitle(published.RowAxis)}; columns: {Heatmap.AxisTitle(published.ColumnAxis)}. {blocks}");
        text.AppendLine();

        string corner = $"{Symbol(published.RowAxis)} \\ {Symbol(published.ColumnAxis)}";
        var references = new List<PublishedGrid> { published };
        references.AddRange(others);
        text.Append(CultureInfo.InvariantCulture, $"| {corner} |");
        foreach (string label in published.ColumnLabels) text.Append(CultureInfo.InvariantCulture, $" ours {label} |");
        foreach (var reference in references)
        {
            text.Append(" |");
            foreach (string label in published.ColumnLabels) text.Append(CultureInfo.InvariantCulture, $" {reference.Source} {label} |");
        }
        text.AppendLine();
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", published.Columns))
            + string.Concat(references.Select(_ => "---|" + string.Concat(Enumerable.Repeat("---|", published.Columns)))));
        for (int r = 0; r < published.Rows; r++)
        {
            text.Append(CultureInfo.InvariantCulture, $"| **{published.RowLabels[r]}** |");
            for (int c = 0; c < published.Columns; c++)
                text.Append(CultureInfo.InvariantCulture, $" {Cell(ours[r, c], diverged?[r, c] == true, spread?[r, c])} |");
            foreach (var reference in references)
            {
                text.Append(" |");
                for (int c = 0; c < published.Columns; c++)
                    text.Append(CultureInfo.InvariantCulture, $" {Decimal(reference.Values[r, c])} |");
            }
            text.AppendLine();
        }
        text.AppendLine();

        text.AppendLine("Ours − report:");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| {corner} | {string.Join(" | ", published.ColumnLabels)} |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", published.Columns)));
        for (int r = 0; r < published.Rows; r++)
        {
            text.Append(CultureInfo.InvariantCulture, $"| **{published.RowLabels[r]}** |");
            for (int c = 0; c < published.Columns; c++)
                text.Append(CultureInfo.InvariantCulture, $" {(difference[r, c] is { } d ? Heatmap.Signed(d) : "–")} |");
            text.AppendLine();
        }
        text.AppendLine();

        var theirs = Best(published.ToNullable())!;
        var mine = Best(ours, diverged);
        text.AppendLine(CultureInfo.InvariantCulture, $"- Report's best: **{Decimal(theirs.Value)}** at {Coordinates(published, theirs)}; ours there: {Cell(ours[theirs.Row, theirs.Column], diverged?[theirs.Row, theirs.Column] == true)}.");
        text.AppendLine(mine is null
            ? "- Our best: – (no cell finished)."
            : $"- Our best: **{Decimal(mine.Value)}** at {Coordinates(published, mine)}; the report there: {Decimal(published.Values[mine.Row, mine.Column])}.");
        var present = Enumerable.Range(0, published.Rows * published.Columns)
            .Select(i => difference[i / published.Columns, i % published.Columns]).OfType<double>().ToList();
        text.AppendLine(present.Count == 0
            ? "- Cells compared: 0."
            : string.Format(CultureInfo.InvariantCulture, "- Cells compared: {0} of {1}; mean |ours − report| = {2:F2}; mean ours − report = {3}.",
                present.Count, published.Rows * published.Columns, present.Average(Math.Abs), Heatmap.Signed(present.Average())));
        text.AppendLine();
    }

    private static string Coordinates(PublishedGrid grid, BestCell cell) =>
        $"{Symbol(grid.RowAxis)} = {grid.RowLabels[cell.Row]}, {Symbol(grid.ColumnAxis)} = {grid.ColumnLabels[cell.Column]}";

    private static string Symbol(string axis) => axis switch { "eta" => "η", "lambda" => "λ", _ => axis };

    private static string Decimal(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string Cell(double? value, bool diverged, double? spread = null) =>
        diverged ? "div" : value is { } v ? Heatmap.CellText(v, false, spread) : "–";

    private static void CheckSize<T>(PublishedGrid published, T[,] grid, string what)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.GetLength(0) != published.Rows || grid.GetLength(1) != published.Columns)
            throw new ArgumentException(
                $"{published.Id}: {what} is {grid.GetLength(0)}×{grid.GetLength(1)} but the report's grid is {published.Rows}×{published.Columns}.");
    }
}
