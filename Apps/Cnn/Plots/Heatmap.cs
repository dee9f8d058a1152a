using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;

namespace Cnn;

/// <summary>
/// One annotated grid of values for <see cref="Heatmap.Render"/>: row r of <see cref="Values"/> is drawn as
/// the r-th row from the top (callers order η descending, as the report draws it), column c as the c-th
/// column from the left.
/// </summary>
/// <param name="Title">The figure title; name the dataset, model, activation and sizes.</param>
/// <param name="RowAxis">The name of the row axis, e.g. "η" or "hidden neurons".</param>
/// <param name="RowLabels">One tick label per row, top to bottom (see <see cref="Heatmap.TickLabel"/>).</param>
/// <param name="ColumnAxis">The name of the column axis, e.g. "λ" or "filters".</param>
/// <param name="ColumnLabels">One tick label per column, left to right.</param>
/// <param name="Values">Values [rows, cols]; null marks a missing cell (not run yet), drawn grey and empty.</param>
public sealed record HeatmapData(
    string Title,
    string RowAxis,
    IReadOnlyList<string> RowLabels,
    string ColumnAxis,
    IReadOnlyList<string> ColumnLabels,
    double?[,] Values)
{
    /// <summary>Cells whose training diverged, [rows, cols]; drawn grey and marked "div". Null: none diverged.</summary>
    public bool[,]? Diverged { get; init; }

    /// <summary>The value at the bottom of the colour scale (default 0).</summary>
    public double Minimum { get; init; }

    /// <summary>The value at the top of the colour scale (default 1).</summary>
    public double Maximum { get; init; } = 1;

    /// <summary>The colour bar's label (default "accuracy").</summary>
    public string ValueName { get; init; } = "accuracy";

    /// <summary>True for a blue–white–red scale centred on the middle of the range (differences); false for viridis.</summary>
    public bool Diverging { get; init; }

    /// <summary>False to leave the cells without value text (default true: two decimals per cell).</summary>
    public bool CellLabels { get; init; } = true;

    /// <summary>Standard deviations [rows, cols] shown after the values ("0.91 ± 0.02"); null: none.</summary>
    public double?[,]? Spread { get; init; }

    /// <summary>True to write every value with its sign ("+0.05", "−0.54"), as differences are written in compare.md.</summary>
    public bool SignedLabels { get; init; }

    /// <summary>This heatmap with its colour scale fitted to its values (see <see cref="Heatmap.DataRange"/>).</summary>
    public HeatmapData FittedToData()
    {
        var (min, max) = Diverging ? Heatmap.SymmetricRange(Values) : Heatmap.DataRange(Values);
        return this with { Minimum = min, Maximum = max };
    }

    /// <summary>This heatmap on the colour scale <paramref name="scale"/>: fitted to the data, or fixed (as set, 0–1 by default).</summary>
    public HeatmapData On(ColorScale scale) => scale == ColorScale.Data ? FittedToData() : this;

    /// <summary>The number of rows of <see cref="Values"/>.</summary>
    public int Rows => Values.GetLength(0);

    /// <summary>The number of columns of <see cref="Values"/>.</summary>
    public int Columns => Values.GetLength(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming what is inconsistent.</summary>
    public void Validate()
    {
        if (Rows == 0 || Columns == 0)
            throw new ArgumentException($"Heatmap '{Title}': the grid is empty ({Rows}×{Columns}).");
        if (RowLabels.Count != Rows)
            throw new ArgumentException($"Heatmap '{Title}': {RowLabels.Count} row labels for {Rows} rows.");
        if (ColumnLabels.Count != Columns)
            throw new ArgumentException($"Heatmap '{Title}': {ColumnLabels.Count} column labels for {Columns} columns.");
        if (Diverged is { } d && (d.GetLength(0) != Rows || d.GetLength(1) != Columns))
            throw new ArgumentException($"Heatmap '{Title}': the diverged flags are {d.GetLength(0)}×{d.GetLength(1)} but the values are {Rows}×{Columns}.");
        if (Spread is { } sp && (sp.GetLength(0) != Rows || sp.GetLength(1) != Columns))
            throw new ArgumentException($"Heatmap '{Title}': the spreads are {sp.GetLength(0)}×{sp.GetLength(1)} but the values are {Rows}×{Columns}.");
        if (!double.IsFinite(Minimum) || !double.IsFinite(Maximum) || !(Minimum < Maximum))
            throw new ArgumentException($"Heatmap '{Title}': the value range must be finite with minimum < maximum, not {Minimum}..{Maximum}.");
    }
}

/// <summary>How a heatmap's colours map to values.</summary>
public enum ColorScale
{
    /// <summary>Fitted to the values shown (the default: differences between cells stay visible).</summary>
    Data,
    /// <summary>Fixed at 0–1 for accuracies (comparable across figures).</summary>
    Fixed,
}

/// <summary>
/// Renders <see cref="HeatmapData"/> to PNG and SVG with ScottPlot: viridis cells annotated with two decimals
/// (black or white, whichever contrasts with the cell), category ticks, a colour bar and a title.
/// All text uses the DejaVu Sans font shipped next to the program (Fonts/DejaVuSans.ttf), so the images
/// have text on machines without system fonts, where ScottPlot's native library would otherwise draw none.
/// </summary>
public static class Heatmap
{
    /// <summary>The family name the bundled font is registered under and set as ScottPlot's default.</summary>
    public const string FontName = "DejaVu Sans";

    /// <summary>The bundled font file: Fonts/DejaVuSans.ttf in the program's folder (licence: Fonts/LICENSE-DejaVu.txt).</summary>
    public static string FontPath { get; } = Path.Combine(AppContext.BaseDirectory, "Fonts", "DejaVuSans.ttf");

    /// <summary>The colour of grey cells: missing (no text) or diverged ("div").</summary>
    public static Color MissingCellColor { get; } = Color.FromHex("#C8C8C8");

    private static readonly Lock FontLock = new();
    private static bool fontRegistered;

    /// <summary>Pixel width of the rendered image.</summary>
    public const int Width = 720;

    /// <summary>Pixel height of the rendered image.</summary>
    public const int Height = 600;

    /// <summary>
    /// Registers the bundled font with ScottPlot and makes it the default (once per process; later calls do nothing).
    /// </summary>
    /// <exception cref="FileNotFoundException">The font file is missing from the program's folder.</exception>
    public static void UseBundledFont()
    {
        lock (FontLock)
        {
            if (fontRegistered) return;
            if (!File.Exists(FontPath))
                throw new FileNotFoundException(
                    $"The heatmap font is missing: expected {FontPath} (shipped with cnn as Fonts/DejaVuSans.ttf); without it the images would have no text.",
                    FontPath);
            Fonts.AddFontFile(FontName, FontPath);
            Fonts.Default = FontName;
            fontRegistered = true;
        }
    }

    /// <summary>
    /// Renders <paramref name="data"/> to <paramref name="pngPath"/> and <paramref name="svgPath"/> (folders are created;
    /// existing files are replaced). The SVG's embedded cell bitmap is marked <c>image-rendering:pixelated</c> so
    /// browsers draw sharp cells instead of a blur.
    /// </summary>
    /// <exception cref="ArgumentException">Labels or flags do not match the grid, or the value range is empty.</exception>
    /// <exception cref="FileNotFoundException">The bundled font is missing.</exception>
    public static void Render(HeatmapData data, string pngPath, string svgPath)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        ArgumentException.ThrowIfNullOrEmpty(svgPath);
        data.Validate();
        UseBundledFont();

        using var plot = Build(data);
        CreateFolderOf(pngPath);
        CreateFolderOf(svgPath);
        plot.SavePng(pngPath, Width, Height);
        File.WriteAllText(svgPath, PixelatedImages(plot.GetSvgXml(Width, Height)));
    }

    /// <summary>
    /// The report's tick style: powers of ten below 1 as <c>1e-4</c>, other values below 1 as <c>5e-3</c>,
    /// and values from 1 up as plain numbers (<c>1</c>, <c>20</c>, <c>1.5</c>).
    /// </summary>
    public static string TickLabel(double value)
    {
        if (value == 0 || !double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        double magnitude = Math.Abs(value);
        if (magnitude >= 1) return RoundSignificant(value, 6).ToString("G6", CultureInfo.InvariantCulture);
        int exponent = (int)Math.Floor(Math.Log10(magnitude));
        double mantissa = RoundSignificant(value / Math.Pow(10, exponent), 3);
        if (Math.Abs(mantissa) >= 10) { mantissa /= 10; exponent++; }
        string m = mantissa.ToString("G3", CultureInfo.InvariantCulture);
        return $"{m}e{exponent}";
    }

    /// <summary>
    /// A sweep value (canonical string such as <c>0.0001</c>, <c>1E-05</c> or <c>20</c>) in the report's tick style;
    /// values that are not numbers (activation, pool names) are returned unchanged.
    /// </summary>
    public static string TickLabel(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) ? TickLabel(number) : value;

    /// <summary>
    /// The heatmap of a two-axis sweep: axis names (eta, lambda, filters, hidden, activation, pool) become axis titles
    /// and values become tick labels in the report's style. Rows are drawn in the order of <paramref name="rowValues"/>.
    /// </summary>
    /// <param name="title">The figure title (dataset, model, activation, sizes).</param>
    /// <param name="rowAxis">The sweep axis drawn as rows.</param>
    /// <param name="rowValues">Its values, top to bottom.</param>
    /// <param name="columnAxis">The sweep axis drawn as columns.</param>
    /// <param name="columnValues">Its values, left to right.</param>
    /// <param name="values">The values [rows, cols]; null = missing.</param>
    /// <param name="diverged">Diverged cells [rows, cols], or null.</param>
    public static HeatmapData ForSweep(string title, string rowAxis, IReadOnlyList<string> rowValues, string columnAxis,
        IReadOnlyList<string> columnValues, double?[,] values, bool[,]? diverged = null) =>
        new(title, AxisTitle(rowAxis), [.. rowValues.Select(TickLabel)], AxisTitle(columnAxis), [.. columnValues.Select(TickLabel)], values)
        {
            Diverged = diverged,
        };

    /// <summary>The name an axis of the sweep is drawn with: η, λ, "filters", "hidden neurons"; others unchanged.</summary>
    public static string AxisTitle(string axis) => axis switch
    {
        "eta" => "η (learning rate)",
        "lambda" => "λ (L2)",
        "filters" => "filters",
        "hidden" => "hidden neurons",
        "activation" => "activation",
        "pool" => "pooling",
        _ => axis,
    };

    /// <summary>
    /// The text drawn in a cell: two decimals ("0.91", or "0.91 ± 0.02" with a <paramref name="spread"/>; "+0.05" and
    /// "−0.54" when <paramref name="signed"/>), "div" for a diverged cell, empty for a missing one.
    /// </summary>
    public static string CellText(double? value, bool diverged, double? spread = null, bool signed = false)
    {
        if (diverged) return "div";
        if (value is not { } v) return "";
        string text = signed ? Signed(v) : v.ToString("F2", CultureInfo.InvariantCulture);
        return spread is { } s && double.IsFinite(s) ? $"{text} ± {s.ToString("F2", CultureInfo.InvariantCulture)}" : text;
    }

    /// <summary>Two decimals with a sign (+0.05, −0.54, 0.00); rounded first so −0.001 prints as 0.00.</summary>
    public static string Signed(double value) =>
        (Math.Round(value, 2) + 0.0).ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture);

    /// <summary>
    /// The smallest and largest finite value of <paramref name="grids"/>: the colour range fitted to the data. With no
    /// value it is 0–1; with one value (or all equal) it is widened by 0.05 each way so the range is not empty.
    /// </summary>
    public static (double Min, double Max) DataRange(params double?[][,] grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var grid in grids)
            foreach (var cell in grid)
                if (cell is { } v && double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (min > max) return (0, 1);
        return max - min < 1e-9 ? (min - 0.05, max + 0.05) : (min, max);
    }

    /// <summary>A range centred on 0 that holds every finite value (±0.05 at least): for differences, so 0 is always white.</summary>
    public static (double Min, double Max) SymmetricRange(double?[,] grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        double extent = 0.05;
        foreach (var cell in grid)
            if (cell is { } v && double.IsFinite(v)) extent = Math.Max(extent, Math.Abs(v));
        return (-extent, extent);
    }

    /// <summary>Builds the plot (font already registered).</summary>
    internal static Plot Build(HeatmapData data)
    {
        int rows = data.Rows, cols = data.Columns;
        var intensities = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                intensities[r, c] = IsDiverged(data, r, c) || data.Values[r, c] is not { } v || !double.IsFinite(v)
                    ? double.NaN
                    : v;

        var plot = new Plot();
        IColormap colormap = data.Diverging ? new ScottPlot.Colormaps.Balance() : new ScottPlot.Colormaps.Viridis();
        bool anyValue = intensities.Cast<double>().Any(double.IsFinite);
        if (!anyValue)
        {
            // No cell has a value (e.g. every cell diverged): ScottPlot cannot range an all-NaN grid, so draw a
            // grid of the minimum in the missing-cell grey.
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    intensities[r, c] = data.Minimum;
            colormap = new Uniform(MissingCellColor);
        }
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.ManualRange = new ScottPlot.Range(data.Minimum, data.Maximum);
        heatmap.Colormap = colormap;
        heatmap.NaNCellColor = MissingCellColor;

        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = data.ValueName;

        float fontSize = Math.Clamp(150f / Math.Max(rows, cols), 9f, 16f) * (data.Spread is null ? 1f : 0.7f);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                bool diverged = IsDiverged(data, r, c);
                string text = CellText(data.Values[r, c], diverged, data.Spread?[r, c], data.SignedLabels);
                if (text.Length == 0 || !(data.CellLabels || diverged)) continue;
                // Cells are centred on integer coordinates; row 0 of the intensities is drawn at the top.
                var label = plot.Add.Text(text, c, rows - 1 - r);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = fontSize;
                label.LabelFontColor = double.IsNaN(intensities[r, c]) || !anyValue
                    ? Colors.Black
                    : TextColorOn(colormap.GetColor(Normalize(intensities[r, c], data.Minimum, data.Maximum)));
            }
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, cols).Select(c => (double)c)], [.. data.ColumnLabels]);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r))], [.. data.RowLabels]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        if (ColumnLabelsOverlap(data.ColumnLabels))
        {
            // Long class names (Fashion-MNIST's "T-shirt/top", "ankle boot") would run into each other: slant them.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -SlantDegrees;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // Room under the slanted labels for the axis title (ScottPlot sizes the axis by the level text).
            plot.Axes.Bottom.MinimumSize = 30 + (float)(WidestLabel(data.ColumnLabels) * Math.Sin(SlantDegrees * Math.PI / 180));
        }
        plot.Axes.SetLimits(-0.5, cols - 0.5, -0.5, rows - 0.5);
        plot.XLabel(data.ColumnAxis);
        plot.YLabel(data.RowAxis);
        plot.Title(data.Title, TitleFontSize(data.Title));
        plot.HideGrid();
        return plot;
    }

    /// <summary>
    /// Whether <paramref name="labels"/>, set level under equal columns at 13 px, would touch: the widest label (about 7.5 px
    /// a character, plus a gap) against the width of one column of the data area (the figure less the axes and colour bar).
    /// </summary>
    internal static bool ColumnLabelsOverlap(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) return false;
        double column = (Width - 260.0) / labels.Count;
        return WidestLabel(labels) + 8 > column;
    }

    /// <summary>The angle, in degrees below level, of column labels too long to sit level.</summary>
    private const float SlantDegrees = 40;

    /// <summary>About how many pixels the longest of <paramref name="labels"/> takes at the 13 px tick font (7.5 a character).</summary>
    private static double WidestLabel(IReadOnlyList<string> labels) => labels.Max(l => l.Length) * 7.5;

    /// <summary>
    /// The largest title size up to 14 px at which every line of <paramref name="title"/> fits the width
    /// ScottPlot centres it in (over the data area), measured with the bundled font plus a margin for bold.
    /// </summary>
    internal static float TitleFontSize(string title)
    {
        const float largest = 14f, smallest = 8f, available = 600f;
        using var typeface = SkiaSharp.SKTypeface.FromFile(FontPath);
        using var font = new SkiaSharp.SKFont(typeface, largest);
        float widest = title.Split('\n').Max(line => font.MeasureText(line)) * 1.1f;
        return Math.Clamp(largest * available / Math.Max(widest, 1f), smallest, largest);
    }

    /// <summary>One colour for every value.</summary>
    private sealed class Uniform(Color color) : IColormap
    {
        public string Name => "uniform";

        public Color GetColor(double normalizedIntensity) => color;
    }

    private static bool IsDiverged(HeatmapData data, int row, int col) => data.Diverged is { } d && d[row, col];

    private static double Normalize(double value, double min, double max) => Math.Clamp((value - min) / (max - min), 0, 1);

    /// <summary>Black on light cells, white on dark ones (relative luminance of the sRGB colour).</summary>
    internal static Color TextColorOn(Color cell)
    {
        double luminance = (0.2126 * cell.R + 0.7152 * cell.G + 0.0722 * cell.B) / 255.0;
        return luminance > 0.45 ? Colors.Black : Colors.White;
    }

    private static double RoundSignificant(double value, int digits) =>
        double.Parse(value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static void CreateFolderOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
    }

    /// <summary>Adds <c>style="image-rendering:pixelated"</c> to every <c>&lt;image</c> element of an SVG document.</summary>
    internal static string PixelatedImages(string svg) =>
        Regex.Replace(svg, @"<image(?![^>]*image-rendering)", "<image style=\"image-rendering:pixelated\"");
}
