using Engine.Layers;

namespace Engine.Onnx.Import;

/// <summary>Imports one node: reads its attributes and constant inputs and appends the layers it becomes (possibly none).</summary>
/// <param name="node">The node, its attributes, constants and refusals.</param>
/// <param name="network">The network so far; <see cref="NetworkBuilder.Shape"/> is the node's input sample shape.</param>
internal delegate void OperatorImporter(NodeScope node, NetworkBuilder network);

/// <summary>
/// Which standard ONNX operator becomes which layer: one entry per operator; a new layer needs one entry. Everything else is
/// refused as unknown. (Constant, and Identity / Transpose / Reshape of constants, are computed before the graph is imported:
/// see <see cref="ConstantFolding"/>; the Add joining a residual block's branches is the block's, see <see cref="GraphWalk"/>.)
/// </summary>
internal static class OperatorTable
{
    /// <summary>The operators the engine imports.</summary>
    public static IReadOnlyDictionary<string, OperatorImporter> Importers { get; } = new Dictionary<string, OperatorImporter>(StringComparer.Ordinal)
    {
        ["Conv"] = SpatialImporters.Conv,
        ["MaxPool"] = SpatialImporters.MaxPool,
        ["AveragePool"] = SpatialImporters.AveragePool,
        ["GlobalAveragePool"] = SpatialImporters.GlobalAveragePool,
        ["GlobalMaxPool"] = SpatialImporters.GlobalMaxPool,
        ["Gemm"] = DenseImporters.Gemm,
        ["MatMul"] = DenseImporters.MatMul,
        ["Add"] = DenseImporters.AddBias,
        ["BatchNormalization"] = NormalizationImporters.BatchNormalization,
        ["Sub"] = NormalizationImporters.Sub,
        ["Div"] = NormalizationImporters.Div,
        ["Relu"] = ElementwiseImporters.Plain(() => new ReLU()),
        ["Sigmoid"] = ElementwiseImporters.Plain(() => new Sigmoid()),
        ["Tanh"] = ElementwiseImporters.Plain(() => new Tanh()),
        ["LeakyRelu"] = ElementwiseImporters.LeakyRelu,
        ["Softmax"] = ElementwiseImporters.Softmax,
        ["Flatten"] = ElementwiseImporters.Flatten,
        ["Reshape"] = ElementwiseImporters.Reshape,
        ["Identity"] = ElementwiseImporters.Identity,
        ["Dropout"] = ElementwiseImporters.Dropout,
    };
}
