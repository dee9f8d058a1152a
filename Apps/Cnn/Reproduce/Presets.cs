using System.Globalization;
using Engine.Training;

namespace Cnn.Reproduction;

/// <summary>
/// The two axes of a preset's sweep, in the form <c>cnn sweep --grid</c> takes: axis names eta, lambda, filters,
/// hidden, activation or pool, and values as canonical strings (floats in shortest round-trip form, e.g.
/// <c>0.0001</c>, as the sweep's --grid parser writes them). Axis 1 is drawn as the rows (values top to bottom, as the report draws them), axis 2 as the
/// columns (left to right).
/// </summary>
/// <param name="Axis1">The row axis, e.g. "eta" or "hidden".</param>
/// <param name="Values1">The row values, top to bottom.</param>
/// <param name="Axis2">The column axis, e.g. "lambda" or "filters".</param>
/// <param name="Values2">The column values, left to right.</param>
public sealed record PresetGrid(string Axis1, IReadOnlyList<string> Values1, string Axis2, IReadOnlyList<string> Values2)
{
    /// <summary>Builds a grid of numeric axes, formatting each value in shortest round-trip form.</summary>
    public static PresetGrid Numeric(string axis1, IEnumerable<double> values1, string axis2, IEnumerable<double> values2) =>
        new(axis1, [.. values1.Select(Format)], axis2, [.. values2.Select(Format)]);

    /// <summary>The two <c>--grid</c> values, e.g. <c>eta=1,0.1,0.01,0.001,0.0001</c> and <c>lambda=0.0001,…,1</c>.</summary>
    public IReadOnlyList<string> GridOptions =>
        [$"{Axis1}={string.Join(',', Values1)}", $"{Axis2}={string.Join(',', Values2)}"];

    /// <summary>The number of cells.</summary>
    public int Count => Values1.Count * Values2.Count;

    /// <summary>
    /// A value as the sweep's canonical string: the float (training options are floats) in shortest round-trip
    /// invariant form (1e-4 → "0.0001", 1e-5 → "1E-05", 5 → "5").
    /// </summary>
    public static string Format(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// One figure of the report as a sweep: the data (the FIRST <see cref="TrainSize"/> training images and the first
/// <see cref="ValidationSize"/> test images), the model, Adam's fixed η and λ (unless they are axes of
/// <see cref="Grid"/>), the number of batches per epoch, the epochs, and the published heatmaps to compare with.
/// Source: the report's sections 3–4 and its code.
/// </summary>
/// <param name="Name">The name <c>cnn reproduce</c> takes, e.g. <c>fig11-lrelu</c>.</param>
/// <param name="Figure">The report's figure, e.g. "Fig. 11c".</param>
/// <param name="Dataset">mnist or cifar10.</param>
/// <param name="TrainSize">Training images: the first N of the training set.</param>
/// <param name="ValidationSize">Validation images: the first N of the test set.</param>
/// <param name="Model">paper-mnist or paper-cifar (see <see cref="ModelZoo"/>).</param>
/// <param name="Variant">Filters, hidden neurons, activation and pooling; an axis of <see cref="Grid"/> overrides its field.</param>
/// <param name="Eta">Adam's learning rate when eta is not an axis.</param>
/// <param name="Lambda">The L2 parameter when lambda is not an axis.</param>
/// <param name="Batches">Batches per epoch, as the report counts them (batch size = train size / batches).</param>
/// <param name="Epochs">Epochs per cell.</param>
/// <param name="Grid">The sweep's two axes.</param>
/// <param name="PublishedValidation">The report's validation-accuracy heatmap.</param>
/// <param name="PublishedTraining">The report's training-accuracy heatmap, when published.</param>
public sealed record Preset(
    string Name,
    string Figure,
    string Dataset,
    int TrainSize,
    int ValidationSize,
    string Model,
    ModelZoo.Variant Variant,
    double Eta,
    double Lambda,
    int Batches,
    int Epochs,
    PresetGrid Grid,
    PublishedGrid PublishedValidation,
    PublishedGrid? PublishedTraining)
{
    /// <summary>Further published grids of the same experiment (Fig. 14: the TensorFlow runs), shown in compare.md.</summary>
    public IReadOnlyList<PublishedGrid> OtherReferences { get; init; } = [];

    /// <summary>
    /// What λ means in this figure (<c>--l2-style</c>): every figure is the report's own code, which adds λ·w to the
    /// weights' gradients (<c>report</c>), also Fig. 14, whose TensorFlow grids are further references only.
    /// </summary>
    public string L2Style { get; init; } = "report";

    /// <summary>Seeds per cell (<c>--repeats</c>): 100, 101, …; with more than one, cells are the mean ± std.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>The same preset run over <paramref name="repeats"/> seeds per cell; its name gets the suffix <c>-repeats{N}</c> when N &gt; 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="repeats"/> is less than 1.</exception>
    public Preset WithRepeats(int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        return repeats == 1 ? this : this with { Name = string.Create(CultureInfo.InvariantCulture, $"{Name}-repeats{repeats}"), Repeats = repeats };
    }

    /// <summary>Adam's first moment decay (the report: 0.9 everywhere).</summary>
    public double Rho1 => 0.9;

    /// <summary>Adam's second moment decay (the report: 0.999 everywhere).</summary>
    public double Rho2 => 0.999;

    /// <summary>Images per batch: <see cref="TrainSize"/> / <see cref="Batches"/> (the last batch takes the remainder).</summary>
    public int BatchSize => TrainSize / Batches;

    /// <summary>
    /// The same preset with <paramref name="epochFraction"/> of the epochs (at least 1), for a quick look;
    /// its name gets the suffix <c>-quick</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochFraction"/> is not in (0, 1].</exception>
    public Preset Quick(double epochFraction = 0.1)
    {
        if (!(epochFraction > 0 && epochFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(epochFraction), epochFraction, "The epoch fraction of a quick preset must be in (0, 1].");
        return this with { Name = Name + "-quick", Epochs = Math.Max(1, (int)Math.Round(Epochs * epochFraction)) };
    }

    /// <summary>
    /// Our heatmap of this figure (for heatmap-val.png / heatmap-train.png): the preset's title and axes,
    /// <paramref name="values"/> indexed like <see cref="Grid"/> (rows <see cref="PresetGrid.Values1"/>, columns <see cref="PresetGrid.Values2"/>).
    /// </summary>
    /// <param name="values">Our accuracies; null = not run.</param>
    /// <param name="what">What they are, e.g. "validation accuracy".</param>
    /// <param name="diverged">Cells whose training diverged, or null.</param>
    /// <param name="spread">The standard deviations over the repeats (drawn as "mean ± std"), or null.</param>
    public HeatmapData OurHeatmap(double?[,] values, string what, bool[,]? diverged = null, double?[,]? spread = null) =>
        Heatmap.ForSweep(Title(what), Grid.Axis1, Grid.Values1, Grid.Axis2, Grid.Values2, values, diverged) with { Spread = spread };

    /// <summary>
    /// A heatmap title naming the figure, dataset and sizes, model, activation and training, e.g.
    /// "Fig. 11c · MNIST 600 train / 100 val · conv 20×3×3, LReLU, max pool · 100 batches × 100 epochs · validation".
    /// </summary>
    /// <param name="what">What the heatmap shows, e.g. "validation accuracy".</param>
    public string Title(string what)
    {
        string data = Dataset switch { "mnist" => "MNIST", "cifar10" => "CIFAR-10", "fashion-mnist" => "Fashion-MNIST", _ => Dataset };
        string activation = Variant.Activation switch { "lrelu" => "LReLU", "relu" => "ReLU", "sigmoid" => "sigmoid", _ => Variant.Activation };
        bool axis(string name) => Grid.Axis1 == name || Grid.Axis2 == name;
        string model = Model == "paper-cifar"
            ? "conv 6×4×4"
            : axis("filters") ? "conv filters×3×3" : $"conv {Variant.Filters}×3×3";
        model += $", {activation}, {Variant.Pool} pool";
        if (Model == "paper-mnist")
            model += axis("hidden") ? ", dense hidden" : Variant.Hidden > 0 ? $", dense {Variant.Hidden}" : ", no hidden layer";
        string rates = (axis("eta") ? "" : $"η {Heatmap.TickLabel(Eta)}, ") + (axis("lambda") ? "" : $"λ {Heatmap.TickLabel(Lambda)}, ");
        string seeds = Repeats > 1 ? string.Create(CultureInfo.InvariantCulture, $", mean ± std of {Repeats} seeds") : "";
        return $"{Figure} · {data} {TrainSize} train / {ValidationSize} val · {model}\n{rates}{Batches} batches × {Epochs} epochs{seeds} · {what}";
    }
}

/// <summary>The report's figures as <c>cnn reproduce</c> presets (the report's sections 3–4 and its code give the configurations).</summary>
public static class Presets
{
    private static readonly double[] EtaDescending = [1, 1e-1, 1e-2, 1e-3, 1e-4];
    private static readonly double[] LambdaAscending = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    private static readonly double[] CifarRates = [1e-5, 1e-4, 1e-3, 1e-2];
    private static readonly double[] Filters = [1, 2, 3, 4, 5];

    /// <summary>Fig. 10a: hidden 5…1 × filters 1…5, LReLU, η 0.01, λ 0.001, 600/100 images, 100 batches, 100 epochs.</summary>
    public static Preset Fig10a { get; } = new(
        "fig10a", "Fig. 10a", "mnist", 600, 100, "paper-mnist", new ModelZoo.Variant(Activation: "lrelu", Pool: "max"),
        Eta: 0.01, Lambda: 0.001, Batches: 100, Epochs: 100,
        PresetGrid.Numeric("hidden", [5, 4, 3, 2, 1], "filters", Filters),
        PublishedHeatmaps.Fig10aValidation, PublishedHeatmaps.Fig10aTraining);

    /// <summary>Fig. 10b: hidden 50…10 × filters 1…5, LReLU, η 0.01, λ 0.001, 600/100 images, 300 batches, 200 epochs.</summary>
    public static Preset Fig10b { get; } = new(
        "fig10b", "Fig. 10b", "mnist", 600, 100, "paper-mnist", new ModelZoo.Variant(Activation: "lrelu", Pool: "max"),
        Eta: 0.01, Lambda: 0.001, Batches: 300, Epochs: 200,
        PresetGrid.Numeric("hidden", [50, 40, 30, 20, 10], "filters", Filters),
        PublishedHeatmaps.Fig10bValidation, PublishedHeatmaps.Fig10bTraining);

    /// <summary>Fig. 11a: η × λ, conv 20, sigmoid, max pool, no hidden layer, 600/100 images, 100 batches, 100 epochs.</summary>
    public static Preset Fig11Sigmoid { get; } = EtaLambda("fig11-sigmoid", "Fig. 11a", "sigmoid", PublishedHeatmaps.Fig11aValidation);

    /// <summary>Fig. 11b: as Fig. 11a with ReLU.</summary>
    public static Preset Fig11Relu { get; } = EtaLambda("fig11-relu", "Fig. 11b", "relu", PublishedHeatmaps.Fig11bValidation);

    /// <summary>Fig. 11c: as Fig. 11a with LReLU.</summary>
    public static Preset Fig11Lrelu { get; } = EtaLambda("fig11-lrelu", "Fig. 11c", "lrelu", PublishedHeatmaps.Fig11cValidation);

    /// <summary>Fig. 12: η × λ, conv 20, LReLU, max pool, dense 20, 6000/1000 images, 200 batches, 100 epochs.</summary>
    public static Preset Fig12 { get; } = EtaLambda("fig12", "Fig. 12", "lrelu", PublishedHeatmaps.Fig12Validation) with
    {
        TrainSize = 6000,
        ValidationSize = 1000,
        Variant = new ModelZoo.Variant(Filters: 20, Hidden: 20, Activation: "lrelu", Pool: "max"),
        Batches = 200,
    };

    /// <summary>Fig. 13: as Fig. 11c with average pooling.</summary>
    public static Preset Fig13 { get; } = EtaLambda("fig13", "Fig. 13", "lrelu", PublishedHeatmaps.Fig13Validation) with
    {
        Variant = new ModelZoo.Variant(Filters: 20, Hidden: 0, Activation: "lrelu", Pool: "avg"),
    };

    /// <summary>
    /// Fig. 14/15: CIFAR-10, η 1e-2…1e-5 (drawn descending, as every figure here) × λ 1e-5…1e-2, conv 6×4×4, LReLU, max pool,
    /// 500/100 images, batch size 50 (10 batches), 50 epochs; the TensorFlow runs are further references.
    /// </summary>
    public static Preset Fig14 { get; } = new Preset(
        "fig14", "Fig. 14", "cifar10", 500, 100, "paper-cifar", new ModelZoo.Variant(Filters: 6, Hidden: 0, Activation: "lrelu", Pool: "max"),
        Eta: 1e-3, Lambda: 1e-3, Batches: 10, Epochs: 50,
        PresetGrid.Numeric("eta", [.. CifarRates.Reverse()], "lambda", CifarRates),
        PublishedHeatmaps.Fig14Validation, PublishedHeatmaps.Fig14Training)
    {
        OtherReferences = [PublishedHeatmaps.Fig14TensorFlowValidation, PublishedHeatmaps.Fig14TensorFlowTraining],
    };

    /// <summary>Every preset in figure order.</summary>
    public static IReadOnlyList<Preset> All { get; } = [Fig10a, Fig10b, Fig11Sigmoid, Fig11Relu, Fig11Lrelu, Fig12, Fig13, Fig14];

    /// <summary>The preset names, in figure order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Name)];

    /// <summary>
    /// The preset called <paramref name="name"/>; a name ending in <c>-quick</c> gives <see cref="Preset.Quick"/> of it.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Preset Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant();
        bool quick = key.EndsWith("-quick", StringComparison.Ordinal);
        if (quick) key = key[..^"-quick".Length];
        var preset = All.FirstOrDefault(p => p.Name == key)
            ?? throw new ArgumentException($"Unknown figure '{name}'; choose one of {string.Join(", ", Names)} (or add -quick for a tenth of the epochs).");
        return quick ? preset.Quick() : preset;
    }

    /// <summary>The Fig. 11 family: conv 20×3×3, pool max, no hidden layer, η × λ, 600/100 images, 100 batches, 100 epochs.</summary>
    private static Preset EtaLambda(string name, string figure, string activation, PublishedGrid published) => new(
        name, figure, "mnist", 600, 100, "paper-mnist", new ModelZoo.Variant(Filters: 20, Hidden: 0, Activation: activation, Pool: "max"),
        Eta: 0.01, Lambda: 0.001, Batches: 100, Epochs: 100,
        PresetGrid.Numeric("eta", EtaDescending, "lambda", LambdaAscending),
        published, PublishedTraining: null);
}
