namespace Engine.Training;

/// <summary>Which validation metric <see cref="EarlyStopping"/> watches.</summary>
public enum StoppingMetric
{
    /// <summary>The validation loss (lower is better).</summary>
    ValidationLoss,
    /// <summary>The validation accuracy (higher is better).</summary>
    ValidationAccuracy,
}

/// <summary>
/// Stops <see cref="Network.Fit"/> after <see cref="Patience"/> epochs without an improvement of the watched validation metric
/// by more than <see cref="MinDelta"/>, and, with <see cref="RestoreBest"/>, puts back the parameters and running statistics of
/// the best epoch when training ends (stopped early or not). The history's status is then <see cref="TrainingStatus.Stopped"/>.
/// </summary>
/// <param name="patience">Epochs without improvement tolerated, at least 1.</param>
/// <param name="restoreBest">Whether training ends with the best epoch's weights.</param>
public sealed class EarlyStopping(int patience = 5, bool restoreBest = true)
{
    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; } = patience >= 1 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must be at least 1 epoch.");

    /// <summary>Whether training ends with the best epoch's weights.</summary>
    public bool RestoreBest { get; } = restoreBest;

    /// <summary>The metric watched (default the validation loss).</summary>
    public StoppingMetric Metric { get; init; } = StoppingMetric.ValidationLoss;

    /// <summary>How much better a metric must be to count as an improvement (default 0).</summary>
    public double MinDelta { get; init; }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/>.</summary>
    internal bool Improves(double value, double best) => Metric == StoppingMetric.ValidationLoss
        ? value < best - MinDelta
        : value > best + MinDelta;

    /// <summary>The worst possible value of the metric (what the first epoch always beats).</summary>
    internal double Worst => Metric == StoppingMetric.ValidationLoss ? double.PositiveInfinity : double.NegativeInfinity;

    /// <summary>The watched metric of an epoch.</summary>
    internal double Of(EpochReport report) => Metric == StoppingMetric.ValidationLoss ? report.ValidationLoss : report.ValidationAccuracy;

    /// <inheritdoc />
    public override string ToString() => $"early-stopping(patience={Patience}, restore={RestoreBest}, {Metric}, min-delta={MinDelta})";
}
