using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Training;

namespace Cnn;

/// <summary>
/// One training run resolved against its data, all checked before any training: the data subsets, the network the run
/// builds (built once here, so a shape mistake surfaces now) and the engine's training options (batches against the
/// images used, the optimizer's hyper-parameters). Every mistake is a <see cref="UsageException"/> in option terms.
/// </summary>
public sealed class RunPlan
{
    private RunPlan(ResolvedSettings settings, Dataset train, Dataset validation, string folder, int parameters, IReadOnlyList<string> notes)
    {
        Settings = settings;
        Train = train;
        Validation = validation;
        DataFolder = folder;
        ParameterCount = parameters;
        Notes = notes;
    }

    /// <summary>The run's options.</summary>
    public ResolvedSettings Settings { get; }

    /// <summary>The training images used: the first <c>--train-size</c> (or all, when the dataset holds fewer).</summary>
    public Dataset Train { get; }

    /// <summary>The validation images used: the first <c>--val-size</c> test images.</summary>
    public Dataset Validation { get; }

    /// <summary>The dataset folder the images came from.</summary>
    public string DataFolder { get; }

    /// <summary>The network's trainable parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Notes for the user, e.g. that fewer images were used than asked for.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Resolves <paramref name="settings"/> against <paramref name="data"/> and checks everything a run needs.</summary>
    /// <exception cref="UsageException">The model does not fit the data, or the batches do not fit the images.</exception>
    /// <exception cref="Engine.Serialization.ModelFileException">The <c>--model-file</c> is wrong (the message names the line).</exception>
    public static RunPlan Prepare(ResolvedSettings settings, LoadedData data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        var split = data.Split;
        int trainSize = settings.Integer("train-size"), valSize = settings.Integer("val-size");
        var notes = new List<string>();
        if (split.Train.Count < trainSize || split.Test.Count < valSize)
            notes.Add($"note: {trainSize} training and {valSize} validation images were asked for; {split.Train.Name} has {split.Train.Count} and {split.Test.Name} {split.Test.Count}, so fewer are used.");
        var train = split.Train.Take(Math.Min(trainSize, split.Train.Count));
        var validation = split.Test.Take(Math.Min(valSize, split.Test.Count));

        var net = ModelSource.Build(settings, train.SampleShape, settings.Seed);
        if (net.OutputShape.Rank != 1 || net.OutputShape.Size != train.Classes)
            throw new UsageException($"{ModelSource.Describe(settings)} outputs {net.OutputShape}, but {settings.Text("dataset")} has {train.Classes} classes; end the network with Dense({train.Classes}) and Softmax.");
        var plan = new RunPlan(settings, train, validation, data.Folder, net.ParameterCount, notes);
        if (settings.OptionalInteger("batches") is { } batches && batches > train.Count)
            throw new UsageException($"--batches {batches} is more than the {train.Count} training images used; give at most {train.Count}, or --batch-size N instead.");
        plan.TrainingOptions().Validate();
        return plan;
    }

    /// <summary>A new network for the run, seeded with <paramref name="seed"/>.</summary>
    public Network NewNetwork(long seed) => ModelSource.Build(Settings, Train.SampleShape, seed);

    /// <summary>
    /// The engine's training options: epochs, batch size or batches, loss, a new optimizer (each run needs its own:
    /// it holds state), L2, and the batch progress receiver.
    /// </summary>
    public TrainingOptions TrainingOptions(IProgress<BatchReport>? batchProgress = null) => new()
    {
        Epochs = Settings.Integer("epochs"),
        BatchSize = Settings.OptionalInteger("batch-size"),
        Batches = Settings.OptionalInteger("batches"),
        Loss = Choices.Loss(Settings.Text("loss")),
        Optimizer = Choices.Optimizer(Settings.Text("optimizer")).Create(Settings.Real("eta"), Settings.Real),
        L2 = Settings.Real("lambda"),
        BatchProgress = batchProgress,
    };

    /// <summary>Batches per epoch and images per batch, as the engine splits the training images.</summary>
    public (int Batches, int Size) BatchPlan
    {
        get
        {
            int count = Train.Count;
            if (Settings.OptionalInteger("batches") is { } batches) return (batches, count / batches);
            int size = Math.Min(Settings.Integer("batch-size"), count);
            return ((count + size - 1) / size, size);
        }
    }

    /// <summary>
    /// The line <c>cnn train</c> starts with: model and parameters, optimizer with its hyper-parameters, loss, λ, the
    /// data folder actually used with the image counts, batches, epochs and seed.
    /// </summary>
    public string Header()
    {
        var (batches, size) = BatchPlan;
        var s = Settings;
        return string.Create(CultureInfo.InvariantCulture,
            $"train: {ModelSource.Describe(s)}, {ParameterCount} parameters · {TrainingOptions().Optimizer} · loss {s.Text("loss")} · λ {s.Text("lambda")} · " +
            $"data {DataFolder}: {Train.Count} train / {Validation.Count} val images · {batches} batches of {size} × {s.Text("epochs")} epochs · seed {s.Text("seed")}");
    }
}
