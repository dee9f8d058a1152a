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

    private static TrainOption Flag(string name, string description, string @default) =>
        new(name, OptionKind.Choice, description) { Default = @default, Choices = ["true", "false"], IsFlag = true, ValueName = "true|false" };

    private static IReadOnlyList<string> Names<T>(IEnumerable<ParameterizedChoice<T>> choices) => [.. choices.Select(c => c.Name)];

    /// <summary>
    /// The options. An option's rules may read only options above it (they are resolved in this order): a choice comes
    /// before the options its values take (optimizer before momentum, schedule before warmup).
    /// </summary>
    public static IReadOnlyList<TrainOption> All { get; } =
    [
        Choice("dataset", "mnist, fashion-mnist or cifar10", "mnist", [.. DatasetLocator.Datasets]),
        Integer("train-size", "Use the first N training images", "6000", 1),
        Integer("val-size", "Use the first N test images for validation (0: no validation)", "1000", 0),
        Choice("model", $"{string.Join(", ", ModelZoo.Names)}", null, [.. ModelZoo.Names]) with { DefaultText = "paper-cifar for cifar10, else paper-mnist" },
        new TrainOption("model-file", OptionKind.Text, "An architecture in JSON instead of --model (docs/MODEL-FILES.md)") { ValueName = "FILE" },
        Integer("filters", "paper-mnist: convolution filters", "20", 1),
        Integer("hidden", "paper-mnist: hidden dense neurons (0 = none, as in Fig. 11)", "20", 0),
        Choice("activation", "paper-mnist, paper-cifar: sigmoid, relu or lrelu", "lrelu", "sigmoid", "relu", "lrelu"),
        Choice("pool", "paper-mnist, paper-cifar: max or avg pooling", "max", "max", "avg"),
        Real("dropout", "The rate of every Dropout layer of the model (bn-convnet, or a --model-file with Dropout layers)", null, 0, max: 1, exclusiveMax: true)
            with { DefaultText = "the model's own" },
        Choice("init", "Weight initialisation of the layers without their own: " + string.Join(", ", Choices.Inits.Select(i => i.Name)), "he", [.. Choices.Inits.Select(i => i.Name)]),
        Choice("optimizer", string.Join(", ", Choices.Optimizers.Select(o => o.Name)), "adam", [.. Choices.Optimizers.Select(o => o.Name)]),
        Real("eta", "Learning rate η of the optimizer (the peak rate with a --schedule)", "0.01", 0, exclusiveMin: true),
        Real("momentum", "Momentum μ (momentum, nesterov, adagrad-momentum, rmsprop-momentum)", "0.9", 0, max: 1, exclusiveMax: true),
        Real("beta1", "Adam's first-moment decay β1 (adam, adamw)", "0.9", 0, max: 1, exclusiveMax: true),
        Real("beta2", "Adam's second-moment decay β2 (adam, adamw)", "0.999", 0, max: 1, exclusiveMax: true),
        Real("rho", "RMSprop's decay ρ (rmsprop, rmsprop-momentum)", "0.9", 0, max: 1, exclusiveMax: true),
        Real("epsilon", "ε in the denominator (adagrad, rmsprop, adam, adamw and their momentum forms)", "1E-08", 0, exclusiveMin: true),
        Real("weight-decay", "Decoupled weight decay: each step w ← w·(1 − rate·X) on the weights (not biases or batch-norm parameters), any optimizer; with adamw it is AdamW's own decay", "0", 0)
            with { DefaultText = "0; 0.01 with adamw" },
        Choice("loss", string.Join(", ", Names(Choices.Losses)), "cross-entropy", Names(Choices.Losses)),
        Real("label-smoothing", "cross-entropy: the target is (1 − X) on the label plus X spread over all classes", "0", 0, max: 1, exclusiveMax: true),
        Real("lambda", "L2 λ, in the meaning --l2-style gives it (the report's: λ·w added to the weights' gradients)", "0.001", 0),
        Choice("l2-style", "What λ means: report (λ·w on the weights' gradients), keras (λ·Σw² in the loss: 2λ·w) or pytorch (λ·w on every parameter's gradient)", "report", "report", "keras", "pytorch"),
        Choice("schedule", "The learning rate over the run, step by step: constant, step (× --step-factor every --step-every epochs), cosine (after --warmup) or onecycle", "constant", Names(Choices.Schedules)),
        Real("warmup", "cosine, onecycle: the fraction of the steps over which the rate rises", null, 0, max: 1, exclusiveMax: true)
            with { DefaultText = "0 for cosine, 0.3 for onecycle" },
        Integer("step-every", "step: epochs between the rate's steps down", "10", 1),
        Real("step-factor", "step: the factor of each step down", "0.1", 0, exclusiveMin: true, max: 1),
        Integer("epochs", "Epochs", "10", 1),
        Integer("batch-size", "Images per batch", null, 1) with { DefaultText = $"{DefaultBatchSize} unless --batches is given" },
        Integer("batches", "Batches per epoch, as the report counts them (batch size = images / batches; instead of --batch-size)", null, 1),
        new TrainOption("augment", OptionKind.Text, "Random changes of the training images: crop=N (pad N zero pixels, crop back at a random offset), flip (mirror left-right half the time), cutout=N (blank an N×N square at a random place), cutmix=P (with probability P paste a random box of another training image and mix the labels by its area), several joined by commas (crop=4,flip,cutout=8), or none")
            { Default = "none", Syntax = AugmentSpec.Canonical, ValueName = "crop=N,flip,cutout=N,cutmix=P|none" },
        Choice("test-augment", "The validation pass after each epoch: none (one pass per image) or mirror (each image's output averaged with its mirror image's)", "none", [.. TestAugment.Names]),
        Flag("normalize", "Normalise every input channel by the training images' mean and standard deviation (kept with the saved model)", "false"),
        Real("clip", "Scale each step's gradients down to a global L2 norm of at most X", null, 0, exclusiveMin: true) with { DefaultText = "no clipping" },
        Integer("early-stopping", "Stop after N epochs without a lower validation loss (needs validation images)", null, 1) with { DefaultText = "train every epoch" },
        Flag("restore-best", "With --early-stopping: end with the weights of the best epoch (--no-restore-best: keep the last)", "true"),
        Integer("seed", "Seed of the weights, the shuffling, dropout and augmentation", "100", long.MinValue),
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
