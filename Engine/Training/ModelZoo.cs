using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// The named models of the report and of the benchmarks (identical to the TorchSharp peer's definitions):
/// <list type="bullet">
/// <item><c>paper-mnist</c>: Conv filters×3×3 valid → activation → pool 2 → Flatten → [Dense hidden → activation] → Dense 10 → Softmax
/// (the report's Fig. 10–13 models; the default variant is Fig. 12's, with <c>Hidden = 20</c>; <c>Hidden = 0</c> gives Fig. 11).</item>
/// <item><c>paper-cifar</c>: Conv 6×4×4 valid → activation → pool 2 → Flatten → Dense 10 → Softmax (Fig. 14).</item>
/// <item><c>lenet5</c>: Conv 6×5×5 pad 2 → ReLU → MaxPool 2 → Conv 16×5×5 → ReLU → MaxPool 2 → Flatten → Dense 120 → ReLU → Dense 84 → ReLU → Dense 10 → Softmax.</item>
/// <item><c>cifar-convnet</c>: (Conv 32 3×3 pad 1 → ReLU) ×2 → MaxPool 2 → (Conv 64 3×3 pad 1 → ReLU) ×2 → MaxPool 2 → Flatten → Dense 256 → ReLU → Dense 10 → Softmax.</item>
/// </list>
/// </summary>
public static class ModelZoo
{
    /// <summary>The model names <see cref="Build"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["paper-mnist", "paper-cifar", "lenet5", "cifar-convnet"];

    /// <summary>The sample shape each named model was designed for: (1, 28, 28) for the MNIST models, (3, 32, 32) for the CIFAR ones.</summary>
    /// <exception cref="ArgumentException">Unknown model name.</exception>
    public static Shape InputShape(string name) => name switch
    {
        "paper-mnist" or "lenet5" => new Shape(1, 28, 28),
        "paper-cifar" or "cifar-convnet" => new Shape(3, 32, 32),
        _ => throw new ArgumentException($"Unknown model '{name}'; choose one of {string.Join(", ", Names)}."),
    };

    /// <summary>Options that shape the report's models into each of their variants.</summary>
    /// <param name="Filters">Convolution filters (report: 20, or the Fig. 10 axis).</param>
    /// <param name="Hidden">Neurons of the hidden dense layer (Fig. 12: 20); 0 for none (Fig. 11, 13).</param>
    /// <param name="Activation">sigmoid, relu or lrelu.</param>
    /// <param name="Pool">max or avg.</param>
    public sealed record Variant(int Filters = 20, int Hidden = 20, string Activation = "lrelu", string Pool = "max");

    /// <summary>Builds model <paramref name="name"/> for samples of <paramref name="input"/>.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="input">The sample shape, e.g. (1, 28, 28) or (3, 32, 32).</param>
    /// <param name="seed">The network's seed.</param>
    /// <param name="variant">Filters, hidden neurons, activation and pooling (paper models only; default: Fig. 12).</param>
    /// <exception cref="ArgumentException">Unknown model, activation or pool name, or a shape the model cannot take.</exception>
    public static Network Build(string name, Shape input, long seed, Variant? variant = null)
    {
        variant ??= new Variant();
        var net = new Network(input, seed);
        switch (name)
        {
            case "paper-mnist":
                net.Add(new Conv2D(variant.Filters, 3)).Add(Activation(variant.Activation)).Add(Pool(variant.Pool)).Add(new Flatten());
                if (variant.Hidden > 0) net.Add(new Dense(variant.Hidden)).Add(Activation(variant.Activation));
                net.Add(new Dense(10)).Add(new Softmax());
                break;
            case "paper-cifar":
                net.Add(new Conv2D(6, 4)).Add(Activation(variant.Activation)).Add(Pool(variant.Pool)).Add(new Flatten())
                   .Add(new Dense(10)).Add(new Softmax());
                break;
            case "lenet5":
                net.Add(new Conv2D(6, 5, padding: Padding.Explicit(2))).Add(new ReLU()).Add(new MaxPool2D(2))
                   .Add(new Conv2D(16, 5)).Add(new ReLU()).Add(new MaxPool2D(2)).Add(new Flatten())
                   .Add(new Dense(120)).Add(new ReLU()).Add(new Dense(84)).Add(new ReLU()).Add(new Dense(10)).Add(new Softmax());
                break;
            case "cifar-convnet":
                net.Add(new Conv2D(32, 3, padding: Padding.Explicit(1))).Add(new ReLU())
                   .Add(new Conv2D(32, 3, padding: Padding.Explicit(1))).Add(new ReLU()).Add(new MaxPool2D(2))
                   .Add(new Conv2D(64, 3, padding: Padding.Explicit(1))).Add(new ReLU())
                   .Add(new Conv2D(64, 3, padding: Padding.Explicit(1))).Add(new ReLU()).Add(new MaxPool2D(2))
                   .Add(new Flatten()).Add(new Dense(256)).Add(new ReLU()).Add(new Dense(10)).Add(new Softmax());
                break;
            default:
                throw new ArgumentException($"Unknown model '{name}'; choose one of {string.Join(", ", Names)}.");
        }
        return net;
    }

    private static Layer Activation(string name) => name switch
    {
        "sigmoid" => new Sigmoid(),
        "relu" => new ReLU(),
        "lrelu" => new LeakyReLU(0.01f),
        _ => throw new ArgumentException($"Unknown activation '{name}'; choose sigmoid, relu or lrelu."),
    };

    private static Layer Pool(string name) => name switch
    {
        "max" => new MaxPool2D(2),
        "avg" => new AvgPool2D(2),
        _ => throw new ArgumentException($"Unknown pooling '{name}'; choose max or avg."),
    };
}
