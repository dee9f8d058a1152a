using Engine.Layers;
using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Export;

/// <summary>
/// Builds the graph of an exported network, one layer at a time: a layer's first node reads <see cref="Current"/> (the network's
/// input is <c>input</c>), its last writes the new current value; <see cref="Finish"/> names the final value <c>output</c>. Nodes,
/// values and initializers are named after the layer's position and kind (<c>layer3_conv</c>, <c>layer3_conv.weight</c>,
/// <c>layer4_2_conv</c> in a residual block) so that they read well in Netron.
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
    private string _name = "";
    private int _nodesOfLayer;
    private Layer? _layer;

    public GraphWriter(GraphProto graph) => _graph = graph;

    /// <summary>The value the next node reads: the output of the last node written, or the graph's input.</summary>
    public string Current { get; set; } = InputName;

    /// <summary>The layer being written.</summary>
    public Layer Layer => _layer ?? throw new InvalidOperationException("No layer is being written.");

    /// <summary>Its weights, in the layer's layout.</summary>
    public ReadOnlyMemory<float> Weights { get; private set; }

    /// <summary>Its biases (batch norm: γ, then β).</summary>
    public ReadOnlyMemory<float> Biases { get; private set; }

    /// <summary>Its state (batch norm: running mean, then variance).</summary>
    public ReadOnlyMemory<float> State { get; private set; }

    /// <summary>Starts the nodes named <paramref name="name"/> (e.g. <c>layer3_conv</c>) of <paramref name="layer"/> (null: of no layer,
    /// e.g. the input normalisation) with its values.</summary>
    public void Begin(string name, Layer? layer, ReadOnlyMemory<float> weights = default, ReadOnlyMemory<float> biases = default, ReadOnlyMemory<float> state = default)
    {
        _name = name;
        _nodesOfLayer = 0;
        _layer = layer;
        Weights = weights;
        Biases = biases;
        State = state;
    }

    /// <summary>An initializer <c>name.suffix</c> of shape <paramref name="dims"/>; returns its name.</summary>
    public string Initializer(string suffix, long[] dims, ReadOnlyMemory<float> values)
    {
        string name = $"{_name}.{suffix}";
        _graph.Initializers.Add(new TensorProto { Name = name, DataType = OnnxDataType.Float, Dims = dims, Floats = values.ToArray() });
        return name;
    }

    /// <summary>
    /// A node: reads the current value and <paramref name="constants"/>, writes a new value (named like the node: the name given to
    /// <see cref="Begin"/>, then <c>name_2</c>… when a layer takes several nodes) that becomes the current one.
    /// </summary>
    public void Node(string opType, string[] constants, params AttributeProto[] attributes)
    {
        _nodesOfLayer++;
        string name = _nodesOfLayer == 1 ? _name : $"{_name}_{_nodesOfLayer}";
        Write(name, opType, [Current, .. constants], attributes);
    }

    /// <summary>Ends the layer: its last value is recorded as value info with <paramref name="shape"/> (for Netron and shape checks).</summary>
    /// <exception cref="InvalidOperationException">The layer wrote no node.</exception>
    public void End(Shape shape)
    {
        if (_nodesOfLayer == 0) throw new InvalidOperationException($"{_layer?.Name ?? _name}: the ONNX exporter wrote no node.");
        _graph.ValueInfo.Add(Value(Current, shape));
    }

    /// <summary>An Add node <paramref name="name"/> of two values (a residual block's body and shortcut), of <paramref name="shape"/>, which becomes the current value.</summary>
    public void Join(string name, string body, string shortcut, Shape shape)
    {
        Write(name, "Add", [body, shortcut], []);
        _graph.ValueInfo.Add(Value(Current, shape));
    }

    /// <summary>Names the last node's value <c>output</c> (it is the graph's output, described by the graph, not by value info).</summary>
    public void Finish()
    {
        var last = _graph.Nodes[^1];
        _graph.ValueInfo.RemoveAll(v => v.Name == last.Outputs[0]);
        last.Outputs[0] = OutputName;
        Current = OutputName;
    }

    /// <summary>A FLOAT tensor value [N, sample…].</summary>
    public static ValueInfoProto Value(string name, Shape sample)
    {
        var dims = new List<ValueInfoProto.Dimension> { new(null, BatchDim) };
        for (int i = 0; i < sample.Rank; i++) dims.Add(new ValueInfoProto.Dimension(sample[i], null));
        return new ValueInfoProto { Name = name, IsTensor = true, ElementType = OnnxDataType.Float, Shape = dims };
    }

    private void Write(string name, string opType, string[] inputs, AttributeProto[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Inputs.AddRange(inputs);
        node.Outputs.Add(name);
        node.Attributes.AddRange(attributes);
        _graph.Nodes.Add(node);
        Current = name;
    }
}
