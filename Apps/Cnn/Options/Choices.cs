using Engine.Losses;
using Engine.Optimizers;

namespace Cnn;

/// <summary>
/// One <c>--optimizer</c> choice: its name, the hyper-parameter options it takes besides <c>--eta</c> (each is refused
/// for the optimizers that do not list it), and how the engine's optimizer is made from the options' values.
/// </summary>
/// <param name="Name">The <c>--optimizer</c> value.</param>
/// <param name="HyperParameters">Names of the training options it reads besides eta, e.g. <c>beta1</c>.</param>
/// <param name="Create">Builds the optimizer from η and a reader of the hyper-parameter options.</param>
public sealed record OptimizerChoice(string Name, IReadOnlyList<string> HyperParameters, Func<float, Func<string, float>, Optimizer> Create);

/// <summary>The optimizers and losses the command line offers: one line each.</summary>
public static class Choices
{
    /// <summary>
    /// Every <c>--optimizer</c>, in the order the help lists them. A new optimizer is one line here (its hyper-parameters
    /// must be options of <see cref="TrainOptionTable"/>; a new one, such as <c>weight-decay</c>, is one line there).
    /// </summary>
    public static IReadOnlyList<OptimizerChoice> Optimizers { get; } =
    [
        new("sgd", [], (eta, _) => new Sgd(eta)),
        new("momentum", ["momentum"], (eta, h) => new Momentum(eta, h("momentum"))),
        new("adagrad", ["epsilon"], (eta, h) => new Adagrad(eta, h("epsilon"))),
        new("adagrad-momentum", ["momentum", "epsilon"], (eta, h) => new AdagradMomentum(eta, h("momentum"), h("epsilon"))),
        new("rmsprop", ["rho", "epsilon"], (eta, h) => new RmsProp(eta, h("rho"), h("epsilon"))),
        new("rmsprop-momentum", ["rho", "momentum", "epsilon"], (eta, h) => new RmsPropMomentum(eta, h("rho"), h("momentum"), h("epsilon"))),
        new("adam", ["beta1", "beta2", "epsilon"], (eta, h) => new Adam(eta, h("beta1"), h("beta2"), h("epsilon"))),
    ];

    /// <summary>Every <c>--loss</c>: name and constructor.</summary>
    public static IReadOnlyList<(string Name, Func<Loss> Create)> Losses { get; } =
    [
        ("cross-entropy", () => new CrossEntropy()),
        ("log-loss", () => new LogLoss()),
        ("mse", () => new MeanSquaredError()),
    ];

    /// <summary>The optimizer called <paramref name="name"/>.</summary>
    /// <exception cref="UsageException">Unknown name.</exception>
    public static OptimizerChoice Optimizer(string name) =>
        Optimizers.FirstOrDefault(o => o.Name == name)
        ?? throw new UsageException($"--optimizer: '{name}' is not one of {string.Join(", ", Optimizers.Select(o => o.Name))}.");

    /// <summary>A new loss called <paramref name="name"/>.</summary>
    /// <exception cref="UsageException">Unknown name.</exception>
    public static Loss Loss(string name) =>
        Losses.FirstOrDefault(l => l.Name == name).Create?.Invoke()
        ?? throw new UsageException($"--loss: '{name}' is not one of {string.Join(", ", Losses.Select(l => l.Name))}.");
}
