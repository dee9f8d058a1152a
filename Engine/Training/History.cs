using System.Globalization;

namespace Engine.Training;

/// <summary>What one epoch of <see cref="Network.Fit"/> measured.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="Epochs">The number of epochs asked for.</param>
/// <param name="TrainLoss">Mean training loss (see <see cref="TrainingOptions.EvaluateTrainingSet"/>).</param>
/// <param name="TrainAccuracy">Training accuracy in [0, 1].</param>
/// <param name="ValidationLoss">Mean validation loss, or NaN without validation data.</param>
/// <param name="ValidationAccuracy">Validation accuracy in [0, 1], or NaN without validation data.</param>
/// <param name="Elapsed">Wall time of the epoch, evaluation included.</param>
/// <param name="TrainingImagesPerSecond">Training images per second of training-step time (evaluation excluded).</param>
public sealed record EpochReport(
    int Epoch, int Epochs, double TrainLoss, double TrainAccuracy,
    double ValidationLoss, double ValidationAccuracy, TimeSpan Elapsed, double TrainingImagesPerSecond)
{
    /// <summary>The learning rate of the epoch's last step (η, or η times the schedule's factor).</summary>
    public double LearningRate { get; init; } = double.NaN;

    /// <summary>One line, e.g. <c>epoch 3/10 train_loss=0.3120 train_acc=0.9100 val_loss=0.3400 val_acc=0.9000 1.2s 48700 img/s</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string val = double.IsNaN(ValidationAccuracy) ? "" : string.Format(c, " val_loss={0:F4} val_acc={1:F4}", ValidationLoss, ValidationAccuracy);
        return string.Format(c, "epoch {0}/{1} train_loss={2:F4} train_acc={3:F4}{4} {5:F2}s {6:F0} img/s",
            Epoch, Epochs, TrainLoss, TrainAccuracy, val, Elapsed.TotalSeconds, TrainingImagesPerSecond);
    }
}

/// <summary>Progress within an epoch of <see cref="Network.Fit"/>, reported after every training batch (a struct: reporting allocates nothing).</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="Epochs">The number of epochs asked for.</param>
/// <param name="Batch">The batch just finished, from 1.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean loss of that batch.</param>
/// <param name="EpochElapsed">Wall time since the epoch started.</param>
/// <param name="ImagesDone">Training images processed so far in this epoch.</param>
public readonly record struct BatchReport(int Epoch, int Epochs, int Batch, int Batches, double Loss, TimeSpan EpochElapsed, int ImagesDone)
{
    /// <summary>Training images per second so far in this epoch.</summary>
    public double ImagesPerSecond => ImagesDone / Math.Max(EpochElapsed.TotalSeconds, 1e-9);
}

/// <summary>How a <see cref="Network.Fit"/> call ended.</summary>
public enum TrainingStatus
{
    /// <summary>All epochs ran.</summary>
    Completed,
    /// <summary>The loss became NaN or infinite; training stopped before applying that step (the weights are those of the last finite step).</summary>
    Diverged,
    /// <summary>Early stopping ended training: the validation metric stopped improving.</summary>
    Stopped,
    /// <summary>The cancellation token fired; training stopped at a batch boundary.</summary>
    Cancelled,
}

/// <summary>The per-epoch record of one <see cref="Network.Fit"/> call.</summary>
public sealed class History
{
    private readonly List<EpochReport> _epochs = new();

    /// <summary>One report per finished epoch, in order.</summary>
    public IReadOnlyList<EpochReport> Epochs => _epochs;

    /// <summary>The last finished epoch.</summary>
    /// <exception cref="InvalidOperationException">No epoch finished (e.g. divergence or cancellation in the first one).</exception>
    public EpochReport Last => _epochs.Count > 0 ? _epochs[^1] : throw new InvalidOperationException($"No epoch finished (status {Status}).");

    /// <summary>The epoch with the highest validation accuracy (the first of equals), or null without validation data.</summary>
    public EpochReport? Best => _epochs.Where(e => !double.IsNaN(e.ValidationAccuracy)).OrderByDescending(e => e.ValidationAccuracy).ThenBy(e => e.Epoch).FirstOrDefault();

    /// <summary>Whether training completed, diverged, stopped early or was cancelled.</summary>
    public TrainingStatus Status { get; internal set; } = TrainingStatus.Completed;

    /// <summary>Wall time of the whole call.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>Training images processed per second of training-step time over all epochs.</summary>
    public double TrainingImagesPerSecond { get; internal set; }

    internal void Add(EpochReport report) => _epochs.Add(report);
}

/// <summary>Loss and accuracy of a network over a dataset.</summary>
/// <param name="Loss">Mean loss per image.</param>
/// <param name="Accuracy">Fraction of images whose highest output is the label (ties go to the lowest class).</param>
/// <param name="Count">Number of images evaluated.</param>
public sealed record Metrics(double Loss, double Accuracy, int Count)
{
    /// <summary>Counts of (label, predicted class) over the evaluated images; null for metrics taken from training batches.</summary>
    public ConfusionMatrix? ConfusionMatrix { get; init; }

    /// <summary>Per class, the fraction of its images predicted as that class (NaN for a class with no images); empty without a confusion matrix.</summary>
    public IReadOnlyList<double> PerClassAccuracy => ConfusionMatrix?.PerClassAccuracy ?? [];
}

/// <summary>How often images of each class (rows: the label) were predicted as each class (columns). Equal when all counts are.</summary>
public sealed class ConfusionMatrix : IEquatable<ConfusionMatrix>
{
    private readonly long[] _counts;

    /// <summary>An all-zero matrix for <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1.</exception>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        _counts = new long[(long)classes * classes];
    }

    /// <summary>The number of classes K (the matrix is K×K).</summary>
    public int Classes { get; }

    /// <summary>Images with label <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="IndexOutOfRangeException">A class is outside 0..K−1.</exception>
    public long this[int actual, int predicted] => _counts[Index(actual, predicted)];

    /// <summary>Images with label <paramref name="actual"/> (the row sum).</summary>
    public long Total(int actual)
    {
        long sum = 0;
        for (int p = 0; p < Classes; p++) sum += this[actual, p];
        return sum;
    }

    /// <summary>Per class: correct / images of that class (NaN when the class has none).</summary>
    public IReadOnlyList<double> PerClassAccuracy
    {
        get
        {
            var result = new double[Classes];
            for (int k = 0; k < Classes; k++)
            {
                long total = Total(k);
                result[k] = total == 0 ? double.NaN : this[k, k] / (double)total;
            }
            return result;
        }
    }

    /// <inheritdoc />
    public bool Equals(ConfusionMatrix? other) => other is not null && other.Classes == Classes && other._counts.AsSpan().SequenceEqual(_counts);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ConfusionMatrix);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Classes);
        foreach (long count in _counts) hash.Add(count);
        return hash.ToHashCode();
    }

    /// <summary>Counts one image of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    internal void Add(int actual, int predicted) => _counts[Index(actual, predicted)]++;

    private int Index(int actual, int predicted)
    {
        if ((uint)actual >= (uint)Classes || (uint)predicted >= (uint)Classes)
            throw new IndexOutOfRangeException($"Classes are 0..{Classes - 1}, not ({actual}, {predicted}).");
        return actual * Classes + predicted;
    }
}
