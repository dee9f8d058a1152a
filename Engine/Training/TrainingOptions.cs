using Engine.Losses;
using Engine.Optimizers;

namespace Engine.Training;

/// <summary>How <see cref="Network.Fit"/> trains: epochs, batching, loss, optimizer, L2 and shuffling.</summary>
public sealed class TrainingOptions
{
    /// <summary>Passes over the training data (default 10).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per batch; the last batch of an epoch may be smaller. Set this or <see cref="Batches"/>, not both (default 32 when neither is set).</summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// The number of batches per epoch, as the report specifies it: batch size = count / Batches
    /// (rounded down) and the last batch takes the remainder.
    /// </summary>
    public int? Batches { get; init; }

    /// <summary>The loss to minimise (default <see cref="CrossEntropy"/>).</summary>
    public Loss Loss { get; init; } = new CrossEntropy();

    /// <summary>The update rule (default <c>Adam(0.001)</c>). Its state is reset at the start of each <see cref="Network.Fit"/>.</summary>
    public Optimizer Optimizer { get; init; } = new Adam(0.001f);

    /// <summary>L2 regularisation λ: λ·w is added to each weight's gradient (not to biases). Default 0.</summary>
    public float L2 { get; init; }

    /// <summary>When the training order is shuffled (default every epoch).</summary>
    public ShuffleMode Shuffle { get; init; } = ShuffleMode.EveryEpoch;

    /// <summary>Seed of the shuffling; null uses the network's seed.</summary>
    public long? ShuffleSeed { get; init; }

    /// <summary>
    /// If true, the training loss and accuracy of each epoch are measured by a full pass over the training
    /// set after the epoch (as the report did); if false (default) they are the means over the epoch's batches.
    /// </summary>
    public bool EvaluateTrainingSet { get; init; }

    /// <summary>Receives a <see cref="BatchReport"/> after every training batch (e.g. for a live progress bar); null for none.</summary>
    public IProgress<BatchReport>? BatchProgress { get; init; }

    /// <summary>Batch size used for evaluation passes (default 256).</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"{nameof(Epochs)} must be at least 1, not {Epochs}.");
        if (BatchSize is not null && Batches is not null)
            throw new ArgumentException($"Set {nameof(BatchSize)} or {nameof(Batches)}, not both.");
        if (BatchSize is < 1) throw new ArgumentException($"{nameof(BatchSize)} must be at least 1, not {BatchSize}.");
        if (Batches is < 1) throw new ArgumentException($"{nameof(Batches)} must be at least 1, not {Batches}.");
        if (!(L2 >= 0) || !float.IsFinite(L2)) throw new ArgumentException($"{nameof(L2)} must be a finite number ≥ 0, not {L2}.");
        if (EvaluationBatchSize < 1) throw new ArgumentException($"{nameof(EvaluationBatchSize)} must be at least 1.");
        ArgumentNullException.ThrowIfNull(Loss, nameof(Loss));
        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
    }

    /// <summary>The batch sizes of one epoch over <paramref name="count"/> images: (regular size, number of batches, size of the last).</summary>
    internal (int Size, int Count, int Last) BatchPlan(int count)
    {
        if (Batches is { } batches)
        {
            if (batches > count)
                throw new ArgumentException($"{nameof(Batches)} = {batches} is more than the {count} training images.");
            int size = count / batches;
            return (size, batches, count - (batches - 1) * size);
        }
        int bs = Math.Min(BatchSize ?? 32, count);
        int n = (count + bs - 1) / bs;
        return (bs, n, count - (n - 1) * bs);
    }
}

/// <summary>When <see cref="Network.Fit"/> shuffles the training order.</summary>
public enum ShuffleMode
{
    /// <summary>A new seeded permutation every epoch (the usual practice).</summary>
    EveryEpoch,
    /// <summary>One seeded permutation before the first epoch, kept for all epochs (what the report's code did).</summary>
    Once,
    /// <summary>The dataset's own order.</summary>
    None,
}
