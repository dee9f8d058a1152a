namespace Engine.Onnx.Protobuf;

/// <summary>
/// An ONNX GraphProto (field numbers of onnx.proto): node = 1, name = 2, initializer = 5, input = 11, output = 12,
/// value_info = 13, sparse_initializer = 15 (refused when read: the engine takes dense weights only).
/// </summary>
internal sealed class GraphProto
{
    /// <summary>The graph's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The nodes, in file order (meant to be topological; the importer checks).</summary>
    public List<NodeProto> Nodes { get; } = new();

    /// <summary>The constant tensors (weights), by name.</summary>
    public List<TensorProto> Initializers { get; } = new();

    /// <summary>The graph's inputs (before IR 4 they list the initializers too).</summary>
    public List<ValueInfoProto> Inputs { get; } = new();

    /// <summary>The graph's outputs.</summary>
    public List<ValueInfoProto> Outputs { get; } = new();

    /// <summary>Optional type information of intermediate values.</summary>
    public List<ValueInfoProto> ValueInfo { get; } = new();

    /// <summary>Reads the graph from its message.</summary>
    public static GraphProto Read(ref ProtoReader r)
    {
        var g = new GraphProto();
        while (r.NextField())
        {
            switch (r.Field)
            {
                case 1:
                    var n = r.ReadMessage();
                    g.Nodes.Add(NodeProto.Read(ref n, g.Nodes.Count));
                    break;
                case 2: g.Name = r.ReadString(); break;
                case 5:
                    var t = r.ReadMessage();
                    g.Initializers.Add(TensorProto.Read(ref t));
                    break;
                case 11: g.Inputs.Add(ReadValueInfo(ref r)); break;
                case 12: g.Outputs.Add(ReadValueInfo(ref r)); break;
                case 13: g.ValueInfo.Add(ReadValueInfo(ref r)); break;
                case 15: throw r.Fail("the graph has sparse initializers; the engine takes dense weights only");
                default: r.Skip(); break;
            }
        }
        return g;
    }

    /// <summary>Writes the graph.</summary>
    public void Write(ProtoWriter w)
    {
        foreach (var node in Nodes) w.WriteMessage(1, node, static (w, n) => n.Write(w));
        w.WriteString(2, Name);
        foreach (var tensor in Initializers) w.WriteMessage(5, tensor, static (w, t) => t.Write(w));
        foreach (var input in Inputs) w.WriteMessage(11, input, static (w, v) => v.Write(w));
        foreach (var output in Outputs) w.WriteMessage(12, output, static (w, v) => v.Write(w));
        foreach (var info in ValueInfo) w.WriteMessage(13, info, static (w, v) => v.Write(w));
    }

    private static ValueInfoProto ReadValueInfo(ref ProtoReader r)
    {
        var v = r.ReadMessage();
        return ValueInfoProto.Read(ref v);
    }
}

/// <summary>
/// An ONNX NodeProto (field numbers of onnx.proto): input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.
/// An empty input name means an optional input left out.
/// </summary>
internal sealed class NodeProto
{
    /// <summary>The node's position in the graph (0-based), for messages about unnamed nodes.</summary>
    public int Index { get; init; }

    /// <summary>The node's name (may be empty).</summary>
    public string Name { get; set; } = "";

    /// <summary>The operator, e.g. <c>Conv</c>.</summary>
    public string OpType { get; set; } = "";

    /// <summary>The operator set's domain; empty (or <c>ai.onnx</c>) for the standard operators.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The names of the values it reads.</summary>
    public List<string> Inputs { get; } = new();

    /// <summary>The names of the values it writes.</summary>
    public List<string> Outputs { get; } = new();

    /// <summary>Its attributes.</summary>
    public List<AttributeProto> Attributes { get; } = new();

    /// <summary>Reads the node from its message.</summary>
    public static NodeProto Read(ref ProtoReader r, int index)
    {
        var node = new NodeProto { Index = index };
        while (r.NextField())
        {
            switch (r.Field)
            {
                case 1: node.Inputs.Add(r.ReadString()); break;
                case 2: node.Outputs.Add(r.ReadString()); break;
                case 3: node.Name = r.ReadString(); break;
                case 4: node.OpType = r.ReadString(); break;
                case 5:
                    var a = r.ReadMessage();
                    node.Attributes.Add(AttributeProto.Read(ref a));
                    break;
                case 7: node.Domain = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return node;
    }

    /// <summary>Writes the node.</summary>
    public void Write(ProtoWriter w)
    {
        foreach (string input in Inputs) w.WriteString(1, input);
        foreach (string output in Outputs) w.WriteString(2, output);
        w.WriteString(3, Name);
        w.WriteString(4, OpType);
        foreach (var attribute in Attributes) w.WriteMessage(5, attribute, static (w, a) => a.Write(w));
        if (Domain.Length > 0) w.WriteString(7, Domain);
    }
}

/// <summary>
/// An ONNX ValueInfoProto with the tensor case of its TypeProto (field numbers of onnx.proto): ValueInfoProto name = 1,
/// type = 2; TypeProto tensor_type = 1; TypeProto.Tensor elem_type = 1, shape = 2; TensorShapeProto dim = 1;
/// Dimension dim_value = 1, dim_param = 2.
/// </summary>
internal sealed class ValueInfoProto
{
    /// <summary>The value's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Whether the type is a tensor type (not a sequence, map, optional or sparse tensor).</summary>
    public bool IsTensor { get; set; }

    /// <summary>The element type (<see cref="OnnxDataType"/>) of a tensor type.</summary>
    public int ElementType { get; set; }

    /// <summary>The dimensions, or null when the shape is not given.</summary>
    public List<Dimension>? Shape { get; set; }

    /// <summary>One dimension: a fixed value, a symbolic name, or neither (unknown).</summary>
    /// <param name="Value">The size, when fixed.</param>
    /// <param name="Parameter">The symbolic name (e.g. <c>N</c>), when symbolic.</param>
    internal readonly record struct Dimension(long? Value, string? Parameter)
    {
        /// <inheritdoc />
        public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Parameter ?? "?";
    }

    /// <summary>Reads the value info from its message.</summary>
    public static ValueInfoProto Read(ref ProtoReader r)
    {
        var v = new ValueInfoProto();
        while (r.NextField())
        {
            if (r.Field == 1) v.Name = r.ReadString();
            else if (r.Field == 2)
            {
                var type = r.ReadMessage();
                while (type.NextField())
                {
                    if (type.Field != 1) { type.Skip(); continue; }
                    v.IsTensor = true;
                    var tensor = type.ReadMessage();
                    ReadTensorType(ref tensor, v);
                }
            }
            else r.Skip();
        }
        return v;
    }

    /// <summary>Writes the value info of a tensor.</summary>
    public void Write(ProtoWriter w)
    {
        w.WriteString(1, Name);
        w.WriteMessage(2, this, static (w, v) => w.WriteMessage(1, v, static (w, v) =>
        {
            w.WriteInt64(1, v.ElementType);
            if (v.Shape is null) return;
            w.WriteMessage(2, v.Shape, static (w, dims) =>
            {
                foreach (var d in dims)
                    w.WriteMessage(1, d, static (w, d) =>
                    {
                        if (d.Value is long value) w.WriteInt64(1, value);
                        else if (d.Parameter is not null) w.WriteString(2, d.Parameter);
                    });
            });
        }));
    }

    private static void ReadTensorType(ref ProtoReader r, ValueInfoProto v)
    {
        while (r.NextField())
        {
            if (r.Field == 1) v.ElementType = r.ReadInt32();
            else if (r.Field == 2)
            {
                v.Shape = new List<Dimension>();
                var shape = r.ReadMessage();
                while (shape.NextField())
                {
                    if (shape.Field != 1) { shape.Skip(); continue; }
                    var dim = shape.ReadMessage();
                    long? value = null;
                    string? parameter = null;
                    while (dim.NextField())
                    {
                        if (dim.Field == 1) { value = dim.ReadInt64(); parameter = null; }
                        else if (dim.Field == 2) { parameter = dim.ReadString(); value = null; }
                        else dim.Skip();
                    }
                    v.Shape.Add(new Dimension(value, parameter));
                }
            }
            else r.Skip();
        }
    }
}
