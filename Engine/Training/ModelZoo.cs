using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// The named models of the report and of the benchmarks (the TorchSharp peer's layer shapes; one difference: the paper models'
/// leaky ReLU has slope 0.01 here, as the report's text (Eq. 4) gives it, where the peer and the report's code use 0.001 — a
/// difference of values, not of timing):
/// <list type="bullet">
/// <item><c>paper-mnist</c>: Conv filters×3×3 valid → activation → pool 2 → Flatten → [Dense hidden → activation] → Dense 10 → Softmax
/// (the report's Fig. 10–13 models; the default variant is Fig. 12's, with <c>Hidden = 20</c>; <c>Hidden = 0</c> gives Fig. 11).</item>
/// <item><c>paper-cifar</c>: Conv 6×4×4 valid → activation → pool 2 → Flatten → Dense 10 → Softmax (Fig. 14).</item>
/// <item><c>lenet5</c>: Conv 6×5×5 pad 2 → ReLU → MaxPool 2 → Conv 16×5×5 → ReLU → MaxPool 2 → Flatten → Dense 120 → ReLU → Dense 84 → ReLU → Dense 10 → Softmax.</item>
/// <item><c>cifar-convnet</c>: (Conv 32 3×3 pad 1 → ReLU) ×2 → MaxPool 2 → (Conv 64 3×3 pad 1 → ReLU) ×2 → MaxPool 2 → Flatten → Dense 256 → ReLU → Dense 10 → Softmax.</item>
/// <item><c>resnet20</c>: the CIFAR ResNet-20 of He et al. (2016, §4.2): Conv 16 3×3 pad 1 (no bias) → BN → ReLU, three stages of three
/// basic blocks (16, 32, 64 channels; Residual(Conv 3×3 → BN → ReLU → Conv 3×3 → BN) → ReLU, the first block of stages 2 and 3 with
/// stride 2 and a 1×1 conv + BN shortcut) → GlobalAvgPool → Dense 10 → Softmax; 272,474 parameters.</item>
/// <item><c>bn-convnet</c>: for MNIST-sized images: (Conv 3×3 pad 1 → BN → ReLU) ×2 with 16 filters → MaxPool 2 → the same with 32
/// filters → MaxPool 2 → Flatten → Dense 128 → BN → ReLU → Dropout 0.25 → Dense 10 → Softmax.</item>
/// </list>
/// </summary>
public static class ModelZoo
{
    /// <summary>The model names <see cref="Build"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["paper-mnist", "paper-cifar", "lenet5", "cifar-convnet", "resnet20", "bn-convnet"];

    /// <summary>The sample shape each named model was designed for: (1, 28, 28) for the MNIST models, (3, 32, 32) for the CIFAR ones.</summary>
    /// <exception cref="ArgumentException">Unknown model name.</exception>
    public static Shape InputShape(string name) => name switch
    {
        "paper-mnist" or "lenet5" or "bn-convnet" => new Shape(1, 28, 28),
        "paper-cifar" or "cifar-convnet" or "resnet20" => new Shape(3, 32, 32),
        _ => throw new ArgumentException($"Unknown model '{name}'; choose one of {string.Join(", ", Names)}."),
    };

    /// <summary>Options that shape the report's models into each of their variants.</summary>
    /// <param name="Filters">Convolution filters (report: 20, or the Fig. 10 axis).</param>
    /// <param name="Hidden">Neurons of the hidden dense layer (Fig. 12: 20); 0 for none (Fig. 11, 13).</param>
    /// <param name="Activation">sigmoid, relu or lrelu.</param>
    /// <param name="Pool">max or avg.</param>
    public sealed record Variant(int Filters = 20, int Hidden = 20, string Activation = "lrelu", string Pool = "max")
    {
        /// <summary>The rate of the model's Dropout layers (bn-convnet: default 0.25); null for the model's own. Given for a
        /// model without Dropout layers, <see cref="Build"/> refuses it.</summary>
        public float? Dropout { get; init; }
    }

    /// <summary>Builds model <paramref name="name"/> for samples of <paramref name="input"/>.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="input">The sample shape, e.g. (1, 28, 28) or (3, 32, 32).</param>
    /// <param name="seed">The network's seed.</param>
    /// <param name="variant">Filters, hidden neurons, activation and pooling (paper models only; default: Fig. 12).</param>
    /// <exception cref="ArgumentException">Unknown model, activation or pool name, a dropout rate for a model without
    /// Dropout layers or outside [0, 1), or a shape the model cannot take.</exception>
    /// <param name="init">The initialisation of every layer (default He).</param>
    public static Network Build(string name, Shape input, long seed, Variant? variant = null, WeightInit init = WeightInit.He)
    {
        variant ??= new Variant();
        if (variant.Dropout is not null && name != "bn-convnet")
            throw new ArgumentException($"Model '{name}' has no Dropout layers, so a dropout rate does not apply to it (only bn-convnet has them).", nameof(variant));
        var net = new Network(input, seed) { DefaultInit = init };
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
            case "resnet20":
                net.Add(Conv(16, 1)).Add(new BatchNorm2D()).Add(new ReLU());
                foreach (var (channels, first) in new[] { (16, 1), (32, 2), (64, 2) })
                    for (int block = 0; block < 3; block++)
                        net.Add(new Residual(Conv(channels, block == 0 ? first : 1), new BatchNorm2D(), new ReLU(), Conv(channels, 1), new BatchNorm2D()))
                           .Add(new ReLU());
                net.Add(new GlobalAvgPool2D()).Add(new Dense(10)).Add(new Softmax());
                break;
            case "bn-convnet":
                foreach (int filters in new[] { 16, 32 })
                    net.Add(Conv(filters, 1)).Add(new BatchNorm2D()).Add(new ReLU())
                       .Add(Conv(filters, 1)).Add(new BatchNorm2D()).Add(new ReLU()).Add(new MaxPool2D(2));
                net.Add(new Flatten()).Add(new Dense(128)).Add(new BatchNorm1D()).Add(new ReLU()).Add(new Dropout(variant.Dropout ?? 0.25f))
                   .Add(new Dense(10)).Add(new Softmax());
                break;
            default:
                throw new ArgumentException($"Unknown model '{name}'; choose one of {string.Join(", ", Names)}.");
        }
        return net;
    }

    /// <summary>A 3×3 convolution with PyTorch's symmetric padding 1 and no bias (a batch norm follows).</summary>
    private static Conv2D Conv(int filters, int stride) => new(filters, 3, stride, Padding.Explicit(1), bias: false);

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
