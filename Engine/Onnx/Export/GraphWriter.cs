using Engine.Layers;
using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Export;

/// <summary>
/// Builds the graph of an exported network, one layer at a time: the value a layer reads is the one the layer before wrote
/// (the network's input is <c>input</c>, the last layer's output <c>output</c>); nodes, values and initializers are named after
/// the layer's position and kind (<c>layer3_conv</c>, <c>layer3_conv.weight</c>) so that they read well in Netron.
/// </summary>
internal sealed class GraphWriter
{
    /// <summary>The symbolic batch dim of the input and output.</summary>
    public const string BatchDim = "N";

    /// <summary>The name of the graph's input.</summary>
    public const string InputName = "input";

    /// <summary>The name of the graph's output.</summary>
    public const string OutputName = "output";

    private readonly GraphProto _graph;
    private readonly int _layerCount;
    private string _current = InputName;
    private int _position;
    private string _kind = "";
    private int _nodesOfLayer;

    public GraphWriter(GraphProto graph, int layerCount)
    {
        _graph = graph;
        _layerCount = layerCount;
    }

    /// <summary>The layer being written.</summary>
    public Layer Layer { get; private set; } = null!;

    /// <summary>Its weights, in the layer's layout.</summary>
    public ReadOnlyMemory<float> Weights { get; private set; }

    /// <summary>Its biases.</summary>
    public ReadOnlyMemory<float> Biases { get; private set; }

    /// <summary>Starts layer <paramref name="position"/> (1-based) with its parameters; <paramref name="kind"/> names its node (e.g. <c>conv</c>).</summary>
    public void Begin(int position, Layer layer, string kind, ReadOnlyMemory<float> weights, ReadOnlyMemory<float> biases)
    {
        _position = position;
        _kind = kind;
        _nodesOfLayer = 0;
        Layer = layer;
        Weights = weights;
        Biases = biases;
    }

    /// <summary>An initializer <c>layerK_kind.suffix</c> of shape <paramref name="dims"/>; returns its name.</summary>
    public string Initializer(string suffix, long[] dims, ReadOnlyMemory<float> values)
    {
        string name = $"{NodeName}.{suffix}";
        _graph.Initializers.Add(new TensorProto { Name = name, DataType = OnnxDataType.Float, Dims = dims, Floats = values.ToArray() });
        return name;
    }

    /// <summary>
    /// A node of the layer: reads the current value and <paramref name="constants"/>, writes a new value (named after the layer,
    /// <c>layerK_kind</c>, then <c>layerK_kind_2</c>… when a layer takes several nodes) that becomes the current one. The shape
    /// of the layer's last value, its output, is recorded as value info (for Netron and shape checks) by <see cref="End"/>.
    /// </summary>
    public void Node(string opType, string[] constants, params AttributeProto[] attributes)
    {
        _nodesOfLayer++;
        string name = _nodesOfLayer == 1 ? NodeName : $"{NodeName}_{_nodesOfLayer}";
        var node = new NodeProto { Name = name, OpType = opType };
        node.Inputs.Add(_current);
        node.Inputs.AddRange(constants);
        node.Outputs.Add(name);
        node.Attributes.AddRange(attributes);
        _graph.Nodes.Add(node);
        _current = name;
    }

    /// <summary>Ends the layer: its last node's value is the graph's output after the last layer, else recorded with the layer's output shape.</summary>
    /// <exception cref="InvalidOperationException">The layer wrote no node.</exception>
    public void End()
    {
        if (_nodesOfLayer == 0) throw new InvalidOperationException($"{Layer.Name}: the ONNX exporter wrote no node.");
        if (_position == _layerCount)
        {
            _graph.Nodes[^1].Outputs[0] = OutputName;
            _current = OutputName;
        }
        else _graph.ValueInfo.Add(Value(_current, Layer.OutputShape));
    }

    /// <summary>A FLOAT tensor value [N, sample…].</summary>
    public static ValueInfoProto Value(string name, Shape sample)
    {
        var dims = new List<ValueInfoProto.Dimension> { new(null, BatchDim) };
        for (int i = 0; i < sample.Rank; i++) dims.Add(new ValueInfoProto.Dimension(sample[i], null));
        return new ValueInfoProto { Name = name, IsTensor = true, ElementType = OnnxDataType.Float, Shape = dims };
    }

    private string NodeName => $"layer{_position}_{_kind}";
}
