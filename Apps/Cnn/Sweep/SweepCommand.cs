using System.CommandLine;
using System.Globalization;
using Engine.Data;
using Engine.Training;
using Spectre.Console;

namespace Cnn;

/// <summary>
/// <c>cnn sweep &lt;train options&gt; --grid AXIS=SPEC … [--out DIR] [--resume] [--parallel N] [--shard i/n]</c>: trains
/// one model per cell of the grid's cartesian product, writing each finished cell to <c>DIR/results.csv</c> and
/// <c>DIR/results.json</c>; and <c>cnn sweep gather DIR…</c>, which merges shard folders. See docs/SWEEPS.md.
/// </summary>
public static class SweepCommand
{
    /// <summary>Exit code when Ctrl+C stopped the sweep (128 + SIGINT, as shells report it); finished cells are kept.</summary>
    public const int Cancelled = ExitCodes.Cancelled;

    /// <summary>Builds the command, its options and its <c>gather</c> subcommand; data is found and loaded by name.</summary>
    public static Command Create() => Create(LoadByName, CancellationToken.None);

    /// <summary>Builds the command with a data loader and an extra cancellation token (seams for tests).</summary>
    /// <param name="loadData">Given the dataset name and <c>--data-dir</c>, returns its train and test sets.</param>
    /// <param name="cancellationToken">Stops the sweep like Ctrl+C does.</param>
    internal static Command Create(Func<string, string?, TrainTestSplit> loadData, CancellationToken cancellationToken)
    {
        var set = new TrainingOptionsSet(perCell: true);
        var grid = new Option<string[]>("--grid")
        {
            Description = "An axis: eta=1e-4:1:5 (log grid from:to:count, ends included) or a list, e.g. lambda=0,0.01 filters=1,2,3 hidden=10,20 activation=relu,lrelu pool=max,avg. Repeat for more axes.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out") { Description = "Folder for sweep.json, results.csv and results.json", DefaultValueFactory = _ => Path.Combine("runs", "sweep") };
        var resume = new Option<bool>("--resume") { Description = "Continue the sweep in --out, skipping finished cells (the configuration must be the same)" };
        var parallel = new Option<int>("--parallel") { Description = "Cells trained at once, each single-threaded (default: one per logical processor)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string?>("--shard") { Description = "i/n: run only cells whose index % n == i, into --out/shard-i-of-n (merge with 'cnn sweep gather')" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };

        OptionRules.AtLeast(parallel, 1);
        grid.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try { GridAxis.Parse(token.Value); }
                catch (ArgumentException e) { r.AddError(e.Message); return; }
            }
        });
        shard.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try { ParseShard(token.Value); }
                catch (ArgumentException e) { r.AddError(e.Message); return; }
            }
        });

        var command = new Command("sweep", "Train one model per cell of a grid of options, writing each finished cell to results.csv and results.json as it finishes.");
        set.AddTo(command);
        foreach (var option in new Option[] { grid, output, resume, parallel, shard, verbose })
            command.Options.Add(option);
        command.Subcommands.Add(GatherCommand());
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            var axes = parse.GetValue(grid)!.Select(GridAxis.Parse).ToList();
            var theGrid = new Grid(axes);
            var configuration = set.Configuration(parse);
            CheckAxesFitModel(theGrid, configuration.Model);
            var shardSpec = parse.GetValue(shard) is { } s ? ParseShard(s) : ((int Index, int Count)?)null;
            string outDir = parse.GetValue(output)!;
            string dir = Path.GetFullPath(shardSpec is { } sh ? SweepRunner.ShardFolder(outDir, sh.Index, sh.Count) : outDir);

            var data = loadData(configuration.Dataset, parse.GetValue(set.DataDir));
            var (train, val) = TrainingOptionsSet.Subsets(data, configuration.TrainSize, configuration.ValidationSize, Console.Out);
            var runner = new SweepRunner(configuration, theGrid, train, val);

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
            SweepReport.Written(dir);
            return ExitCodes.Ok;
        }, parse.GetValue(verbose)));
        return command;
    }

    /// <summary>
    /// Runs <paramref name="runner"/> into <paramref name="dir"/> with a progress display (a live bar on an interactive
    /// terminal, plain lines otherwise); Ctrl+C (or <paramref name="cancellationToken"/>) stops it, keeping finished cells.
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
    /// <exception cref="ArgumentException">Not of that form; the message quotes the value.</exception>
    public static (int Index, int Count) ParseShard(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index < count)
            return (index, count);
        throw new ArgumentException($"--shard '{text}': expected i/n with 0 ≤ i < n, e.g. 0/4.");
    }

    /// <summary>Rejects grid axes that the model does not have (they would change nothing).</summary>
    private static void CheckAxesFitModel(Grid grid, string model)
    {
        string[] accepted = model switch
        {
            "paper-mnist" => ["eta", "lambda", "filters", "hidden", "activation", "pool"],
            "paper-cifar" => ["eta", "lambda", "activation", "pool"],
            _ => ["eta", "lambda"],
        };
        foreach (var axis in grid.Axes)
            if (!accepted.Contains(axis.Name))
                throw new ArgumentException($"--grid {axis.Name}: model {model} has no {axis.Name} option; it takes {string.Join(", ", accepted)}.");
    }

    private static TrainTestSplit LoadByName(string name, string? dataDir)
    {
        DownloadCommand.EnsureAsync(name, dataDir, Console.Out).GetAwaiter().GetResult();
        return DatasetLocator.Load(name, dataDir);
    }

    private static Command GatherCommand()
    {
        var dirs = new Argument<string[]>("dirs") { Description = "The shard folders, e.g. runs/fig12/shard-*", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Folder for the merged results (default: the folders' common parent)" };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces with errors" };
        var command = new Command("gather", "Merge the folders of a sharded sweep into one results.csv and results.json, checking that every cell is there once.")
        {
            dirs, output, verbose,
        };
        command.SetAction(parse => ExitCodes.Run(() =>
        {
            try
            {
                var (outDir, cells) = SweepGather.Gather(parse.GetValue(dirs)!, parse.GetValue(output));
                var best = SweepResults.Best(cells);
                Console.WriteLine($"gathered {cells.Count} cells into {outDir}; best {PlainSweepProgress.Best(best)}");
                SweepReport.Written(outDir);
                return ExitCodes.Ok;
            }
            catch (SweepGatherException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
                return ExitCodes.Data;
            }
        }, parse.GetValue(verbose)));
        return command;
    }
}
