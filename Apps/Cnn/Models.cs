using Engine;
using Engine.Layers;
using Engine.Training;

namespace Cnn;

/// <summary>The named models of the report and of the benchmarks.</summary>
public static class Models
{
    /// <summary>The model names <see cref="Build"/> knows.</summary>
    public static readonly string[] Names = ["paper-mnist", "paper-cifar", "lenet5", "cifar-convnet"];

    /// <summary>Options that shape the report's MNIST model into each of its variants.</summary>
    /// <param name="Filters">Convolution filters (report: 20, or the Fig. 10 axis).</param>
    /// <param name="Hidden">Neurons of the hidden dense layer; 0 for none (Fig. 11, 13).</param>
    /// <param name="Activation">sigmoid, relu or lrelu.</param>
    /// <param name="Pool">max or avg.</param>
    public sealed record Variant(int Filters = 20, int Hidden = 0, string Activation = "lrelu", string Pool = "max");

    /// <summary>Builds model <paramref name="name"/> for samples of <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">Unknown model, activation or pool name.</exception>
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
                throw new ArgumentException($"--model: unknown model '{name}'; choose one of {string.Join(", ", Names)}.");
        }
        return net;
    }

    private static Layer Activation(string name) => name switch
    {
        "sigmoid" => new Sigmoid(),
        "relu" => new ReLU(),
        "lrelu" => new LeakyReLU(0.01f),
        _ => throw new ArgumentException($"--activation: unknown activation '{name}'; choose sigmoid, relu or lrelu."),
    };

    private static Layer Pool(string name) => name switch
    {
        "max" => new MaxPool2D(2),
        "avg" => new AvgPool2D(2),
        _ => throw new ArgumentException($"--pool: unknown pooling '{name}'; choose max or avg."),
    };
}
