using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cnn.Reproduction;
using Engine.Data;

namespace Cnn;

/// <summary>What one reproduced figure gave: the preset run, its wall time, and our best validation cell.</summary>
/// <param name="Preset">The preset as run (quick or full).</param>
/// <param name="Folder">The sweep folder, <c>DIR/&lt;preset&gt;</c>.</param>
/// <param name="Seconds">Wall time of the preset: data, sweep, heatmaps and comparison.</param>
/// <param name="OurBest">Our best validation cell, or null when none finished.</param>
/// <param name="Cancelled">True when Ctrl+C stopped the sweep (finished cells are kept).</param>
public sealed record ReproduceOutcome(Preset Preset, string Folder, double Seconds, BestCell? OurBest, bool Cancelled);

/// <summary>
/// <c>cnn reproduce fig10a|…|fig14 | --list | all [--out DIR] [--quick] [--repeats N] [--data-dir D] [--parallel N] [--resume]</c>:
/// runs the report's figures as sweeps (<see cref="Presets"/>) into <c>DIR/&lt;preset&gt;/</c>, then draws our heatmaps
/// and writes <c>compare.md</c> with the report's grid (and TensorFlow's, for Fig. 14) beside ours; with
/// <c>--repeats N</c> each cell runs N seeds and shows mean ± std.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>The seed of every cell (the report seeds numpy with 100).</summary>
    public const long Seed = 100;

    /// <summary>Builds the command; data is found (and downloaded if missing) by name.</summary>
    public static Command Create() => Create(DataLoading.ByName, preset => preset, CancellationToken.None);

    /// <summary>Builds the command with seams for tests.</summary>
    /// <param name="loadData">Given the dataset name and <c>--data-dir</c>, returns its train and test sets.</param>
    /// <param name="adjust">Applied to each preset before it runs (tests shrink sizes and epochs; the real command passes it through).</param>
    /// <param name="cancellationToken">Stops the sweep like Ctrl+C does.</param>
    internal static Command Create(DataLoader loadData, Func<Preset, Preset> adjust, CancellationToken cancellationToken)
    {
        var figure = new Argument<string?>("figure")
        {
            Description = $"{string.Join(", ", Presets.Names)}, or all",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var list = new Option<bool>("--list") { Description = "List the presets with their configuration and the report's best cell, and exit (takes no other option or figure)" };
        var output = new Option<string>("--out") { Description = "Folder for the figures' folders DIR/<preset>/", DefaultValueFactory = _ => "runs" };
        var quick = new Option<bool>("--quick") { Description = "A tenth of the epochs, for a quick look (folders DIR/<preset>-quick/)" };
        var repeats = new Option<int>("--repeats") { Description = "Seeds per cell (100, 101, …): cells show mean ± std (folders DIR/<preset>-repeatsN/)", DefaultValueFactory = _ => 1 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets); a missing dataset is downloaded there" };
        var parallel = new Option<int>("--parallel") { Description = "Cells trained at once, each single-threaded (default: one per logical processor)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var resume = new Option<bool>("--resume") { Description = "Continue the figures already in DIR, skipping finished cells" };
        var colorScale = SweepCommand.ColorScaleOption();
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        OptionRules.AtLeast(parallel, 1);
        OptionRules.AtLeast(repeats, 1);

        var command = new Command("reproduce", "Run the report's figures as sweeps and compare our heatmaps with the report's.")
        {
            figure, list, output, quick, repeats, dataDir, parallel, resume, colorScale, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            if (parse.GetValue(list))
            {
                OptionRules.RefuseBeside(parse, list, "lists the presets and exits");
                List(Console.Out);
                return ExitCodes.Ok;
            }
            string name = parse.GetValue(figure)
                ?? throw new UsageException($"Name a figure ({string.Join(", ", Presets.Names)}), 'all', or --list.");
            var chosen = name.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? Presets.All : [Lookup(name)];
            bool quickly = parse.GetValue(quick);
            string outDir = OutputPaths.Folder("--out", parse.GetValue(output)!);
            var data = DataLoading.Cached(loadData, parse.GetValue(dataDir));
            var outcomes = new List<ReproduceOutcome>();
            foreach (var preset in chosen)
            {
                var run = adjust((quickly ? preset.Quick() : preset).WithRepeats(parse.GetValue(repeats)));
                var outcome = Run(run, Path.Combine(outDir, run.Name), data,
                    parse.GetValue(parallel), parse.GetValue(resume), parse.GetValue(colorScale), cancellationToken);
                outcomes.Add(outcome);
                if (outcome.Cancelled)
                {
                    Console.Error.WriteLine($"reproduce cancelled: the finished cells are kept in {outcome.Folder}; rerun with --resume to continue.");
                    return SweepCommand.Cancelled;
                }
            }
            if (chosen.Count > 1) Summary(Console.Out, outcomes);
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>
    /// Runs <paramref name="preset"/> as a sweep into <paramref name="folder"/> on the first images of its dataset, then
    /// writes our heatmaps (heatmap-val/-train .png/.svg), compare.md with the report's grid drawn beside ours
    /// (report-val.png, on the same colour scale) and the difference heatmap, and prints a summary line naming the
    /// dataset folder actually read (e.g. cifar-10-subset).
    /// </summary>
    /// <exception cref="UsageException">The folder holds a different sweep, or holds one and <paramref name="resume"/> is false.</exception>
    internal static ReproduceOutcome Run(Preset preset, string folder, Func<string, LoadedData> data,
        int parallel, bool resume, ColorScale scale, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var grid = GridOf(preset);
        var runner = new SweepRunner(SettingsOf(preset), grid, data, preset.Repeats);
        string dataFolder = data(preset.Dataset).Folder;

        string seeds = preset.Repeats > 1 ? $" × {preset.Repeats} seeds" : "";
        Console.WriteLine($"{preset.Name} ({preset.Figure}): {grid.Count} cells{seeds}, {preset.Epochs} epochs each, {Math.Min(parallel, grid.Count)} at once, data {dataFolder}, into {folder}");
        var outcome = SweepCommand.RunWithProgress(runner, folder, resume, parallel, shard: null, cancellationToken);
        if (outcome.Cancelled)
            return new ReproduceOutcome(preset, folder, watch.Elapsed.TotalSeconds, null, Cancelled: true);

        var grids = SweepGrids.Arrange(grid, outcome.Results, keepOrder: true);
        SweepReport.WriteHeatmaps(folder,
            Comparison.OurHeatmap(preset, grids.Validation, "validation accuracy", grids.Diverged, preset.PublishedValidation, scale, grids.ValidationSpread),
            Comparison.OurHeatmap(preset, grids.Training, "training accuracy", grids.Diverged, preset.PublishedTraining, scale, grids.TrainingSpread));
        var spreads = preset.Repeats > 1 ? new Spreads(grids.ValidationSpread, grids.TrainingSpread, preset.Repeats) : null;
        foreach (string written in Comparison.Write(folder, preset, grids.Validation, grids.Training, grids.Diverged, Path.GetFileName(dataFolder), scale, spreads))
            Console.WriteLine($"wrote {Path.Combine(folder, written)}");

        var best = Comparison.Best(grids.Validation, grids.Diverged);
        double seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: {1:F1} s wall, {2} cells ({3} run now), data {4}; our best val {5}; report's best {6}",
            preset.Name, seconds, outcome.Results.Count, outcome.Ran, Path.GetFileName(dataFolder), Describe(preset, best), Describe(preset, ReportsBest(preset))));
        return new ReproduceOutcome(preset, folder, seconds, best, Cancelled: false);
    }

    /// <summary>The sweep grid of <paramref name="preset"/>: its two axes in drawing order (rows, then columns).</summary>
    internal static Grid GridOf(Preset preset) => new([.. preset.Grid.GridOptions.Select(GridAxis.Parse)]);

    /// <summary>
    /// The preset's fixed training options (Adam β 0.9/0.999, its L2 style, seed 100): every option that applies to its
    /// model, except its two axes.
    /// </summary>
    internal static RunSettings SettingsOf(Preset preset)
    {
        var c = CultureInfo.InvariantCulture;
        var values = new List<(string, string)>
        {
            ("dataset", preset.Dataset), ("train-size", preset.TrainSize.ToString(c)), ("val-size", preset.ValidationSize.ToString(c)),
            ("model", preset.Model), ("activation", preset.Variant.Activation), ("pool", preset.Variant.Pool),
            ("optimizer", "adam"), ("beta1", preset.Rho1.ToString(c)), ("beta2", preset.Rho2.ToString(c)),
            ("eta", preset.Eta.ToString("R", c)), ("lambda", preset.Lambda.ToString("R", c)), ("l2-style", preset.L2Style),
            ("epochs", preset.Epochs.ToString(c)), ("batches", preset.Batches.ToString(c)), ("seed", Seed.ToString(c)),
        };
        if (preset.Model == "paper-mnist")
            values.AddRange([("filters", preset.Variant.Filters.ToString(c)), ("hidden", preset.Variant.Hidden.ToString(c))]);
        return RunSettings.Of(values.Where(v => v.Item1 != preset.Grid.Axis1 && v.Item1 != preset.Grid.Axis2));
    }

    /// <summary>Prints every preset: data, model, grid, training and the report's best validation cell.</summary>
    internal static void List(TextWriter writer)
    {
        foreach (var p in Presets.All)
        {
            var g = p.Grid;
            bool axis(string name) => g.Axis1 == name || g.Axis2 == name;
            string rates = (axis("eta") ? "" : $"eta {Heatmap.TickLabel(p.Eta)}, ") + (axis("lambda") ? "" : $"lambda {Heatmap.TickLabel(p.Lambda)}, ");
            writer.WriteLine($"{p.Name,-14} {p.Figure}: {p.Dataset} {p.TrainSize} train / {p.ValidationSize} val; {p.Model} " +
                $"(filters {(axis("filters") ? "axis" : p.Variant.Filters)}, hidden {(axis("hidden") ? "axis" : p.Variant.Hidden)}, {p.Variant.Activation}, {p.Variant.Pool} pool)");
            writer.WriteLine($"{"",-14} grid {g.Axis1} {string.Join(',', g.Values1.Select(Heatmap.TickLabel))} × {g.Axis2} {string.Join(',', g.Values2.Select(Heatmap.TickLabel))} ({g.Count} cells); " +
                $"Adam {rates}β 0.9/0.999, L2 style {p.L2Style}, {p.Batches} batches (batch size {p.BatchSize}) × {p.Epochs} epochs; report's best {Describe(p, ReportsBest(p))}");
        }
    }

    /// <summary>The table printed after <c>all</c>: preset, wall seconds, our best validation cell, the report's best.</summary>
    internal static void Summary(TextWriter writer, IReadOnlyList<ReproduceOutcome> outcomes)
    {
        writer.WriteLine();
        writer.WriteLine("| preset | wall s | our best val | report's best val |");
        writer.WriteLine("|---|---:|---|---|");
        foreach (var o in outcomes)
            writer.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:F1} | {2} | {3} |",
                o.Preset.Name, o.Seconds, Describe(o.Preset, o.OurBest), Describe(o.Preset, ReportsBest(o.Preset))));
    }

    private static BestCell ReportsBest(Preset preset) => Comparison.Best(preset.PublishedValidation.ToNullable())!;

    /// <summary>E.g. <c>0.87 at eta=1e-1 lambda=1e-1</c>, or "–" when no cell finished.</summary>
    private static string Describe(Preset preset, BestCell? cell) => cell is null
        ? "–"
        : string.Format(CultureInfo.InvariantCulture, "{0:F2} at {1}={2} {3}={4}", cell.Value,
            preset.Grid.Axis1, Heatmap.TickLabel(preset.Grid.Values1[cell.Row]), preset.Grid.Axis2, Heatmap.TickLabel(preset.Grid.Values2[cell.Column]));

    /// <summary>The preset called <paramref name="name"/>; an unknown name is a usage error listing the known ones.</summary>
    private static Preset Lookup(string name)
    {
        try { return Presets.Get(name); }
        catch (ArgumentException e) { throw new UsageException($"{e.Message} Or 'all', or --list.", e); }
    }
}
