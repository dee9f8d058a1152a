using Engine.Layers;
using Engine.Onnx.Protobuf;
using static Engine.Onnx.Protobuf.AttributeProto;

namespace Engine.Onnx.Export;

/// <summary>
/// Which layer becomes which ONNX nodes (opset 13): one entry per built-in layer type, each a node-name kind and a writer. A new
/// layer needs one entry. Pads are written resolved for the layer's input ([top, left, bottom, right]), so Same padding
/// exports exactly. (A <see cref="Residual"/> block is structure, not an entry: see <see cref="OnnxExport"/>.)
/// <code>
/// Conv2D           Conv                 kernel_shape, strides, pads, dilations [1, 1], group 1; weight [F, C, KH, KW], bias [F] (none without bias)
/// Dense            Gemm                 transB 1, alpha 1, beta 1; weight [Units, Inputs], bias [Units]
/// MaxPool2D        MaxPool              kernel_shape, strides, pads [PH, PW, PH, PW]
/// AvgPool2D        AveragePool          kernel_shape, strides, pads 0 (count_include_pad irrelevant without padding)
/// GlobalAvgPool2D  GlobalAveragePool, Flatten (axis 1): the layer gives [N, C], ONNX's pool [N, C, 1, 1]
/// BatchNorm2D/1D   BatchNormalization   epsilon, momentum = 1 − the engine's; scale = γ, B = β, mean and var = running statistics [C]
/// Dropout          Dropout              ratio (an input from opset 12); no training_mode: inference, values pass through
/// Flatten          Flatten              axis 1
/// Sigmoid, ReLU, Tanh                   Sigmoid, Relu, Tanh
/// LeakyReLU        LeakyRelu            alpha = slope
/// Softmax          Softmax              axis 1 (the input is [N, K]: opset 13's one-axis and older opsets' 2-D semantics agree)
/// </code>
/// </summary>
internal static class LayerExporters
{
    /// <summary>The exporters by exact layer type.</summary>
    public static IReadOnlyDictionary<Type, (string Kind, Action<GraphWriter> Write)> Table { get; } = new Dictionary<Type, (string, Action<GraphWriter>)>
    {
        [typeof(Conv2D)] = ("conv", Conv),
        [typeof(Dense)] = ("dense", Gemm),
        [typeof(MaxPool2D)] = ("maxpool", g => Pool(g, "MaxPool")),
        [typeof(AvgPool2D)] = ("avgpool", g => Pool(g, "AveragePool")),
        [typeof(GlobalAvgPool2D)] = ("globalavgpool", g => { g.Node("GlobalAveragePool", []); g.Node("Flatten", [], Int("axis", 1)); }),
        [typeof(BatchNorm2D)] = ("batchnorm", BatchNormalization),
        [typeof(BatchNorm1D)] = ("batchnorm", BatchNormalization),
        [typeof(Dropout)] = ("dropout", g => g.Node("Dropout", [g.Initializer("ratio", [], new[] { ((Dropout)g.Layer).Rate })])),
        [typeof(Flatten)] = ("flatten", g => g.Node("Flatten", [], Int("axis", 1))),
        [typeof(Sigmoid)] = ("sigmoid", g => g.Node("Sigmoid", [])),
        [typeof(ReLU)] = ("relu", g => g.Node("Relu", [])),
        [typeof(Tanh)] = ("tanh", g => g.Node("Tanh", [])),
        [typeof(LeakyReLU)] = ("leakyrelu", g => g.Node("LeakyRelu", [], Float("alpha", ((LeakyReLU)g.Layer).Slope))),
        [typeof(Layers.Softmax)] = ("softmax", g => g.Node("Softmax", [], Int("axis", 1))),
    };

    private static void Conv(GraphWriter g)
    {
        var conv = (Conv2D)g.Layer;
        var input = conv.InputShape; // (C, H, W)
        var (top, bottom, left, right) = conv.Padding.Resolve(input[1], input[2], conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.StrideWidth);
        string weight = g.Initializer("weight", [conv.Filters, input[0], conv.KernelHeight, conv.KernelWidth], g.Weights);
        string[] constants = conv.HasBias ? [weight, g.Initializer("bias", [conv.Filters], g.Biases)] : [weight];
        g.Node("Conv", constants,
            IntList("kernel_shape", conv.KernelHeight, conv.KernelWidth),
            IntList("strides", conv.StrideHeight, conv.StrideWidth),
            IntList("pads", top, left, bottom, right),
            IntList("dilations", 1, 1),
            Int("group", 1));
    }

    private static void Gemm(GraphWriter g)
    {
        var dense = (Dense)g.Layer;
        string weight = g.Initializer("weight", [dense.Units, dense.InputShape[0]], g.Weights);
        string bias = g.Initializer("bias", [dense.Units], g.Biases);
        g.Node("Gemm", [weight, bias], Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
    }

    private static void Pool(GraphWriter g, string opType)
    {
        var pool = (Pool2D)g.Layer;
        g.Node(opType, [],
            IntList("kernel_shape", pool.SizeHeight, pool.SizeWidth),
            IntList("strides", pool.StrideHeight, pool.StrideWidth),
            IntList("pads", pool.PaddingHeight, pool.PaddingWidth, pool.PaddingHeight, pool.PaddingWidth));
    }

    private static void BatchNormalization(GraphWriter g)
    {
        var norm = (BatchNorm)g.Layer;
        int c = norm.Channels;
        string scale = g.Initializer("scale", [c], g.Biases[..c]);
        string shift = g.Initializer("bias", [c], g.Biases[c..]);
        string mean = g.Initializer("mean", [c], g.State[..c]);
        string variance = g.Initializer("var", [c], g.State[c..]);
        g.Node("BatchNormalization", [scale, shift, mean, variance],
            Float("epsilon", norm.Epsilon), Float("momentum", OnnxMomentum.FromEngine(norm.Momentum)));
    }
}
