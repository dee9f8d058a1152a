namespace Cnn.Reproduction;

/// <summary>
/// One heatmap as the report publishes it: accuracies on a two-axis grid, rows and columns in the order the
/// report draws them (row 0 at the top).
/// </summary>
/// <param name="Id">A short name, e.g. <c>fig11c-val</c> or <c>fig14-tensorflow-train</c>.</param>
/// <param name="Caption">What the figure shows, e.g. "Fig. 11c, validation accuracy, LReLU, 600 images".</param>
/// <param name="RowAxis">The sweep axis of the rows: eta, lambda, filters or hidden.</param>
/// <param name="RowValues">The row values, top to bottom.</param>
/// <param name="ColumnAxis">The sweep axis of the columns.</param>
/// <param name="ColumnValues">The column values, left to right.</param>
/// <param name="Values">The accuracies [rows, cols], two decimals as printed in the figure.</param>
public sealed record PublishedGrid(
    string Id,
    string Caption,
    string RowAxis,
    IReadOnlyList<double> RowValues,
    string ColumnAxis,
    IReadOnlyList<double> ColumnValues,
    double[,] Values)
{
    /// <summary>Whose runs the grid shows, as compare.md's tables name it: the report's own code, or e.g. TensorFlow.</summary>
    public string Source { get; init; } = "report";

    /// <summary>Whether the grid is of training accuracy (else validation accuracy), from its id (<c>…-train</c>).</summary>
    public bool IsTraining => Id.EndsWith("-train", StringComparison.Ordinal);

    /// <summary>The row tick labels in the report's style (<c>1e-4</c> … <c>1</c>, or integers).</summary>
    public IReadOnlyList<string> RowLabels => [.. RowValues.Select(Heatmap.TickLabel)];

    /// <summary>The column tick labels in the report's style.</summary>
    public IReadOnlyList<string> ColumnLabels => [.. ColumnValues.Select(Heatmap.TickLabel)];

    /// <summary>The number of rows.</summary>
    public int Rows => Values.GetLength(0);

    /// <summary>The number of columns.</summary>
    public int Columns => Values.GetLength(1);

    /// <summary>The values as a nullable grid (every cell present), the form <see cref="HeatmapData"/> and <see cref="Comparison"/> take.</summary>
    public double?[,] ToNullable()
    {
        var grid = new double?[Rows, Columns];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
                grid[r, c] = Values[r, c];
        return grid;
    }

    /// <summary>The index of the row whose value equals <paramref name="value"/> to 1e-6 relative (float-rounded values match), or -1.</summary>
    public int RowOf(double value) => IndexOf(RowValues, value);

    /// <summary>The index of the column whose value equals <paramref name="value"/> to 1e-6 relative (float-rounded values match), or -1.</summary>
    public int ColumnOf(double value) => IndexOf(ColumnValues, value);

    private static int IndexOf(IReadOnlyList<double> values, double value)
    {
        for (int i = 0; i < values.Count; i++)
            if (Math.Abs(values[i] - value) <= 1e-6 * Math.Max(Math.Abs(values[i]), Math.Abs(value))) return i;
        return -1;
    }
}

/// <summary>
/// Every heatmap published with the report, cell by cell, read off its figure files:
/// E. Nupen, O. K. Rustebakke, B. A. Trefjord and J. T. F. Stensson, "An Object Oriented Implementation of a
/// Convolutional Neural Network in Python", FYS5429 project report, 7 June 2024
/// (code and figures: https://github.com/Bragit123/FYS5429/tree/main/Project).
/// The report's accuracies are single runs its own code no longer reproduces: reference points, not exact targets.
/// </summary>
public static class PublishedHeatmaps
{
    private static readonly double[] EtaDescending = [1, 1e-1, 1e-2, 1e-3, 1e-4];
    private static readonly double[] LambdaAscending = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    private static readonly double[] CifarRates = [1e-5, 1e-4, 1e-3, 1e-2];
    private static readonly double[] CifarRatesDescending = [1e-2, 1e-3, 1e-4, 1e-5];
    private static readonly double[] Filters = [1, 2, 3, 4, 5];

    /// <summary>Fig. 10a, validation accuracy: hidden neurons 5…1 (rows) × filters 1…5, LReLU, 600 images.</summary>
    public static PublishedGrid Fig10aValidation { get; } = new(
        "fig10a-val", "Fig. 10a, validation accuracy, LReLU, 600 images", "hidden", [5, 4, 3, 2, 1], "filters", Filters,
        new double[,]
        {
            { 0.34, 0.49, 0.72, 0.71, 0.76 },
            { 0.29, 0.55, 0.58, 0.55, 0.77 },
            { 0.30, 0.19, 0.65, 0.70, 0.70 },
            { 0.22, 0.55, 0.66, 0.75, 0.79 },
            { 0.36, 0.44, 0.67, 0.67, 0.85 },
        });

    /// <summary>Fig. 10a, training accuracy (same grid).</summary>
    public static PublishedGrid Fig10aTraining { get; } = new(
        "fig10a-train", "Fig. 10a, training accuracy, LReLU, 600 images", "hidden", [5, 4, 3, 2, 1], "filters", Filters,
        new double[,]
        {
            { 0.33, 0.64, 0.89, 0.88, 0.95 },
            { 0.30, 0.52, 0.79, 0.75, 0.85 },
            { 0.37, 0.26, 0.86, 0.88, 0.88 },
            { 0.29, 0.69, 0.82, 0.93, 0.91 },
            { 0.32, 0.57, 0.78, 0.85, 0.94 },
        });

    /// <summary>Fig. 10b, validation accuracy: hidden neurons 50…10 (rows) × filters 1…5, 300 batches, 200 epochs.</summary>
    public static PublishedGrid Fig10bValidation { get; } = new(
        "fig10b-val", "Fig. 10b, validation accuracy, LReLU, 600 images, 300 batches, 200 epochs", "hidden", [50, 40, 30, 20, 10], "filters", Filters,
        new double[,]
        {
            { 0.74, 0.81, 0.73, 0.81, 0.75 },
            { 0.75, 0.82, 0.74, 0.76, 0.74 },
            { 0.76, 0.80, 0.78, 0.76, 0.79 },
            { 0.74, 0.72, 0.78, 0.79, 0.63 },
            { 0.74, 0.68, 0.79, 0.67, 0.70 },
        });

    /// <summary>Fig. 10b, training accuracy (same grid).</summary>
    public static PublishedGrid Fig10bTraining { get; } = new(
        "fig10b-train", "Fig. 10b, training accuracy, LReLU, 600 images, 300 batches, 200 epochs", "hidden", [50, 40, 30, 20, 10], "filters", Filters,
        new double[,]
        {
            { 0.94, 0.94, 0.94, 0.93, 0.93 },
            { 0.93, 0.93, 0.85, 0.92, 0.92 },
            { 0.89, 0.90, 0.90, 0.89, 0.87 },
            { 0.78, 0.89, 0.86, 0.91, 0.79 },
            { 0.86, 0.88, 0.89, 0.77, 0.84 },
        });

    /// <summary>Fig. 11a, validation accuracy: η 1…1e-4 (rows) × λ 1e-4…1, sigmoid, 600 images.</summary>
    public static PublishedGrid Fig11aValidation { get; } = new(
        "fig11a-val", "Fig. 11a, validation accuracy, sigmoid, 600 images", "eta", EtaDescending, "lambda", LambdaAscending,
        new double[,]
        {
            { 0.11, 0.15, 0.14, 0.76, 0.49 },
            { 0.14, 0.10, 0.63, 0.77, 0.49 },
            { 0.31, 0.02, 0.14, 0.77, 0.49 },
            { 0.08, 0.55, 0.52, 0.61, 0.50 },
            { 0.08, 0.08, 0.53, 0.57, 0.28 },
        });

    /// <summary>Fig. 11b, validation accuracy: η × λ, ReLU, 600 images.</summary>
    public static PublishedGrid Fig11bValidation { get; } = new(
        "fig11b-val", "Fig. 11b, validation accuracy, ReLU, 600 images", "eta", EtaDescending, "lambda", LambdaAscending,
        new double[,]
        {
            { 0.09, 0.14, 0.86, 0.85, 0.53 },
            { 0.14, 0.10, 0.81, 0.84, 0.52 },
            { 0.10, 0.14, 0.76, 0.85, 0.57 },
            { 0.13, 0.15, 0.74, 0.80, 0.51 },
            { 0.08, 0.43, 0.62, 0.77, 0.31 },
        });

    /// <summary>Fig. 11c, validation accuracy: η × λ, LReLU, 600 images.</summary>
    public static PublishedGrid Fig11cValidation { get; } = new(
        "fig11c-val", "Fig. 11c, validation accuracy, LReLU, 600 images", "eta", EtaDescending, "lambda", LambdaAscending,
        new double[,]
        {
            { 0.14, 0.14, 0.79, 0.82, 0.53 },
            { 0.11, 0.15, 0.79, 0.87, 0.52 },
            { 0.40, 0.02, 0.76, 0.85, 0.57 },
            { 0.23, 0.11, 0.74, 0.80, 0.51 },
            { 0.13, 0.50, 0.66, 0.77, 0.31 },
        });

    /// <summary>Fig. 12, validation accuracy: η × λ, LReLU, 6000 images, hidden layer of 20.</summary>
    public static PublishedGrid Fig12Validation { get; } = new(
        "fig12-val", "Fig. 12, validation accuracy, LReLU, 6000 images, hidden layer of 20", "eta", EtaDescending, "lambda", LambdaAscending,
        new double[,]
        {
            { 0.13, 0.09, 0.89, 0.90, 0.64 },
            { 0.09, 0.09, 0.83, 0.91, 0.70 },
            { 0.09, 0.09, 0.69, 0.84, 0.70 },
            { 0.10, 0.11, 0.54, 0.13, 0.35 },
            { 0.09, 0.09, 0.13, 0.13, 0.15 },
        });

    /// <summary>Fig. 13, validation accuracy: η × λ, LReLU, average pooling, 600 images.</summary>
    public static PublishedGrid Fig13Validation { get; } = new(
        "fig13-val", "Fig. 13, validation accuracy, LReLU, average pooling, 600 images", "eta", EtaDescending, "lambda", LambdaAscending,
        new double[,]
        {
            { 0.10, 0.14, 0.17, 0.14, 0.14 },
            { 0.53, 0.06, 0.11, 0.35, 0.15 },
            { 0.85, 0.79, 0.74, 0.57, 0.34 },
            { 0.84, 0.84, 0.82, 0.79, 0.55 },
            { 0.57, 0.55, 0.52, 0.31, 0.20 },
        });

    /// <summary>Fig. 14 (right), the report's own code, CIFAR-10 validation accuracy: η 1e-2…1e-5 (rows, descending: the report draws them ascending, every figure here draws η descending) × λ 1e-5…1e-2.</summary>
    public static PublishedGrid Fig14Validation { get; } = new(
        "fig14-val", "Fig. 14 (right), own code, validation accuracy, CIFAR-10, 500 train / 100 val", "eta", CifarRatesDescending, "lambda", CifarRates,
        new double[,]
        {
            { 0.11, 0.10, 0.11, 0.06 },
            { 0.07, 0.13, 0.14, 0.07 },
            { 0.07, 0.07, 0.07, 0.07 },
            { 0.07, 0.07, 0.07, 0.07 },
        });

    /// <summary>Fig. 15 (right), the report's own code, CIFAR-10 training accuracy (same grid as <see cref="Fig14Validation"/>).</summary>
    public static PublishedGrid Fig14Training { get; } = new(
        "fig14-train", "Fig. 15 (right), own code, training accuracy, CIFAR-10, 500 train / 100 val", "eta", CifarRatesDescending, "lambda", CifarRates,
        new double[,]
        {
            { 0.11, 0.10, 0.11, 0.14 },
            { 0.10, 0.17, 0.17, 0.11 },
            { 0.10, 0.10, 0.10, 0.10 },
            { 0.10, 0.10, 0.10, 0.10 },
        });

    /// <summary>Fig. 14 (left), the same model in TensorFlow, CIFAR-10 validation accuracy.</summary>
    public static PublishedGrid Fig14TensorFlowValidation { get; } = new PublishedGrid(
        "fig14-tensorflow-val", "Fig. 14 (left), TensorFlow, validation accuracy, CIFAR-10, 500 train / 100 val", "eta", CifarRatesDescending, "lambda", CifarRates,
        new double[,]
        {
            { 0.31, 0.28, 0.26, 0.41 },
            { 0.29, 0.37, 0.32, 0.32 },
            { 0.27, 0.23, 0.22, 0.23 },
            { 0.11, 0.07, 0.13, 0.11 },
        }) { Source = "TensorFlow" };

    /// <summary>Fig. 15 (left), the same model in TensorFlow, CIFAR-10 training accuracy.</summary>
    public static PublishedGrid Fig14TensorFlowTraining { get; } = new PublishedGrid(
        "fig14-tensorflow-train", "Fig. 15 (left), TensorFlow, training accuracy, CIFAR-10, 500 train / 100 val", "eta", CifarRatesDescending, "lambda", CifarRates,
        new double[,]
        {
            { 1.00, 1.00, 1.00, 1.00 },
            { 0.69, 0.82, 0.78, 0.85 },
            { 0.36, 0.38, 0.44, 0.33 },
            { 0.20, 0.13, 0.18, 0.16 },
        }) { Source = "TensorFlow" };

    /// <summary>Every published grid, in figure order.</summary>
    public static IReadOnlyList<PublishedGrid> All { get; } =
    [
        Fig10aValidation, Fig10aTraining, Fig10bValidation, Fig10bTraining,
        Fig11aValidation, Fig11bValidation, Fig11cValidation, Fig12Validation, Fig13Validation,
        Fig14Validation, Fig14Training, Fig14TensorFlowValidation, Fig14TensorFlowTraining,
    ];
}
