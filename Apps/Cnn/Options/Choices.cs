using Engine.Layers;
using Engine.Losses;
using Engine.Optimizers;
using Engine.Training;

namespace Cnn;

/// <summary>
/// One <c>--optimizer</c> choice: its name, the hyper-parameter options it takes besides <c>--eta</c> (each is refused
/// for the optimizers that do not list it), and how the engine's optimizer is made from the options' values.
/// </summary>
/// <param name="Name">The <c>--optimizer</c> value.</param>
/// <param name="HyperParameters">Names of the training options it reads besides eta, e.g. <c>beta1</c>.</param>
/// <param name="Create">Builds the optimizer from η and a reader of the hyper-parameter options.</param>
public sealed record OptimizerChoice(string Name, IReadOnlyList<string> HyperParameters, Func<float, Func<string, float>, Optimizer> Create)
{
    /// <summary>
    /// True when the optimizer has a decoupled weight decay of its own (AdamW): <c>--weight-decay</c> then sets that
    /// decay, and the training options' decay stays 0 (the engine adds the two, so only one is ever set).
    /// </summary>
    public bool OwnsWeightDecay { get; init; }
}

/// <summary>One value of a choice option whose values take options of their own (<c>--loss</c>, <c>--schedule</c>).</summary>
/// <typeparam name="T">What the value makes.</typeparam>
/// <param name="Name">The option's value, e.g. <c>cross-entropy</c> or <c>onecycle</c>.</param>
/// <param name="Parameters">The training options it reads (refused for the values that do not list them).</param>
/// <param name="Create">Makes the engine's object from the run's options.</param>
public sealed record ParameterizedChoice<T>(string Name, IReadOnlyList<string> Parameters, Func<ResolvedSettings, T> Create);

/// <summary>A choice option and, for each of its values, the options that value takes (the rule of <see cref="RunSettings"/>).</summary>
/// <param name="Option">The choice option, e.g. <c>optimizer</c>.</param>
/// <param name="Members">Each value's name and the options it takes.</param>
public sealed record ChoiceFamily(string Option, IReadOnlyList<(string Name, IReadOnlyList<string> Parameters)> Members);

/// <summary>The optimizers, losses and learning-rate schedules the command line offers: one line each.</summary>
public static class Choices
{
    /// <summary>
    /// Every <c>--optimizer</c>, in the order the help lists them. A new optimizer is one line here (its hyper-parameters
    /// must be options of <see cref="TrainOptionTable"/>; a new one is one line there).
    /// </summary>
    public static IReadOnlyList<OptimizerChoice> Optimizers { get; } =
    [
        new("sgd", [], (eta, _) => new Sgd(eta)),
        new("momentum", ["momentum"], (eta, h) => new Momentum(eta, h("momentum"))),
        new("nesterov", ["momentum"], (eta, h) => new Momentum(eta, h("momentum"), nesterov: true)),
        new("adagrad", ["epsilon"], (eta, h) => new Adagrad(eta, h("epsilon"))),
        new("adagrad-momentum", ["momentum", "epsilon"], (eta, h) => new AdagradMomentum(eta, h("momentum"), h("epsilon"))),
        new("rmsprop", ["rho", "epsilon"], (eta, h) => new RmsProp(eta, h("rho"), h("epsilon"))),
        new("rmsprop-momentum", ["rho", "momentum", "epsilon"], (eta, h) => new RmsPropMomentum(eta, h("rho"), h("momentum"), h("epsilon"))),
        new("adam", ["beta1", "beta2", "epsilon"], (eta, h) => new Adam(eta, h("beta1"), h("beta2"), h("epsilon"))),
        new("adamw", ["beta1", "beta2", "epsilon"], (eta, h) => new AdamW(eta, h("beta1"), h("beta2"), h("epsilon"), h("weight-decay"))) { OwnsWeightDecay = true },
    ];

    /// <summary>Every <c>--loss</c>: name, the options it takes and constructor.</summary>
    public static IReadOnlyList<ParameterizedChoice<Loss>> Losses { get; } =
    [
        new("cross-entropy", ["label-smoothing"], s => new CrossEntropy(s.Real("label-smoothing"))),
        new("log-loss", [], _ => new LogLoss()),
        new("mse", [], _ => new MeanSquaredError()),
    ];

    /// <summary>
    /// Every <c>--schedule</c>: name, the options it takes and the engine's schedule. <c>constant</c> is no schedule at
    /// all (η throughout, exactly the bits of a run without one).
    /// </summary>
    public static IReadOnlyList<ParameterizedChoice<LearningRateSchedule?>> Schedules { get; } =
    [
        new("constant", [], _ => null),
        new("step", ["step-every", "step-factor"], s => LearningRateSchedule.Step(s.Integer("step-every"), s.Real("step-factor"))),
        new("cosine", ["warmup"], s => LearningRateSchedule.Cosine(s.Real("warmup"))),
        new("onecycle", ["warmup"], s => s.Real("warmup") > 0
            ? LearningRateSchedule.OneCycle(s.Real("warmup"))
            : throw new UsageException($"--warmup must be in (0, 1) for --schedule onecycle (it rises to η over that fraction of the steps), not {s.Text("warmup")}.")),
    ];

    /// <summary>Every weight initialisation, by the name <c>--init</c> and architecture files use for it.</summary>
    public static IReadOnlyList<(string Name, WeightInit Init)> Inits { get; } =
    [
        ("he", WeightInit.He),
        ("he-uniform", WeightInit.HeUniform),
        ("glorot", WeightInit.Glorot),
        ("glorot-normal", WeightInit.GlorotNormal),
        ("lecun", WeightInit.LeCun),
        ("pytorch", WeightInit.PyTorchDefault),
    ];

    /// <summary>The initialisation called <paramref name="name"/>, or null for an unknown name.</summary>
    public static WeightInit? Init(string name) => Inits.FirstOrDefault(i => i.Name == name) is { Name: not null } found ? found.Init : null;

    /// <summary>The choice options whose values take options of their own; <see cref="RunSettings"/> refuses an option the chosen value does not take.</summary>
    public static IReadOnlyList<ChoiceFamily> Families { get; } =
    [
        new("optimizer", [.. Optimizers.Select(o => (o.Name, o.HyperParameters))]),
        new("loss", [.. Losses.Select(l => (l.Name, l.Parameters))]),
        new("schedule", [.. Schedules.Select(s => (s.Name, s.Parameters))]),
    ];

    /// <summary>The optimizer called <paramref name="name"/>.</summary>
    /// <exception cref="UsageException">Unknown name.</exception>
    public static OptimizerChoice Optimizer(string name) =>
        Optimizers.FirstOrDefault(o => o.Name == name)
        ?? throw new UsageException($"--optimizer: '{name}' is not one of {string.Join(", ", Optimizers.Select(o => o.Name))}.");

    /// <summary>A new loss called <paramref name="name"/> with its default parameters (for evaluation).</summary>
    /// <exception cref="UsageException">Unknown name.</exception>
    public static Loss Loss(string name) => Loss(name, RunSettings.Empty.Resolve());

    /// <summary>A new loss called <paramref name="name"/> with the parameters of <paramref name="settings"/>.</summary>
    /// <exception cref="UsageException">Unknown name.</exception>
    public static Loss Loss(string name, ResolvedSettings settings) => Find(Losses, "loss", name).Create(settings);

    /// <summary>The schedule called <paramref name="name"/> with the parameters of <paramref name="settings"/>; null for constant.</summary>
    /// <exception cref="UsageException">Unknown name, or a parameter that does not fit it.</exception>
    public static LearningRateSchedule? Schedule(string name, ResolvedSettings settings) => Find(Schedules, "schedule", name).Create(settings);

    private static ParameterizedChoice<T> Find<T>(IReadOnlyList<ParameterizedChoice<T>> choices, string option, string name) =>
        choices.FirstOrDefault(c => c.Name == name)
        ?? throw new UsageException($"--{option}: '{name}' is not one of {string.Join(", ", choices.Select(c => c.Name))}.");
}
