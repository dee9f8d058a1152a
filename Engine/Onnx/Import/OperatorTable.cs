using Engine.Layers;

namespace Engine.Onnx.Import;

/// <summary>Imports one node: reads its attributes and constant inputs and appends the layers it becomes (possibly none).</summary>
/// <param name="node">The node, its attributes, constants and refusals.</param>
/// <param name="network">The network so far; <see cref="NetworkBuilder.Shape"/> is the node's input sample shape.</param>
internal delegate void OperatorImporter(NodeScope node, NetworkBuilder network);

/// <summary>
/// Which standard ONNX operator becomes which layer: one entry per operator. Operators of a layer the engine does not have
/// yet are listed in <see cref="NotYet"/> with the reason their refusal gives; moving one to <see cref="Importers"/> is all a
/// new layer needs. Everything else is refused as unknown. (Constant, and Identity / Transpose / Reshape of constants, are
/// computed before the chain is imported: see <see cref="ConstantFolding"/>.)
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
        ["Relu"] = ElementwiseImporters.Plain(() => new ReLU()),
        ["Sigmoid"] = ElementwiseImporters.Plain(() => new Sigmoid()),
        ["LeakyRelu"] = ElementwiseImporters.LeakyRelu,
        ["Softmax"] = ElementwiseImporters.Softmax,
        ["Flatten"] = ElementwiseImporters.Flatten,
        ["Reshape"] = ElementwiseImporters.Reshape,
        ["Identity"] = ElementwiseImporters.Identity,
        ["Dropout"] = ElementwiseImporters.Dropout,
    };

    /// <summary>Operators whose layer the engine does not have yet, with the reason the refusal gives.</summary>
    public static IReadOnlyDictionary<string, string> NotYet { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["BatchNormalization"] = "the engine has no batch normalisation layer yet",
        ["Tanh"] = "the engine has no Tanh layer yet",
    };
}
