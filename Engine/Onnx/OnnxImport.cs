using Engine.Onnx.Import;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Onnx;

/// <summary>
/// Reads ONNX models made by other tools (PyTorch, Keras converters, ONNX Runtime's tools, <see cref="OnnxExport"/>) into a
/// <see cref="Network"/> for inference and further training. The graph must be a chain of the operators the engine has
/// (Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, MatMul with a constant Add as bias, BatchNormalization,
/// Relu, LeakyRelu, Sigmoid, Tanh, Softmax, Flatten, Reshape to [N, features], Dropout, Identity, and Sub / Div of per-channel
/// constants on the input as its normalisation) and of residual blocks (a value read by two branches that an Add sums), from
/// opset 6 to 21, with float32 weights stored in the file; anything else is refused with one <see cref="OnnxFormatException"/>
/// naming the file, the node, the operator and the attribute.
/// </summary>
/// <remarks>
/// The reader is bounded: every length is checked against the bytes present before anything is allocated, and the whole
/// import (parsing, constant folding, the network's parameters) allocates at most a fixed multiple of the file's size.
/// Initializers listed as graph inputs (files before IR 4) are constants. The graph input's first dimension is the batch
/// (symbolic or a number); the others must be numbers and give <see cref="Network.InputShape"/>.
/// </remarks>
public static class OnnxImport
{
    /// <summary>The oldest standard operator set the importer reads.</summary>
    public const int MinOpset = 6;

    /// <summary>The newest standard operator set the importer reads.</summary>
    public const int MaxOpset = 21;

    /// <summary>Reads the ONNX model in <paramref name="path"/> as a network.</summary>
    /// <param name="path">An .onnx file.</param>
    /// <param name="seed">The network's seed (for shuffling when it is trained further).</param>
    /// <exception cref="OnnxFormatException">The file is missing, malformed, or describes a model the engine cannot express.</exception>
    public static Network Load(string path, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxFormatException(path, e is FileNotFoundException ? "no such file" : e is DirectoryNotFoundException ? "no such folder" : "cannot be read: " + e.Message, innerException: e);
        }
        return FromBytes(bytes, path, seed);
    }

    extension(Network)
    {
        /// <summary>Reads the ONNX model in <paramref name="path"/> as a network: <c>Network.LoadOnnx("model.onnx")</c>, the same as
        /// <see cref="Load"/>.</summary>
        /// <param name="path">An .onnx file.</param>
        /// <param name="seed">The network's seed (for shuffling when it is trained further).</param>
        /// <exception cref="OnnxFormatException">The file is missing, malformed, or describes a model the engine cannot express.</exception>
        public static Network LoadOnnx(string path, long seed = 0) => Load(path, seed);
    }

    /// <summary>Reads an ONNX model from the bytes of a file; <paramref name="name"/> is the file name errors give.</summary>
    internal static Network FromBytes(ReadOnlySpan<byte> bytes, string name, long seed = 0)
    {
        var limits = new DecodeLimits(name, bytes.Length);
        var model = ModelProto.Parse(bytes, limits);
        if (model.IrVersion is < 3 or > 12)
            throw new OnnxFormatException(name, $"IR version {model.IrVersion}; the engine reads IR versions 3 to 12");
        int opset = StandardOpset(model, name);
        var graph = model.Graph ?? throw new OnnxFormatException(name, "the model has no graph");
        var chain = GraphChain.Build(graph, opset, limits);
        var (sample, batch) = InputShape(chain.Input, name);
        var network = new NetworkBuilder(sample, batch, seed, limits);
        Import(chain.Steps, network, opset, limits, chain.Constants);
        var result = network.Finish();
        CheckOutput(chain.Output, result, name);
        return result;
    }

    /// <summary>Imports <paramref name="steps"/> into <paramref name="network"/>: each node by its operator's importer, each residual block as
    /// its body, its shortcut and the Add that joins them.</summary>
    private static void Import(IReadOnlyList<GraphStep> steps, NetworkBuilder network, int opset, DecodeLimits limits, IReadOnlyDictionary<string, TensorProto> constants)
    {
        foreach (var step in steps)
        {
            if (step is BlockStep block)
            {
                var join = new NodeScope(block.Join, opset, limits, constants);
                join.Allow(opset < 7 ? ["broadcast", "axis"] : []);
                network.BeginBlock();
                Import(block.Body, network, opset, limits, constants);
                network.BeginShortcut();
                Import(block.Shortcut, network, opset, limits, constants);
                network.EndBlock(join);
                continue;
            }
            var node = ((NodeStep)step).Node;
            var scope = new NodeScope(node, opset, limits, constants);
            if (node.Domain is not ("" or "ai.onnx"))
                throw scope.Refuse($"is from the operator set {GraphChain.Quote(node.Domain)}; the engine imports standard ONNX operators only");
            if (!OperatorTable.Importers.TryGetValue(node.OpType, out var import))
                throw scope.Refuse($"is an operator the engine cannot import (it imports {string.Join(", ", OperatorTable.Importers.Keys)})");
            import(scope, network);
        }
    }

    /// <summary>The version of the standard operator set (domain "" or "ai.onnx"), checked.</summary>
    private static int StandardOpset(ModelProto model, string name)
    {
        var standard = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (standard.Count == 0) throw new OnnxFormatException(name, "the model imports no version of the standard operator set");
        if (standard.Count > 1) throw new OnnxFormatException(name, "the model imports the standard operator set twice");
        long version = standard[0].Version;
        if (version is < MinOpset or > MaxOpset)
            throw new OnnxFormatException(name, $"opset {version}; the engine imports opsets {MinOpset} to {MaxOpset}");
        return (int)version;
    }

    /// <summary>The sample shape (all dims but the first) and the declared batch, when it is a number.</summary>
    private static (Shape Sample, long? Batch) InputShape(ValueInfoProto input, string name)
    {
        string what = $"the graph's input {GraphChain.Quote(input.Name)}";
        if (!input.IsTensor || input.ElementType != Protobuf.OnnxDataType.Float)
            throw new OnnxFormatException(name, $"{what} is {(input.IsTensor ? OnnxDataType.Name(input.ElementType) + " tensor" : "not a tensor")}; the engine takes FLOAT tensors");
        var dims = input.Shape ?? throw new OnnxFormatException(name, $"{what} has no shape; the engine needs [N, …] with the sample's dims given");
        if (dims.Count is < 2 or > Shape.MaxRank)
            throw new OnnxFormatException(name, $"{what} has rank {dims.Count}; the engine takes a batch dim and 1 to {Shape.MaxRank - 1} sample dims");
        var sample = new int[dims.Count - 1];
        for (int i = 1; i < dims.Count; i++)
        {
            if (dims[i].Value is not long v || v < 1 || v > int.MaxValue)
                throw new OnnxFormatException(name, $"{what} has dim {i} = {dims[i]}; the engine needs every dim after the batch to be a fixed size");
            sample[i - 1] = (int)v;
        }
        try { return (new Shape(sample), dims[0].Value is long b && b > 0 ? b : null); }
        catch (ArgumentException e) { throw new OnnxFormatException(name, $"{what} has shape [{string.Join(", ", dims)}]: {e.Message}", innerException: e); }
    }

    /// <summary>Checks the output dims the graph declares (those that are numbers) against the network's.</summary>
    private static void CheckOutput(ValueInfoProto output, Network network, string name)
    {
        if (output.Shape is not { } dims) return;
        var computed = network.OutputShape;
        bool fits = dims.Count == computed.Rank + 1;
        for (int i = 1; fits && i < dims.Count; i++) fits = dims[i].Value is not long v || v == computed[i - 1];
        if (!fits)
            throw new OnnxFormatException(name, $"the graph declares its output {GraphChain.Quote(output.Name)} as [{string.Join(", ", dims)}] but its operators compute {NetworkBuilder.Describe(computed)}");
    }
}
