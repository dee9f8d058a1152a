using System.Globalization;
using Spectre.Console;

namespace Cnn;

/// <summary>Sweep progress as plain lines, one per finished cell with its validation accuracy and the best so far (for logs and redirected output).</summary>
public sealed class PlainSweepProgress(TextWriter writer) : ISweepProgress
{
    /// <inheritdoc/>
    public void Started(int cells, int alreadyDone, int toRun)
    {
        string shard = cells > 0 ? $"{toRun} of {cells} cells to run" : "no cells";
        writer.WriteLine(alreadyDone > 0 ? $"{shard} ({alreadyDone} already done)" : shard);
    }

    /// <inheritdoc/>
    public void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best)
    {
        writer.WriteLine($"cell {finishedThisRun}/{toRun} done: #{cell.Index} {description} {Describe(cell)}; best {Best(best)}");
    }

    /// <summary><c>val_acc=0.9012 train_acc=0.9100 completed 2.1s</c>.</summary>
    internal static string Describe(CellResult cell) => string.Format(CultureInfo.InvariantCulture,
        "val_acc={0} train_acc={1} {2} {3:F1}s", Accuracy(cell.ValidationAccuracy), Accuracy(cell.TrainAccuracy), cell.Status, cell.Seconds);

    /// <summary><c>val_acc=0.9100 at #4</c>, or <c>none yet</c>.</summary>
    internal static string Best(CellResult? best) => best is null ? "none yet" : $"val_acc={Accuracy(best.ValidationAccuracy)} at #{best.Index}";

    private static string Accuracy(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", CultureInfo.InvariantCulture);
}

/// <summary>Sweep progress as a Spectre.Console progress bar; use only when the terminal is interactive.</summary>
public sealed class SpectreSweepProgress(ProgressContext context) : ISweepProgress
{
    private ProgressTask? _task;

    /// <summary>True when a live progress bar can be drawn: an interactive terminal and output not redirected.</summary>
    public static bool Supported =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;

    /// <inheritdoc/>
    public void Started(int cells, int alreadyDone, int toRun)
    {
        string done = alreadyDone > 0 ? $", {alreadyDone} already done" : "";
        _task = context.AddTask(Markup.Escape($"0/{toRun} cells{done}"), maxValue: Math.Max(1, toRun));
    }

    /// <inheritdoc/>
    public void CellFinished(CellResult cell, string description, int finishedThisRun, int toRun, CellResult? best)
    {
        // Lines written while the bar is live appear above it (Spectre's progress renderer hooks the console).
        AnsiConsole.WriteLine($"cell {finishedThisRun}/{toRun} done: #{cell.Index} {description} {PlainSweepProgress.Describe(cell)}");
        if (_task is null) return;
        _task.Description = Markup.Escape($"{finishedThisRun}/{toRun} cells, best {PlainSweepProgress.Best(best)}");
        _task.Value = finishedThisRun;
    }
}
