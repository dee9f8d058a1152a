using System.Diagnostics;
using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Training;

namespace Cnn;

/// <summary>The training options a sweep holds fixed; a grid axis overrides the option of the same name in each cell.</summary>
/// <param name="Dataset">Dataset name (for the manifest; the runner is given the data itself).</param>
/// <param name="TrainSize">Training images used.</param>
/// <param name="ValidationSize">Validation images used.</param>
/// <param name="Model">Model name from <see cref="ModelZoo.Names"/>.</param>
/// <param name="Filters">Convolution filters (paper models).</param>
/// <param name="Hidden">Hidden dense neurons (paper-mnist).</param>
/// <param name="Activation">sigmoid, relu or lrelu.</param>
/// <param name="Pool">max or avg.</param>
/// <param name="Eta">Adam learning rate.</param>
/// <param name="Lambda">L2 λ.</param>
/// <param name="Epochs">Epochs per cell.</param>
/// <param name="BatchSize">Images per batch, or null.</param>
/// <param name="Batches">Batches per epoch, or null.</param>
/// <param name="Seed">Seed of weights and shuffling (the same for every cell).</param>
public sealed record SweepConfiguration(
    string Dataset, int TrainSize, int ValidationSize, string Model, int Filters, int Hidden, string Activation, string Pool,
    float Eta, float Lambda, int Epochs, int? BatchSize, int? Batches, long Seed)
{
    /// <summary>The fixed options as (name, value) pairs for the manifest; options that are axes of <paramref name="grid"/> are left out.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Fields(Grid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var c = CultureInfo.InvariantCulture;
        var all = new List<KeyValuePair<string, string?>>
        {
            new("dataset", Dataset), new("train_size", TrainSize.ToString(c)), new("val_size", ValidationSize.ToString(c)),
            new("model", Model), new("filters", Filters.ToString(c)), new("hidden", Hidden.ToString(c)),
            new("activation", Activation), new("pool", Pool), new("eta", GridAxis.FormatFloat(Eta)), new("lambda", GridAxis.FormatFloat(Lambda)),
            new("epochs", Epochs.ToString(c)), new("batch_size", BatchSize?.ToString(c)), new("batches", Batches?.ToString(c)),
            new("seed", Seed.ToString(c)), new("optimizer", "adam"), new("loss", "cross-entropy"),
        };
        return [.. all.Where(f => !grid.Axes.Any(a => a.Name == f.Key))];
    }
}

/// <summary>How a sweep run ended.</summary>
/// <param name="Cancelled">True when cancellation stopped it before every cell of its shard finished.</param>
/// <param name="Ran">Cells trained by this run.</param>
/// <param name="Skipped">Cells found finished already (<c>--resume</c>).</param>
/// <param name="Results">All finished cells of the folder, in cell order.</param>
public sealed record SweepOutcome(bool Cancelled, int Ran, int Skipped, IReadOnlyList<CellResult> Results);

/// <summary>Receives a sweep's progress. Calls for finished cells are serialized and come in the order cells were recorded.</summary>
public interface ISweepProgress
{
    /// <summary>Before the first cell: cells of this run's shard, how many were already done, and how many will run.</summary>
    void Started(int cells, int alreadyDone, int toRun);

    /// <summary>After a cell was written: the cell, the cells finished so far in this run and in all, and the best cell so far.</summary>
    void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best);
}

/// <summary>
/// Runs the cells of a <see cref="Grid"/> on given data, several at once, writing each finished cell to the folder's
/// results files as it finishes (see <see cref="SweepResults"/>) and skipping finished ones on resume.
/// </summary>
public sealed class SweepRunner
{
    private readonly SweepConfiguration _configuration;
    private readonly Grid _grid;
    private readonly Dataset _train;
    private readonly Dataset _validation;

    /// <summary>A sweep of <paramref name="grid"/> over <paramref name="configuration"/> on the given data.</summary>
    public SweepRunner(SweepConfiguration configuration, Grid grid, Dataset train, Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        _configuration = configuration;
        _grid = grid;
        _train = train;
        _validation = validation;
    }

    /// <summary>The folder a shard writes to: <c>out/shard-i-of-n</c>.</summary>
    public static string ShardFolder(string outDir, int index, int count) =>
        Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}"));

    /// <summary>
    /// Runs the cells of shard <paramref name="shard"/> (all cells when null) that are not finished in <paramref name="dir"/>.
    /// </summary>
    /// <param name="dir">The sweep folder (created if needed); gets <c>sweep.json</c>, <c>results.csv</c>, <c>results.json</c>.</param>
    /// <param name="resume">Continue the sweep already in <paramref name="dir"/>; without it a folder holding a sweep is an error.</param>
    /// <param name="parallel">Cells trained at once (at most the cells left); when more than one runs at once each trains single-threaded (<see cref="Cpu.ThreadCount"/> = 1 meanwhile).</param>
    /// <param name="shard">Run only cells whose index % Count == Index, or null for all.</param>
    /// <param name="progress">Receives progress, or null.</param>
    /// <param name="cancellationToken">Stops the cells in progress at a batch boundary (they are not recorded) and starts no more.</param>
    /// <exception cref="ArgumentException">The folder holds a different sweep (the message lists the differences), or holds one and <paramref name="resume"/> is false.</exception>
    public SweepOutcome Run(string dir, bool resume, int parallel, (int Index, int Count)? shard,
        ISweepProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        if (shard is { } s && (s.Count < 1 || s.Index < 0 || s.Index >= s.Count))
            throw new ArgumentException($"--shard {s.Index}/{s.Count}: need 0 ≤ i < n.");
        Directory.CreateDirectory(dir);
        string? shardText = shard is { } sh ? string.Create(CultureInfo.InvariantCulture, $"{sh.Index}/{sh.Count}") : null;
        var manifest = new SweepManifest(_configuration.Fields(_grid), _grid, shardText);

        List<CellResult> existing = [];
        if (File.Exists(Path.Combine(dir, SweepManifest.FileName)))
        {
            if (!resume)
                throw new ArgumentException($"{dir} already holds a sweep; add --resume to continue it, or choose another --out.");
            var old = SweepManifest.Read(dir);
            var differences = old.Differences(manifest);
            if (old.Shard != manifest.Shard) differences = [.. differences, $"shard: {old.Shard ?? "none"} vs {manifest.Shard ?? "none"}"];
            if (differences.Count > 0)
                throw new ArgumentException($"cannot resume: {dir} holds a different sweep ({string.Join("; ", differences)}, folder vs command line).");
            existing = SweepResults.Read(dir, _grid);
        }
        manifest.Write(dir);
        var results = new SweepResults(dir, _grid, existing);
        results.WriteFiles();

        var mine = Enumerable.Range(0, _grid.Count).Where(i => shard is not { } x || i % x.Count == x.Index).ToList();
        var pending = mine.Where(i => !results.Contains(i)).ToList();
        progress?.Started(mine.Count, mine.Count - pending.Count, pending.Count);

        int workers = Math.Min(parallel, Math.Max(1, pending.Count));
        int savedThreads = Cpu.ThreadCount;
        if (workers > 1) Cpu.ThreadCount = 1;
        int next = 0, ran = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        try
        {
            var threads = new Thread[workers];
            for (int w = 0; w < workers; w++)
            {
                threads[w] = new Thread(() =>
                {
                    int current = -1;
                    try
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            int k = Interlocked.Increment(ref next) - 1;
                            if (k >= pending.Count) return;
                            current = pending[k];
                            var cell = RunCell(current, stop.Token);
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
                            ? new ArgumentException($"{where}: {e.Message}", e)
                            : new InvalidOperationException($"{where} failed: {e.Message}", e);
                        Interlocked.CompareExchange(ref failure, wrapped, null);
                        stop.Cancel();
                    }
                })
                { IsBackground = true, Name = $"sweep worker {w}" };
                threads[w].Start();
            }
            foreach (var t in threads) t.Join();
        }
        finally
        {
            Cpu.ThreadCount = savedThreads;
        }
        if (failure is not null) throw failure;
        return new SweepOutcome(ran < pending.Count, ran, mine.Count - pending.Count, results.Cells);
    }

    /// <summary>Trains cell <paramref name="index"/>; null when cancelled before it finished.</summary>
    internal CellResult? RunCell(int index, CancellationToken cancellationToken)
    {
        var values = _grid.Cell(index);
        var c = _configuration;
        int filters = c.Filters, hidden = c.Hidden;
        string activation = c.Activation, pool = c.Pool;
        float eta = c.Eta, lambda = c.Lambda;
        for (int a = 0; a < values.Length; a++)
        {
            string v = values[a];
            switch (_grid.Axes[a].Name)
            {
                case "eta": eta = float.Parse(v, CultureInfo.InvariantCulture); break;
                case "lambda": lambda = float.Parse(v, CultureInfo.InvariantCulture); break;
                case "filters": filters = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "hidden": hidden = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "activation": activation = v; break;
                case "pool": pool = v; break;
            }
        }
        var watch = Stopwatch.StartNew();
        var net = ModelZoo.Build(c.Model, _train.SampleShape, c.Seed, new ModelZoo.Variant(filters, hidden, activation, pool));
        var options = TrainingOptionsSet.ToTrainingOptions(c, eta, lambda);
        var history = net.Fit(_train, _validation, options, progress: null, cancellationToken);
        if (history.Status == TrainingStatus.Cancelled) return null;
        var last = history.Epochs.Count > 0 ? history.Last : null;
        return new CellResult(index, values,
            last?.TrainAccuracy ?? double.NaN, last?.ValidationAccuracy ?? double.NaN,
            last?.TrainLoss ?? double.NaN, last?.ValidationLoss ?? double.NaN,
            history.Epochs.Count, watch.Elapsed.TotalSeconds,
            history.Status == TrainingStatus.Diverged ? "diverged" : "completed", c.Seed);
    }
}
