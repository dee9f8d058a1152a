using System.Globalization;
using System.Text;
using Engine.Training;
using ScottPlot;

namespace Cnn;

/// <summary>One training run's history: its seed and the engine's per-epoch record.</summary>
/// <param name="Seed">The network's seed.</param>
/// <param name="History">What each epoch measured, the learning rate of its last step included.</param>
public sealed record RunHistory(long Seed, History History)
{
    /// <summary>The first epoch with the highest validation accuracy, or null without validation data or epochs.</summary>
    public (int Epoch, double Accuracy)? Best
    {
        get
        {
            (int, double)? best = null;
            foreach (var e in History.Epochs)
                if (double.IsFinite(e.ValidationAccuracy) && (best is null || e.ValidationAccuracy > best.Value.Item2))
                    best = (e.Epoch, e.ValidationAccuracy);
            return best;
        }
    }
}

/// <summary>
/// Per-epoch files of training runs: <c>history.csv</c> (one row per epoch: train and validation loss and accuracy,
/// the learning rate of the epoch's last step, seconds) and <c>curves.png</c> (loss and accuracy per epoch, training and validation).
/// </summary>
public static class HistoryFiles
{
    /// <summary>The history file of <c>cnn train --out DIR</c>.</summary>
    public const string CsvName = "history.csv";

    /// <summary>The curves of <c>cnn train --out DIR</c>.</summary>
    public const string CurvesName = "curves.png";

    /// <summary>The CSV header.</summary>
    public const string Header = "seed,epoch,train_loss,train_acc,val_loss,val_acc,learning_rate,seconds";

    /// <summary>The CSV text of <paramref name="runs"/>: <see cref="Header"/>, then one row per epoch of each run in order.</summary>
    public static string Csv(IEnumerable<RunHistory> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var run in runs)
            foreach (var e in run.History.Epochs)
                sb.Append(run.Seed.ToString(c)).Append(',').Append(e.Epoch.ToString(c)).Append(',')
                  .Append(Number(e.TrainLoss)).Append(',').Append(Number(e.TrainAccuracy)).Append(',')
                  .Append(Number(e.ValidationLoss)).Append(',').Append(Number(e.ValidationAccuracy)).Append(',')
                  .Append(double.IsFinite(e.LearningRate) ? TrainOption.FormatFloat((float)e.LearningRate) : "").Append(',').Append(e.Elapsed.TotalSeconds.ToString("F3", c)).Append('\n');
        return sb.ToString();
    }

    /// <summary>A metric in shortest round-trip form; NaN or infinite as an empty field.</summary>
    public static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    /// <summary>Writes <see cref="CsvName"/> and <see cref="CurvesName"/> of <paramref name="run"/> into <paramref name="folder"/>; returns the paths.</summary>
    public static IReadOnlyList<string> Write(string folder, RunHistory run, string title)
    {
        ArgumentNullException.ThrowIfNull(run);
        string csv = Path.Combine(folder, CsvName), png = Path.Combine(folder, CurvesName);
        SweepFiles.WriteAtomically(csv, Encoding.UTF8.GetBytes(Csv([run])));
        RenderCurves(run.History, title, png);
        return [csv, png];
    }

    /// <summary>Draws loss (left axis) and accuracy (right axis) per epoch, training solid and validation dashed.</summary>
    public static void RenderCurves(History history, string title, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(history);
        Heatmap.UseBundledFont();
        using var plot = new Plot();
        double[] epochs = [.. history.Epochs.Select(e => (double)e.Epoch)];
        void Line(Func<EpochReport, double> value, string label, Color color, bool dashed, bool right)
        {
            double[] ys = [.. history.Epochs.Select(value)];
            if (ys.Length == 0 || ys.All(double.IsNaN)) return;
            var line = plot.Add.Scatter(epochs, ys, color);
            line.LegendText = label;
            line.LineWidth = 2;
            if (dashed) line.LinePattern = LinePattern.Dashed;
            if (right) line.Axes.YAxis = plot.Axes.Right;
        }
        Line(e => e.TrainLoss, "train loss", Colors.C0, false, false);
        Line(e => e.ValidationLoss, "val loss", Colors.C0, true, false);
        Line(e => e.TrainAccuracy, "train accuracy", Colors.C1, false, true);
        Line(e => e.ValidationAccuracy, "val accuracy", Colors.C1, true, true);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy";
        plot.Title(title, Heatmap.TitleFontSize(title));
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(pngPath, Heatmap.Width, Heatmap.Height);
    }
}
