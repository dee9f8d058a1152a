using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine;
using Engine.Training;

namespace Cnn;

/// <summary>How a sweep run ended.</summary>
/// <param name="Cancelled">True when cancellation stopped it before every cell of its shard finished.</param>
/// <param name="Ran">Cells trained by this run.</param>
/// <param name="Skipped">Cells found finished already (<c>--resume</c>).</param>
/// <param name="Results">All finished cells of the folder, in cell order.</param>
public sealed record SweepOutcome(bool Cancelled, int Ran, int Skipped, IReadOnlyList<CellResult> Results);

/// <summary>Receives a sweep's progress. Calls for finished cells are serialized and come in the order cells were recorded.</summary>
public interface ISweepProgress
{
    /// <summary>Before the first cell: cells of this run's shard, how many were already done, how many will run, and the seeds per cell.</summary>
    void Started(int cells, int alreadyDone, int toRun, int repeats);

    /// <summary>After each training batch of a cell's repeat (from the worker training it; may come from several threads at once).</summary>
    void Batch(int cell, int repeat, BatchReport report) { }

    /// <summary>After a cell was written: the cell, the cells finished so far in this run, and the best cell so far.</summary>
    void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best);
}

/// <summary>
/// Runs the cells of a <see cref="Grid"/> over fixed training options, several at once: every cell is resolved and
/// checked before the first one trains (so a mistake in any cell costs no work), each cell runs <c>repeats</c> seeds,
/// its per-epoch history goes to <c>DIR/cells/&lt;cell&gt;.csv</c>, and each finished cell is written to the folder's
/// results files at once (see <see cref="SweepResults"/>); finished cells are skipped on resume.
/// </summary>
public sealed class SweepRunner
{
    /// <summary>The folder of the per-cell histories inside a sweep folder.</summary>
    public const string CellsFolder = "cells";

    private readonly RunSettings _fixed;
    private readonly Grid _grid;
    private readonly Func<string, LoadedData> _data;
    private readonly int _repeats;

    /// <summary>A sweep of <paramref name="grid"/> over <paramref name="fixedSettings"/>, reading datasets through <paramref name="data"/>.</summary>
    /// <param name="fixedSettings">The options given besides the axes.</param>
    /// <param name="grid">The axes.</param>
    /// <param name="data">Loads a dataset by name (cache it: cells call it often).</param>
    /// <param name="repeats">Seeds per cell: seed, seed + 1, …, seed + repeats − 1.</param>
    public SweepRunner(RunSettings fixedSettings, Grid grid, Func<string, LoadedData> data, int repeats = 1)
    {
        ArgumentNullException.ThrowIfNull(fixedSettings);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        _fixed = fixedSettings;
        _grid = grid;
        _data = data;
        _repeats = repeats;
    }

    /// <summary>The folder a shard writes to: <c>out/shard-i-of-n</c>.</summary>
    public static string ShardFolder(string outDir, int index, int count) =>
        Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}"));

    /// <summary>The history file of cell <paramref name="index"/> in sweep folder <paramref name="dir"/>.</summary>
    public static string CellHistory(string dir, int index) =>
        Path.Combine(dir, CellsFolder, string.Create(CultureInfo.InvariantCulture, $"{index}.csv"));

    /// <summary>
    /// The fixed configuration as recorded in sweep.json: every option that is not an axis, with its given value or,
    /// if not given, the value it resolves to without the axes (options that do not apply then are left out).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Fields()
    {
        var baseline = _fixed.Resolve();
        var given = _fixed.Given.ToDictionary(p => p.Key, p => p.Value);
        return [.. TrainOptionTable.All
            .Where(o => !_grid.Axes.Any(a => a.Name == o.Name))
            .Select(o => new KeyValuePair<string, string?>(o.Key, given.GetValueOrDefault(o.Name) ?? baseline[o.Name]))
            .Where(f => f.Value is not null)];
    }

    /// <summary>
    /// Checks every cell before any work: each given option (fixed or axis) must apply to every cell (one that does not
    /// apply in some cell is refused, naming it and those cells: never silently ignored there), and each cell's run must
    /// fit its data. Returns the plans.
    /// </summary>
    /// <exception cref="UsageException">The first mistake, naming the cell when it is one cell's.</exception>
    public RunPlan[] Prepare()
    {
        var given = _fixed.Given.Select(p => p.Key).Concat(_grid.Axes.Select(a => a.Name)).ToHashSet();
        var names = TrainOptionTable.All.Select(o => o.Name).Where(given.Contains).ToList();
        var inapplicable = names.ToDictionary(n => n, _ => new List<int>());
        var resolved = new ResolvedSettings[_grid.Count];
        for (int i = 0; i < _grid.Count; i++)
        {
            resolved[i] = _grid.Settings(_fixed, i).Resolve();
            foreach (string name in names)
                if (resolved[i][name] is null) inapplicable[name].Add(i);
        }
        if (names.FirstOrDefault(n => inapplicable[n].Count > 0) is { } refused)
        {
            var cells = inapplicable[refused];
            string why = _grid.Settings(_fixed, cells[0]).WhyNot(refused) ?? $"--{refused} does not apply.";
            if (_grid.Count == 1) throw new UsageException(why);
            if (cells.Count == _grid.Count) throw new UsageException($"{why.TrimEnd('.')} (in every cell of the grid).");
            throw new UsageException($"{why.TrimEnd('.')} (in {cells.Count} of the {_grid.Count} cells: {_grid.DescribeCells(cells)}); " +
                "split the sweep so that it is given only where it applies.");
        }

        var plans = new RunPlan[_grid.Count];
        for (int i = 0; i < _grid.Count; i++)
        {
            try
            {
                plans[i] = RunPlan.Prepare(resolved[i], _data(resolved[i].Text("dataset")));
            }
            catch (Exception e) when (e is ArgumentException or Engine.Serialization.ModelFileException && _grid.Count > 1)
            {
                var (_, message) = UserErrors.Describe(e);
                throw new UsageException($"cell {i} ({_grid.Describe(i)}): {message}", e);
            }
        }
        return plans;
    }

    /// <summary>
    /// Runs the cells of shard <paramref name="shard"/> (all cells when null) that are not finished in <paramref name="dir"/>.
    /// </summary>
    /// <param name="dir">The sweep folder (created if needed); gets <c>sweep.json</c>, <c>results.csv</c>, <c>results.json</c> and <c>cells/</c>.</param>
    /// <param name="resume">Continue the sweep already in <paramref name="dir"/>; without it a folder holding a sweep is an error.</param>
    /// <param name="parallel">Cells trained at once (at most the cells left); when more than one runs at once each trains single-threaded (in a <see cref="Cpu.UseThreads"/> scope of its own; the process default is never changed).</param>
    /// <param name="shard">Run only cells whose index % Count == Index, or null for all.</param>
    /// <param name="progress">Receives progress, or null.</param>
    /// <param name="cancellationToken">Stops the cells in progress at a batch boundary (they are not recorded) and starts no more.</param>
    /// <exception cref="UsageException">A cell is wrong, the shard does not fit the grid, or the folder holds a different sweep (the message lists the differences) or one without <paramref name="resume"/>.</exception>
    /// <exception cref="Engine.Data.DataFileException">The folder's results or manifest are malformed, or results are there without a manifest.</exception>
    public SweepOutcome Run(string dir, bool resume, int parallel, (int Index, int Count)? shard,
        ISweepProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        if (shard is { } s) CheckShard(s, _grid.Count);
        var plans = Prepare();
        string data = string.Join(", ", plans.Select(p => Path.GetFileName(p.DataFolder)).Distinct());
        Directory.CreateDirectory(dir);
        string? shardText = shard is { } sh ? string.Create(CultureInfo.InvariantCulture, $"{sh.Index}/{sh.Count}") : null;
        var manifest = new SweepManifest(Fields(), _grid, shardText) { Repeats = _repeats, Data = data, Recipe = _fixed.Recipe?.Name };

        List<CellResult> existing = [];
        if (File.Exists(Path.Combine(dir, SweepManifest.FileName)))
        {
            if (!resume)
                throw new UsageException($"{dir} already holds a sweep; add --resume to continue it, or choose another --out.");
            var old = SweepManifest.Read(dir);
            var differences = old.Differences(manifest);
            if (old.Shard != manifest.Shard) differences = [.. differences, $"shard: {old.Shard ?? "none"} vs {manifest.Shard ?? "none"}"];
            if (differences.Count > 0)
                throw new UsageException($"cannot resume: {dir} holds a different sweep ({string.Join("; ", differences)}, folder vs command line).");
            existing = SweepResults.Read(dir, _grid);
        }
        else if (new[] { SweepResults.JsonFileName, SweepResults.CsvFileName }.FirstOrDefault(f => File.Exists(Path.Combine(dir, f))) is { } orphan)
        {
            throw new Engine.Data.DataFileException(Path.Combine(dir, orphan),
                $"results without their {SweepManifest.FileName}; refusing to overwrite them. Restore {SweepManifest.FileName}, or choose another --out.");
        }
        foreach (string note in plans.SelectMany(p => p.Notes).Distinct()) Console.WriteLine(note);
        manifest.Write(dir);
        Directory.CreateDirectory(Path.Combine(dir, CellsFolder));
        var results = new SweepResults(dir, _grid, existing, _repeats);
        results.WriteFiles();

        var mine = Enumerable.Range(0, _grid.Count).Where(i => shard is not { } x || i % x.Count == x.Index).ToList();
        var pending = mine.Where(i => !results.Contains(i)).ToList();
        progress?.Started(mine.Count, mine.Count - pending.Count, pending.Count, _repeats);

        int workers = Math.Min(parallel, Math.Max(1, pending.Count));
        int cellThreads = workers > 1 ? 1 : Cpu.ThreadCount; // cells in parallel: each single-threaded, in its own scope
        int next = 0, ran = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            threads[w] = new Thread(() =>
            {
                int current = -1;
                using var scope = Cpu.UseThreads(cellThreads);
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        int k = Interlocked.Increment(ref next) - 1;
                        if (k >= pending.Count) return;
                        current = pending[k];
                        var cell = RunCell(current, plans[current], dir, progress, stop.Token);
                        if (cell is null) return;
                        results.Add(cell, (_, best) =>
                        {
                            ran++;
                            progress?.CellFinished(cell, _grid.Describe(cell.Index), ran, pending.Count, best);
                        });
                    }
                }
                catch (Exception e)
                {
                    string where = current < 0 ? "sweep worker" : $"cell {current} ({_grid.Describe(current)})";
                    Exception wrapped = e is ArgumentException
                        ? new UsageException($"{where}: {UserErrors.Describe(e).Message}", e)
                        : new InvalidOperationException($"{where} failed: {e.Message}", e);
                    Interlocked.CompareExchange(ref failure, wrapped, null);
                    stop.Cancel();
                }
            })
            { IsBackground = true, Name = $"sweep worker {w}" };
            threads[w].Start();
        }
        foreach (var t in threads) t.Join();
        if (failure is not null) throw failure;
        return new SweepOutcome(ran < pending.Count, ran, mine.Count - pending.Count, results.Cells);
    }

    /// <summary>Refuses a shard that does not fit a grid of <paramref name="cells"/> cells (an empty shard is a mistake, found before any work).</summary>
    /// <exception cref="UsageException">0 ≤ i &lt; n ≤ cells does not hold.</exception>
    public static void CheckShard((int Index, int Count) shard, int cells)
    {
        if (shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count)
            throw new UsageException($"--shard {shard.Index}/{shard.Count}: need 0 ≤ i < n.");
        if (shard.Count > cells)
            throw new UsageException($"--shard {shard.Index}/{shard.Count}: the grid has only {cells} cell{(cells == 1 ? "" : "s")}, so {shard.Count} shards would leave some empty; use at most {cells} shards.");
    }

    /// <summary>Trains cell <paramref name="index"/> (all its repeats) and writes its history file; null when cancelled before it finished.</summary>
    internal CellResult? RunCell(int index, RunPlan plan, string dir, ISweepProgress? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        long seed = plan.Settings.Seed;
        var runs = new List<RunHistory>();
        for (int r = 0; r < _repeats; r++)
        {
            int repeat = r;
            var batches = progress is null ? null : new Synchronous<BatchReport>(b => progress.Batch(index, repeat, b));
            var net = plan.NewNetwork(seed + r);
            var history = net.Fit(plan.Train, plan.Validation, plan.TrainingOptions(batches), progress: null, cancellationToken);
            if (history.Status == TrainingStatus.Cancelled) return null;
            runs.Add(new RunHistory(seed + r, history));
        }
        SweepFiles.WriteAtomically(CellHistory(dir, index), Encoding.UTF8.GetBytes(HistoryFiles.Csv(runs)));
        return CellResult.FromRuns(index, _grid.Cell(index), seed, [.. runs.Select(r => r.History)], watch.Elapsed.TotalSeconds);
    }
}
