using Engine.Data;

namespace Engine.Training;

/// <summary>
/// The state of one <see cref="Network.Fit"/> call besides the network and the optimizer: the training order and its
/// generator, how far training has come (epochs, steps), the history, and early stopping's bookkeeping — everything a
/// checkpoint must hold for a resumed run to go on bit for bit.
/// </summary>
internal sealed class TrainingRun
{
    public TrainingRun(Network network, Dataset train, TrainingOptions options)
    {
        Order = new int[train.Count];
        for (int i = 0; i < Order.Length; i++) Order[i] = i;
        Shuffler = SeededRandom.ForStream(options.ShuffleSeed ?? network.Seed, -1);
        if (options.Shuffle == ShuffleMode.Once) Shuffler.Shuffle(Order);
        Best = options.EarlyStopping?.Worst ?? double.NaN;
    }

    /// <summary>The training order, shuffled in place (cumulatively) every epoch.</summary>
    public int[] Order { get; }

    /// <summary>The generator of the shuffles.</summary>
    public SeededRandom Shuffler { get; }

    /// <summary>Epochs finished.</summary>
    public int EpochsDone { get; set; }

    /// <summary>Training steps taken in this run (the schedule's position).</summary>
    public long StepsDone { get; set; }

    /// <summary>The finished epochs' reports.</summary>
    public History History { get; set; } = new();

    /// <summary>Early stopping: the best value of the watched metric so far.</summary>
    public double Best { get; set; }

    /// <summary>Early stopping: the epoch it was reached in (0: none yet).</summary>
    public int BestEpoch { get; set; }

    /// <summary>Early stopping: epochs since the best one.</summary>
    public int Wait { get; set; }

    /// <summary>With restore-best: the parameters and running statistics of the best epoch.</summary>
    public (float[] Parameters, float[] State)? BestWeights { get; set; }
}
