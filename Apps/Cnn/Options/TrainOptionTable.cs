using Engine.Data;
using Engine.Training;

namespace Cnn;

/// <summary>
/// Every training option, in the order the help lists them and sweep.json records them. <c>cnn train</c> and
/// <c>cnn sweep</c> take all of them, every one can be a <c>--grid</c> axis, and <see cref="RunSettings"/> says which
/// apply to a run (the rest are refused). A new training option is one entry here plus where the run reads it.
/// </summary>
public static class TrainOptionTable
{
    private static TrainOption Real(string name, string description, string? @default, double min, bool exclusiveMin = false,
        double max = double.PositiveInfinity, bool exclusiveMax = false) =>
        new(name, OptionKind.Real, description)
        {
            Default = @default, Minimum = min, ExclusiveMinimum = exclusiveMin, Maximum = max, ExclusiveMaximum = exclusiveMax,
        };

    private static TrainOption Integer(string name, string description, string? @default, double min) =>
        new(name, OptionKind.Integer, description) { Default = @default, Minimum = min };

    private static TrainOption Choice(string name, string description, string? @default, params IReadOnlyList<string> choices) =>
        new(name, OptionKind.Choice, description) { Default = @default, Choices = choices };

    /// <summary>The options.</summary>
    public static IReadOnlyList<TrainOption> All { get; } =
    [
        Choice("dataset", "mnist, fashion-mnist or cifar10", "mnist", [.. DatasetLocator.Datasets]),
        Integer("train-size", "Use the first N training images", "6000", 1),
        Integer("val-size", "Use the first N test images for validation", "1000", 1),
        Choice("model", $"{string.Join(", ", ModelZoo.Names)}", null, [.. ModelZoo.Names]) with { DefaultText = "paper-cifar for cifar10, else paper-mnist" },
        new TrainOption("model-file", OptionKind.Text, "An architecture in JSON instead of --model (docs/MODEL-FILES.md)"),
        Integer("filters", "paper-mnist: convolution filters", "20", 1),
        Integer("hidden", "paper-mnist: hidden dense neurons (0 = none, as in Fig. 11)", "20", 0),
        Choice("activation", "paper-mnist, paper-cifar: sigmoid, relu or lrelu", "lrelu", "sigmoid", "relu", "lrelu"),
        Choice("pool", "paper-mnist, paper-cifar: max or avg pooling", "max", "max", "avg"),
        Choice("optimizer", string.Join(", ", Choices.Optimizers.Select(o => o.Name)), "adam", [.. Choices.Optimizers.Select(o => o.Name)]),
        Real("eta", "Learning rate η of the optimizer", "0.01", 0, exclusiveMin: true),
        Real("momentum", "Momentum μ (momentum, adagrad-momentum, rmsprop-momentum)", "0.9", 0, max: 1, exclusiveMax: true),
        Real("beta1", "Adam's first-moment decay β1", "0.9", 0, max: 1, exclusiveMax: true),
        Real("beta2", "Adam's second-moment decay β2", "0.999", 0, max: 1, exclusiveMax: true),
        Real("rho", "RMSprop's decay ρ (rmsprop, rmsprop-momentum)", "0.9", 0, max: 1, exclusiveMax: true),
        Real("epsilon", "ε in the denominator (adagrad, rmsprop, adam and their momentum forms)", "1E-08", 0, exclusiveMin: true),
        Choice("loss", string.Join(", ", Choices.Losses.Select(l => l.Name)), "cross-entropy", [.. Choices.Losses.Select(l => l.Name)]),
        Real("lambda", "L2 λ (added to the weights' gradients)", "0.001", 0),
        Integer("epochs", "Epochs", "10", 1),
        Integer("batch-size", "Images per batch", null, 1) with { DefaultText = $"{DefaultBatchSize} unless --batches is given" },
        Integer("batches", "Batches per epoch, as the report counts them (batch size = images / batches; instead of --batch-size)", null, 1),
        Integer("seed", "Seed of the weights and the shuffling", "100", long.MinValue),
    ];

    /// <summary>
    /// The batch size when neither <c>--batch-size</c> nor <c>--batches</c> is given: 30, the report's Fig. 12 batch
    /// (6000 images in 200 batches), so the default run is the report's and any <c>--train-size</c> works.
    /// </summary>
    public const int DefaultBatchSize = 30;

    /// <summary>The option called <paramref name="name"/> (<c>batch-size</c> or <c>batch_size</c>, any case).</summary>
    /// <exception cref="UsageException">No such option; the message lists them.</exception>
    public static TrainOption Get(string name) => Find(name)
        ?? throw new UsageException($"unknown training option '{name}'; the options are {string.Join(", ", All.Select(o => o.Name))}.");

    /// <summary>The option called <paramref name="name"/>, or null.</summary>
    public static TrainOption? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().TrimStart('-').Replace('_', '-').ToLowerInvariant();
        return All.FirstOrDefault(o => o.Name == key);
    }
}
