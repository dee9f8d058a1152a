using System.Globalization;
using Engine.Training;
using Spectre.Console;

namespace Cnn;

/// <summary>Sweep progress as plain lines, one per finished cell with its validation accuracy and the best so far (for logs and redirected output).</summary>
public sealed class PlainSweepProgress(TextWriter writer) : ISweepProgress
{
    /// <inheritdoc/>
    public void Started(int cells, int alreadyDone, int toRun, int repeats)
    {
        string shard = cells > 0 ? $"{toRun} of {cells} cells to run" : "no cells";
        if (repeats > 1) shard += $", {repeats} seeds each";
        writer.WriteLine(alreadyDone > 0 ? $"{shard} ({alreadyDone} already done)" : shard);
    }

    /// <inheritdoc/>
    public void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best)
    {
        writer.WriteLine($"cell {finishedThisRun}/{toRun} done: #{cell.Index} {description} {Describe(cell)}; best {Best(best)}");
    }

    /// <summary><c>val_acc=0.9012 train_acc=0.9100 completed 2.1s</c>, with <c>± std</c> over repeats.</summary>
    internal static string Describe(CellResult cell) => string.Format(CultureInfo.InvariantCulture,
        "val_acc={0} train_acc={1} {2} {3:F1}s", Accuracy(cell.ValidationAccuracy, cell.Spread?.ValidationAccuracy),
        Accuracy(cell.TrainAccuracy, cell.Spread?.TrainAccuracy), cell.Status, cell.Seconds);

    /// <summary><c>val_acc=0.9100 at #4</c>, or <c>none yet</c>.</summary>
    internal static string Best(CellResult? best) => best is null ? "none yet" : $"val_acc={Accuracy(best.ValidationAccuracy, best.Spread?.ValidationAccuracy)} at #{best.Index}";

    private static string Accuracy(double v, double? std) =>
        double.IsNaN(v) ? "n/a" : v.ToString("F4", CultureInfo.InvariantCulture) + (std is { } s && double.IsFinite(s) ? s.ToString("±0.0000", CultureInfo.InvariantCulture) : "");
}

/// <summary>
/// How far a sweep is, counted in training runs (cells × seeds): finished runs plus the fraction of every run in
/// progress, from its batches (epoch − 1 + batch / batches) / epochs. Thread-safe.
/// </summary>
public sealed class SweepWork
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Cell, int Repeat), double> _running = [];
    private int _finishedRuns;

    /// <summary>Runs this sweep will train: cells to run × seeds per cell.</summary>
    public int TotalRuns { get; private set; }

    /// <summary>Starts counting <paramref name="cells"/> cells of <paramref name="repeats"/> seeds each.</summary>
    public void Start(int cells, int repeats)
    {
        lock (_lock) { TotalRuns = cells * repeats; _finishedRuns = 0; _running.Clear(); }
    }

    /// <summary>Records a batch of a run; returns the runs done so far (fractional).</summary>
    public double Batch(int cell, int repeat, BatchReport report)
    {
        double fraction = (report.Epoch - 1 + report.Batch / (double)Math.Max(1, report.Batches)) / Math.Max(1, report.Epochs);
        lock (_lock)
        {
            _running[(cell, repeat)] = fraction;
            return Done;
        }
    }

    /// <summary>Records a finished cell (all its runs); returns the runs done so far.</summary>
    public double CellFinished(int cell, int repeats)
    {
        lock (_lock)
        {
            foreach (var key in _running.Keys.Where(k => k.Cell == cell).ToList()) _running.Remove(key);
            _finishedRuns += repeats;
            return Done;
        }
    }

    private double Done => _finishedRuns + _running.Values.Sum();
}

/// <summary>
/// Sweep progress as a Spectre.Console bar that moves with every batch of every cell in training (counted in runs,
/// <see cref="SweepWork"/>), and a line per finished cell above it; use only when the terminal is interactive.
/// </summary>
public sealed class SpectreSweepProgress(ProgressContext context) : ISweepProgress
{
    private readonly SweepWork _work = new();
    private ProgressTask? _task;
    private int _repeats = 1;

    /// <summary>True when a live progress bar can be drawn: an interactive terminal and output not redirected.</summary>
    public static bool Supported => TrainProgress.Supported;

    /// <inheritdoc/>
    public void Started(int cells, int alreadyDone, int toRun, int repeats)
    {
        _repeats = repeats;
        _work.Start(toRun, repeats);
        string done = alreadyDone > 0 ? $", {alreadyDone} already done" : "";
        _task = context.AddTask(Markup.Escape($"0/{toRun} cells{done}"), maxValue: Math.Max(1, _work.TotalRuns));
    }

    /// <inheritdoc/>
    public void Batch(int cell, int repeat, BatchReport report)
    {
        double done = _work.Batch(cell, repeat, report);
        if (_task is not null) _task.Value = done;
    }

    /// <inheritdoc/>
    public void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best)
    {
        // Lines written while the bar is live appear above it (Spectre's progress renderer hooks the console).
        AnsiConsole.WriteLine($"cell {finishedThisRun}/{toRun} done: #{cell.Index} {description} {PlainSweepProgress.Describe(cell)}");
        double done = _work.CellFinished(cell.Index, _repeats);
        if (_task is null) return;
        _task.Description = Markup.Escape($"{finishedThisRun}/{toRun} cells, best {PlainSweepProgress.Best(best)}");
        _task.Value = done;
    }
}
