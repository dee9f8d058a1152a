using System.Globalization;
using Engine.Training;
using Spectre.Console;

namespace Cnn;

/// <summary>
/// What the live bars of <c>cnn train</c> show after a batch: one bar for the current epoch (its percentage is of that
/// epoch's batches) and one for the whole run (its percentage and time left are of all epochs), each labelled, so
/// every percentage means one thing.
/// </summary>
/// <param name="EpochLabel">E.g. <c>epoch 3/10 · loss 0.3120 · 48700 img/s</c>.</param>
/// <param name="EpochFraction">Batches done in this epoch / batches per epoch.</param>
/// <param name="RunLabel">E.g. <c>all 10 epochs</c>.</param>
/// <param name="RunFraction">Epochs done, counting the current one's batches, / epochs.</param>
public sealed record TrainProgressState(string EpochLabel, double EpochFraction, string RunLabel, double RunFraction)
{
    /// <summary>The bars' state after <paramref name="report"/>.</summary>
    public static TrainProgressState After(BatchReport report)
    {
        double epoch = report.Batches == 0 ? 1 : report.Batch / (double)report.Batches;
        return new TrainProgressState(
            string.Format(CultureInfo.InvariantCulture, "epoch {0}/{1} · loss {2:F4} · {3:F0} img/s", report.Epoch, report.Epochs, report.Loss, report.ImagesPerSecond),
            epoch,
            string.Create(CultureInfo.InvariantCulture, $"all {report.Epochs} epochs"),
            (report.Epoch - 1 + epoch) / report.Epochs);
    }
}

/// <summary>Training with the live bars of <see cref="TrainProgressState"/>; the epoch lines print above them.</summary>
internal static class TrainProgress
{
    /// <summary>True when live bars can be drawn: an interactive terminal, output not redirected.</summary>
    public static bool Supported =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="fit"/> (given the batch progress receiver and the epoch line writer) under the bars.</summary>
    public static History Run(Func<IProgress<BatchReport>, IProgress<EpochReport>, History> fit)
    {
        History history = null!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var epochTask = context.AddTask("starting", maxValue: 1);
                var runTask = context.AddTask("all epochs", maxValue: 1);
                var batches = new Synchronous<BatchReport>(r =>
                {
                    var state = TrainProgressState.After(r);
                    epochTask.Description = Markup.Escape(state.EpochLabel);
                    epochTask.Value = state.EpochFraction;
                    runTask.Description = Markup.Escape(state.RunLabel);
                    runTask.Value = state.RunFraction;
                });
                history = fit(batches, new Synchronous<EpochReport>(r => AnsiConsole.WriteLine(r.ToString())));
            });
        return history;
    }
}

/// <summary>Reports on the calling thread, at once (<see cref="System.Progress{T}"/> would post to the thread pool and reorder lines).</summary>
public sealed class Synchronous<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
