using Engine.Data;
using System.CommandLine;
using Engine.Optimizers;
using Engine.Training;

namespace Cnn;

/// <summary>
/// The training options <c>cnn train</c> and <c>cnn sweep</c> share (data, model, optimizer, epochs, batches, seed),
/// declared, validated and read in one place, so a new training option is added once.
/// </summary>
public sealed class TrainingOptionsSet
{
    /// <summary>The options; <paramref name="perCell"/> words the descriptions for a sweep (one model per cell).</summary>
    public TrainingOptionsSet(bool perCell = false)
    {
        Dataset.AcceptOnlyFromAmong("mnist", "fashion-mnist", "cifar10");
        Model.AcceptOnlyFromAmong([.. ModelZoo.Names]);
        Activation.AcceptOnlyFromAmong("sigmoid", "relu", "lrelu");
        Pool.AcceptOnlyFromAmong("max", "avg");
        if (perCell)
        {
            Epochs.Description = "Epochs per cell";
            Seed.Description = "Seed of weights and shuffling, the same for every cell";
        }
        foreach (var option in new[] { TrainSize, ValidationSize, Filters, Epochs })
            OptionRules.AtLeast(option, 1);
        OptionRules.AtLeast(Hidden, 0);
        OptionRules.AtLeast(BatchSize, 1);
        OptionRules.AtLeast(Batches, 1);
        OptionRules.Positive(Eta);
        OptionRules.AtLeast(Lambda, 0f);
    }

    /// <summary><c>--dataset</c>: mnist, fashion-mnist or cifar10.</summary>
    public Option<string> Dataset { get; } = new("--dataset") { Description = "mnist, fashion-mnist or cifar10", DefaultValueFactory = _ => "mnist" };

    /// <summary><c>--data-dir</c>: the folder holding the dataset folders.</summary>
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Folder holding the dataset folders (default: $ENGINE_DATASETS, then ./datasets); a missing dataset is downloaded there" };

    /// <summary><c>--train-size</c>: the first N training images.</summary>
    public Option<int> TrainSize { get; } = new("--train-size") { Description = "Use the first N training images", DefaultValueFactory = _ => 6000 };

    /// <summary><c>--val-size</c>: the first N test images, for validation.</summary>
    public Option<int> ValidationSize { get; } = new("--val-size") { Description = "Use the first N test images for validation", DefaultValueFactory = _ => 1000 };

    /// <summary><c>--model</c>: a name from <see cref="ModelZoo.Names"/>.</summary>
    public Option<string> Model { get; } = new("--model") { Description = "paper-mnist, paper-cifar, lenet5 or cifar-convnet (default: the report's model for the dataset)" };

    /// <summary><c>--filters</c>: convolution filters of paper-mnist.</summary>
    public Option<int> Filters { get; } = new("--filters") { Description = "paper-mnist: convolution filters", DefaultValueFactory = _ => 20 };

    /// <summary><c>--hidden</c>: hidden dense neurons of paper-mnist (0 = none).</summary>
    public Option<int> Hidden { get; } = new("--hidden") { Description = "paper-mnist: hidden dense neurons (0 = none, as in Fig. 11)", DefaultValueFactory = _ => 20 };

    /// <summary><c>--activation</c>: sigmoid, relu or lrelu.</summary>
    public Option<string> Activation { get; } = new("--activation") { Description = "sigmoid, relu or lrelu", DefaultValueFactory = _ => "lrelu" };

    /// <summary><c>--pool</c>: max or avg.</summary>
    public Option<string> Pool { get; } = new("--pool") { Description = "max or avg", DefaultValueFactory = _ => "max" };

    /// <summary><c>--eta</c>: Adam's learning rate.</summary>
    public Option<float> Eta { get; } = new("--eta") { Description = "Adam learning rate", DefaultValueFactory = _ => 0.01f };

    /// <summary><c>--lambda</c>: the L2 λ.</summary>
    public Option<float> Lambda { get; } = new("--lambda") { Description = "L2 λ", DefaultValueFactory = _ => 0.001f };

    /// <summary><c>--epochs</c>.</summary>
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 10 };

    /// <summary><c>--batch-size</c>: images per batch.</summary>
    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "Images per batch" };

    /// <summary><c>--batches</c>: batches per epoch, as the report counts them.</summary>
    public Option<int?> Batches { get; } = new("--batches") { Description = "Batches per epoch, as the report specifies (default 200 when --batch-size is not given)" };

    /// <summary><c>--seed</c>: seed of the weights and the shuffling.</summary>
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of weights and shuffling", DefaultValueFactory = _ => 100 };

    /// <summary>Every option, in the order <c>--help</c> lists them.</summary>
    public IReadOnlyList<Option> All =>
        [Dataset, DataDir, TrainSize, ValidationSize, Model, Filters, Hidden, Activation, Pool, Eta, Lambda, Epochs, BatchSize, Batches, Seed];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The model name given, or the report's model for the dataset (paper-cifar for cifar10, else paper-mnist).</summary>
    public string ModelName(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(Model) ?? (parse.GetValue(Dataset) == "cifar10" ? "paper-cifar" : "paper-mnist");
    }

    /// <summary>The paper models' variant: filters, hidden neurons, activation and pooling.</summary>
    public ModelZoo.Variant Variant(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new ModelZoo.Variant(parse.GetValue(Filters), parse.GetValue(Hidden), parse.GetValue(Activation)!, parse.GetValue(Pool)!);
    }

    /// <summary>
    /// The fixed training options of a sweep (or of one run): every option above except <c>--data-dir</c>, with the model resolved.
    /// </summary>
    public SweepConfiguration Configuration(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var variant = Variant(parse);
        return new SweepConfiguration(parse.GetValue(Dataset)!, parse.GetValue(TrainSize), parse.GetValue(ValidationSize), ModelName(parse),
            variant.Filters, variant.Hidden, variant.Activation, variant.Pool,
            parse.GetValue(Eta), parse.GetValue(Lambda), parse.GetValue(Epochs), parse.GetValue(BatchSize), parse.GetValue(Batches), parse.GetValue(Seed));
    }

    /// <summary>
    /// The engine's training options for <paramref name="configuration"/> with η <paramref name="eta"/> and λ
    /// <paramref name="lambda"/>: Adam (β 0.9/0.999), and 200 batches per epoch when neither a batch size nor a batch count is set.
    /// </summary>
    public static TrainingOptions ToTrainingOptions(SweepConfiguration configuration, float eta, float lambda, IProgress<BatchReport>? batchProgress = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new TrainingOptions
        {
            Epochs = configuration.Epochs,
            BatchSize = configuration.BatchSize,
            Batches = configuration.BatchSize is null ? configuration.Batches ?? 200 : configuration.Batches,
            Optimizer = new Adam(eta, beta1: 0.9f, beta2: 0.999f),
            L2 = lambda,
            BatchProgress = batchProgress,
        };
    }

    /// <summary>
    /// The first <paramref name="trainSize"/> training and <paramref name="validationSize"/> test images of
    /// <paramref name="data"/> (the report's subsets); when the dataset holds fewer, all of them, with a note on
    /// <paramref name="log"/> saying so.
    /// </summary>
    public static (Dataset Train, Dataset Validation) Subsets(TrainTestSplit data, int trainSize, int validationSize, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(log);
        if (data.Train.Count < trainSize || data.Test.Count < validationSize)
            log.WriteLine($"note: {trainSize} training and {validationSize} validation images were asked for; " +
                $"{data.Train.Name} has {data.Train.Count} and {data.Test.Name} {data.Test.Count}, so fewer are used.");
        return (data.Train.Take(Math.Min(trainSize, data.Train.Count)), data.Test.Take(Math.Min(validationSize, data.Test.Count)));
    }
}
