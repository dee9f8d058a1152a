using Engine.Losses;
using Engine.Optimizers;

namespace Engine.Training;

/// <summary>How <see cref="Network.Fit"/> trains: epochs, batching, loss, optimizer, regularisation, schedule, augmentation,
/// early stopping and checkpoints.</summary>
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

    /// <summary>L2 regularisation λ, in the meaning <see cref="L2Style"/> gives it (by default the report's: λ·w is added to each
    /// weight's gradient, not to biases). Default 0.</summary>
    public float L2 { get; init; }

    /// <summary>What <see cref="L2"/> means: the report's, Keras's or PyTorch's (see <see cref="Training.L2Style"/>).</summary>
    public L2Style L2Style { get; init; } = L2Style.Report;

    /// <summary>
    /// Decoupled weight decay: each step every weight (kernels — not biases, not batch-norm parameters) becomes w·(1 − lr·wd)
    /// before the optimizer's rule, lr being the step's learning rate (PyTorch's AdamW/SGDW meaning). Default 0; it adds to an
    /// <c>AdamW</c>'s own decay.
    /// </summary>
    public float WeightDecay { get; init; }

    /// <summary>How the learning rate changes, step by step, as a factor of the optimizer's η; null keeps η.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>When set, the gradients of a step are scaled down so their global L2 norm is at most this (computed in one fixed order).</summary>
    public float? ClipGradientNorm { get; init; }

    /// <summary>Stops training when the validation metric stops improving (needs validation data); null trains every epoch.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>
    /// A file written atomically after every epoch with everything training needs to go on (weights, running statistics,
    /// optimizer state, shuffling and schedule position, early-stopping state, history). A Fit with the same network, data and
    /// options resumes from it, with results bit-identical to an uninterrupted run; different ones are refused with a
    /// <see cref="Engine.Serialization.CheckpointMismatchException"/> naming the first setting that differs.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Random crops and flips of the training batches (never of evaluation data); null for none.</summary>
    public Augmentation? Augmentation { get; init; }

    /// <summary>
    /// Whether Fit first computes the per-channel mean and standard deviation of the training images and normalises every input
    /// with them (kept with the model, so Predict and Evaluate apply them too). Ignored when the network already normalises.
    /// </summary>
    public bool NormalizeInputs { get; init; }

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

    /// <summary>
    /// How the validation pass after each epoch takes each image's output (default <see cref="TestTimeAugmentation.None"/>;
    /// <see cref="TestTimeAugmentation.Mirror"/> averages it with the mirror image's). Changes the validation figures, and so
    /// what <see cref="EarlyStopping"/> watches, never the training itself.
    /// </summary>
    public TestTimeAugmentation ValidationAugmentation { get; init; }

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
        if (!Enum.IsDefined(ValidationAugmentation)) throw new ArgumentException($"Unknown {nameof(ValidationAugmentation)} {ValidationAugmentation}.");
        if (!Enum.IsDefined(L2Style)) throw new ArgumentException($"Unknown {nameof(L2Style)} {L2Style}.");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw new ArgumentException($"{nameof(WeightDecay)} must be a finite number ≥ 0, not {WeightDecay}.");
        if (ClipGradientNorm is { } clip && (!(clip > 0) || !float.IsFinite(clip)))
            throw new ArgumentException($"{nameof(ClipGradientNorm)} must be a positive finite number, not {clip}.");
        if (CheckpointPath is { Length: 0 }) throw new ArgumentException($"{nameof(CheckpointPath)} is empty.");
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

/// <summary>The meaning of <see cref="TrainingOptions.L2"/> (λ), so a figure can be reproduced in a framework's own terms.</summary>
public enum L2Style
{
    /// <summary>The report's: λ·w added to the gradient of each weight (kernels), not of biases; the loss is not changed.</summary>
    Report,
    /// <summary>Keras's <c>kernel_regularizer=l2(λ)</c>: λ·Σw² over the kernels added to the loss, so 2λ·w to their gradients
    /// (the training loss reported includes the penalty).</summary>
    Keras,
    /// <summary>PyTorch's coupled <c>weight_decay=λ</c>: λ·w added to the gradient of every parameter, biases and batch-norm parameters included.</summary>
    PyTorch,
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
