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
    private RunPlan(ResolvedSettings settings, Dataset train, Dataset? validation, string folder, int parameters, IReadOnlyList<string> notes)
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

    /// <summary>The validation images used: the first <c>--val-size</c> test images; null with <c>--val-size 0</c>.</summary>
    public Dataset? Validation { get; }


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
        if (settings.Given.Contains("batch-size") && settings.Integer("batch-size") > train.Count)
            notes.Add($"note: --batch-size {settings.Text("batch-size")} is more than the {train.Count} training images used; one batch holds them all.");
        var validation = valSize == 0 ? null : split.Test.Take(Math.Min(valSize, split.Test.Count));

        var net = ModelSource.Build(settings, train.SampleShape, settings.Seed);
        if (net.OutputShape.Rank != 1 || net.OutputShape.Size != train.Classes)
            throw new UsageException($"{ModelSource.Describe(settings)} outputs {net.OutputShape}, but {settings.Text("dataset")} has {train.Classes} classes; end the network with Dense({train.Classes}) and Softmax.");
        if (settings["test-augment"] is { } testAugment) TestAugment.Parse(testAugment, net.InputShape);
        var plan = new RunPlan(settings, train, validation, data.Folder, net.ParameterCount, notes);
        if (settings.OptionalInteger("batches") is { } batches && batches > train.Count)
            throw new UsageException($"--batches {batches} is more than the {train.Count} training images used; give at most {train.Count}, or --batch-size N instead.");
        if (settings.OptionalInteger("step-every") is { } every && every >= settings.Integer("epochs"))
            throw new UsageException($"--step-every {every} is not less than --epochs {settings.Text("epochs")}: the rate would never step down; give fewer epochs between steps.");
        if (settings.OptionalInteger("early-stopping") is { } patience && !settings.Flag("restore-best") && patience >= settings.Integer("epochs"))
            throw new UsageException($"--early-stopping {patience} with --no-restore-best changes nothing with --epochs {settings.Text("epochs")} (training stops early only when the patience is below the epochs); give a smaller patience or more epochs.");
        plan.TrainingOptions().Validate();
        return plan;
    }

    /// <summary>A new network for the run, seeded with <paramref name="seed"/>.</summary>
    public Network NewNetwork(long seed) => ModelSource.Build(Settings, Train.SampleShape, seed);

    /// <summary>
    /// The engine's training options: every training option of the run in the engine's terms. Each run needs its own
    /// (the optimizer holds state). Options that do not apply to the run keep the engine's defaults.
    /// </summary>
    /// <param name="batchProgress">Receives a report after every batch, or null.</param>
    /// <param name="checkpointPath">The checkpoint written after every epoch and resumed from when it exists (<c>cnn train --out</c>), or null.</param>
    /// <exception cref="UsageException">A value the engine refuses for this run (e.g. a crop as large as the images).</exception>
    public TrainingOptions TrainingOptions(IProgress<BatchReport>? batchProgress = null, string? checkpointPath = null)
    {
        var s = Settings;
        var optimizer = Choices.Optimizer(s.Text("optimizer"));
        return new()
        {
            Epochs = s.Integer("epochs"),
            BatchSize = s.OptionalInteger("batch-size"),
            Batches = s.OptionalInteger("batches"),
            Loss = Choices.Loss(s.Text("loss"), s),
            Optimizer = optimizer.Create(s.Real("eta"), s.Real),
            WeightDecay = optimizer.OwnsWeightDecay ? 0f : s.Real("weight-decay"),
            L2 = s.Real("lambda"),
            L2Style = s["l2-style"] switch { "keras" => L2Style.Keras, "pytorch" => L2Style.PyTorch, _ => L2Style.Report },
            Schedule = Choices.Schedule(s.Text("schedule"), s),
            Augmentation = AugmentSpec.ToAugmentation(s.Text("augment"), Train.SampleShape),
            NormalizeInputs = s.Flag("normalize"),
            ValidationAugmentation = s["test-augment"] is { } testAugment ? TestAugment.Of(testAugment) : TestTimeAugmentation.None,
            ClipGradientNorm = s.OptionalReal("clip"),
            EarlyStopping = s.OptionalInteger("early-stopping") is { } patience ? new EarlyStopping(patience, s.Flag("restore-best")) : null,
            CheckpointPath = checkpointPath,
            BatchProgress = batchProgress,
        };
    }

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
    /// The line <c>cnn train</c> starts with: the recipe and what replaces its settings, model and parameters,
    /// optimizer with its hyper-parameters, weight decay, loss, λ and its style, schedule, augmentation, normalisation,
    /// clipping, early stopping, the data folder actually used with the image counts, batches, epochs and seed. The
    /// options at their defaults that change nothing (no schedule, no augmentation, …) are left out.
    /// </summary>
    /// <param name="recipe">The recipe the run starts from, with the given options that replace its settings, or null.</param>
    public string Header((string Name, IReadOnlyList<string> Overrides)? recipe = null)
    {
        var (batches, size) = BatchPlan;
        var s = Settings;
        var o = TrainingOptions();
        var parts = new List<string>();
        if (recipe is { } r)
            parts.Add($"recipe {r.Name}" + (r.Overrides.Count > 0 ? $" (given: {string.Join(", ", r.Overrides)})" : ""));
        string model = $"{ModelSource.Describe(s)}, {ParameterCount} parameters";
        if (s.Text("init") != "he") model += $", init {s.Text("init")}";
        parts.Add(model);
        parts.Add(o.Optimizer.ToString());
        if (o.WeightDecay != 0) parts.Add($"weight decay {s.Text("weight-decay")}");
        parts.Add($"loss {s.Text("loss")}" + (s["label-smoothing"] is { } ls and not "0" ? $" (label smoothing {ls})" : ""));
        parts.Add($"λ {s.Text("lambda")}" + (s["l2-style"] is { } style and not "report" ? $" ({style} style)" : ""));
        if (o.Schedule is { } schedule) parts.Add($"schedule {schedule.Name}");
        if (o.Augmentation is not null) parts.Add($"augment {s.Text("augment")}");
        if (o.NormalizeInputs) parts.Add("normalize inputs");
        if (o.ValidationAugmentation == TestTimeAugmentation.Mirror) parts.Add("validation averaged with mirror images");
        if (o.ClipGradientNorm is { } clip) parts.Add(string.Create(CultureInfo.InvariantCulture, $"clip gradient norm {clip}"));
        if (o.EarlyStopping is { } stop) parts.Add($"early stopping after {stop.Patience} epochs{(stop.RestoreBest ? ", restoring the best" : "")}");
        parts.Add($"data {DataFolder}: {Train.Count} train / {Validation?.Count ?? 0} val images");
        parts.Add($"{batches} batches of {size} × {s.Text("epochs")} epochs");
        parts.Add($"seed {s.Text("seed")}");
        return "train: " + string.Join(" · ", parts);
    }
}
