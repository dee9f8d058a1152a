using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Cnn;

/// <summary>
/// <c>cnn sweep &lt;train options&gt; --grid AXIS=SPEC … [--repeats N] [--out DIR] [--resume] [--parallel N] [--shard i/n]</c>:
/// trains one model per cell of the grid's cartesian product (any training option can be an axis), writing each
/// finished cell to <c>DIR/results.csv</c> and <c>DIR/results.json</c>; and <c>cnn sweep gather DIR…</c>, which merges
/// shard folders. See docs/SWEEPS.md.
/// </summary>
public static class SweepCommand
{
    /// <summary>Exit code when Ctrl+C stopped the sweep (128 + SIGINT, as shells report it); finished cells are kept.</summary>
    public const int Cancelled = ExitCodes.Cancelled;

    /// <summary>Builds the command, its options and its <c>gather</c> subcommand; data is found and loaded by name.</summary>
    public static Command Create() => Create(DataLoading.ByName, CancellationToken.None);

    /// <summary>Builds the command with a data loader and an extra cancellation token (seams for tests).</summary>
    /// <param name="loadData">Given the dataset name and <c>--data-dir</c>, returns its train and test sets.</param>
    /// <param name="cancellationToken">Stops the sweep like Ctrl+C does.</param>
    internal static Command Create(DataLoader loadData, CancellationToken cancellationToken)
    {
        var set = new TrainingOptionsSet(perCell: true);
        var grid = new Option<string[]>("--grid")
        {
            Description = "An axis: any training option with a list (optimizer=sgd,adam lambda=0,0.01), a log grid for reals (eta=1e-4:1:5, from:to:count, ends included) or a range for whole numbers (filters=1..5, batch-size=16..64:16). Repeat for more axes.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var repeats = new Option<int>("--repeats") { Description = "Seeds per cell: seed, seed+1, …; results are the mean ± standard deviation", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Folder for sweep.json, results.csv, results.json, cells/ and the heatmaps", DefaultValueFactory = _ => Path.Combine("runs", "sweep") };
        var resume = new Option<bool>("--resume") { Description = "Continue the sweep in --out, skipping finished cells (the configuration must be the same)" };
        var parallel = new Option<int>("--parallel") { Description = "Cells trained at once, each single-threaded (default: one per logical processor)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string?>("--shard") { Description = "i/n: run only cells whose index % n == i, into --out/shard-i-of-n (merge with 'cnn sweep gather')" };
        var colorScale = ColorScaleOption();
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };

        OptionRules.AtLeast(parallel, 1);
        OptionRules.AtLeast(repeats, 1);
        grid.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try { GridAxis.Parse(token.Value); }
                catch (UsageException e) { r.AddError(e.Message); return; }
            }
        });
        shard.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try { ParseShard(token.Value); }
                catch (UsageException e) { r.AddError(e.Message); return; }
            }
        });

        var command = new Command("sweep", "Train one model per cell of a grid of options, writing each finished cell to results.csv and results.json as it finishes.");
        set.AddTo(command);
        foreach (var option in new Option[] { grid, repeats, output, resume, parallel, shard, colorScale, verbose })
            command.Options.Add(option);
        command.Subcommands.Add(GatherCommand());
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            var theGrid = new Grid([.. parse.GetValue(grid)!.Select(GridAxis.Parse)]);
            var fixedSettings = set.Settings(parse);
            foreach (var axis in theGrid.Axes.Where(a => fixedSettings.IsGiven(a.Name)))
                throw new UsageException($"--{axis.Name} is given both as an option and as a --grid axis; give one.");
            var shardSpec = parse.GetValue(shard) is { } s ? ParseShard(s) : ((int Index, int Count)?)null;
            if (shardSpec is { } spec) SweepRunner.CheckShard(spec, theGrid.Count);
            string outDir = OutputPaths.Folder("--out", parse.GetValue(output)!);
            string dir = shardSpec is { } sh ? OutputPaths.Folder("--out", SweepRunner.ShardFolder(outDir, sh.Index, sh.Count)) : outDir;

            var runner = new SweepRunner(fixedSettings, theGrid, DataLoading.Cached(loadData, parse.GetValue(set.DataDir)), parse.GetValue(repeats));
            int workers = parse.GetValue(parallel);
            Console.WriteLine($"sweep: {theGrid.Count} cells ({string.Join(" × ", theGrid.Axes.Select(a => $"{a.Name} {a.Values.Count}"))}), {workers} at once, into {dir}");
            var outcome = RunWithProgress(runner, dir, parse.GetValue(resume), workers, shardSpec, cancellationToken);

            var best = SweepResults.Best(outcome.Results);
            int diverged = outcome.Results.Count(r => r.Status == "diverged");
            if (outcome.Cancelled)
            {
                Console.Error.WriteLine($"sweep cancelled: {outcome.Results.Count} finished cells are kept in {dir}; rerun with --resume to continue.");
                return Cancelled;
            }
            Console.WriteLine($"sweep done: {outcome.Ran} cells run, {outcome.Skipped} already done, {diverged} diverged; best {PlainSweepProgress.Best(best)}" +
                (best is null ? "" : $" ({theGrid.Describe(best.Index)})"));
            SweepReport.Written(dir, parse.GetValue(colorScale));
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary><c>--color-scale data|fixed</c>: heatmap colours fitted to the values (default) or fixed at 0–1.</summary>
    internal static Option<ColorScale> ColorScaleOption()
    {
        var option = new Option<ColorScale>("--color-scale")
        {
            Description = "Heatmap colours: data (fitted to the values shown, default) or fixed (0–1)",
            DefaultValueFactory = _ => ColorScale.Data,
            HelpName = "data|fixed",
            CustomParser = r => r.Tokens[0].Value.ToLowerInvariant() switch
            {
                "data" => ColorScale.Data,
                "fixed" => ColorScale.Fixed,
                var other => Fail(r, other),
            },
        };
        return option;

        static ColorScale Fail(System.CommandLine.Parsing.ArgumentResult r, string value)
        {
            r.AddError($"--color-scale: '{value}' is not data or fixed.");
            return ColorScale.Data;
        }
    }

    /// <summary>
    /// Runs <paramref name="runner"/> into <paramref name="dir"/> with a progress display (a live bar that moves with
    /// every batch on an interactive terminal, plain lines otherwise); Ctrl+C (or <paramref name="cancellationToken"/>)
    /// stops it, keeping finished cells.
    /// </summary>
    internal static SweepOutcome RunWithProgress(SweepRunner runner, string dir, bool resume, int workers,
        (int Index, int Count)? shard, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using (ExitCodes.CancelOnCtrlC(cancel))
        {
            if (!SpectreSweepProgress.Supported)
                return runner.Run(dir, resume, workers, shard, new PlainSweepProgress(Console.Out), cancel.Token);
            SweepOutcome outcome = null!;
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context => outcome = runner.Run(dir, resume, workers, shard, new SpectreSweepProgress(context), cancel.Token));
            return outcome;
        }
    }

    /// <summary>Parses <c>i/n</c> with 0 ≤ i &lt; n.</summary>
    /// <exception cref="UsageException">Not of that form; the message quotes the value.</exception>
    public static (int Index, int Count) ParseShard(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index < count)
            return (index, count);
        throw new UsageException($"--shard '{text}': expected i/n with 0 ≤ i < n, e.g. 0/4.");
    }

    private static Command GatherCommand()
    {
        var dirs = new Argument<string[]>("dirs") { Description = "The shard folders, e.g. runs/fig12/shard-*", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Folder for the merged results (default: the folders' common parent)" };
        var colorScale = ColorScaleOption();
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        var command = new Command("gather", "Merge the folders of a sharded sweep into one results.csv and results.json, checking that every cell is there once.")
        {
            dirs, output, colorScale, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            string? outDir = parse.GetValue(output) is { } o ? OutputPaths.Folder("--out", o) : null;
            var (written, cells) = SweepGather.Gather(parse.GetValue(dirs)!, outDir);
            var best = SweepResults.Best(cells);
            Console.WriteLine($"gathered {cells.Count} cells into {written}; best {PlainSweepProgress.Best(best)}");
            SweepReport.Written(written, parse.GetValue(colorScale));
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }
}
