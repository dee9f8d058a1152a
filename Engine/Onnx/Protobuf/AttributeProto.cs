namespace Engine.Onnx.Protobuf;

/// <summary>AttributeProto.AttributeType values.</summary>
internal enum AttributeType
{
    Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8, Tensors = 9,
    Graphs = 10, SparseTensor = 11, SparseTensors = 12, TypeProto = 13, TypeProtos = 14,
}

/// <summary>
/// An ONNX AttributeProto (field numbers of onnx.proto): name = 1, f = 2, i = 3, s = 4, t = 5, g = 6, floats = 7, ints = 8,
/// strings = 9, tensors = 10, graphs = 11, type = 20, ref_attr_name = 21. Graph, sparse-tensor and type values are skipped
/// (no operator the engine imports takes them); <see cref="Type"/> still says what the attribute was.
/// </summary>
internal sealed class AttributeProto
{
    /// <summary>The attribute's name, e.g. <c>kernel_shape</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>What kind of value it holds; for files older than IR 2 (no type field) inferred from the field present.</summary>
    public AttributeType Type { get; set; }

    /// <summary>The value of a FLOAT attribute.</summary>
    public float F { get; set; }

    /// <summary>The value of an INT attribute.</summary>
    public long I { get; set; }

    /// <summary>The value of a STRING attribute.</summary>
    public string S { get; set; } = "";

    /// <summary>The value of a TENSOR attribute.</summary>
    public TensorProto? T { get; set; }

    /// <summary>The values of a FLOATS attribute.</summary>
    public float[] Floats { get; set; } = [];

    /// <summary>The values of an INTS attribute.</summary>
    public long[] Ints { get; set; } = [];

    /// <summary>Reads the attribute from its message.</summary>
    public static AttributeProto Read(ref ProtoReader r)
    {
        var a = new AttributeProto();
        var floats = new List<float>();
        var ints = new List<long>();
        var seen = AttributeType.Undefined;
        bool typed = false;
        while (r.NextField())
        {
            switch (r.Field)
            {
                case 1: a.Name = r.ReadString(); break;
                case 2: a.F = r.ReadFloat(); seen = AttributeType.Float; break;
                case 3: a.I = r.ReadInt64(); seen = AttributeType.Int; break;
                case 4: a.S = r.ReadString(); seen = AttributeType.String; break;
                case 5:
                    var t = r.ReadMessage();
                    a.T = TensorProto.Read(ref t);
                    seen = AttributeType.Tensor;
                    break;
                case 6: r.Skip(); seen = AttributeType.Graph; break;
                case 7: r.ReadFloats(floats); seen = AttributeType.Floats; break;
                case 8: r.ReadInt64s(ints); seen = AttributeType.Ints; break;
                case 9: r.Skip(); seen = AttributeType.Strings; break;
                case 10: r.Skip(); seen = AttributeType.Tensors; break;
                case 11: r.Skip(); seen = AttributeType.Graphs; break;
                case 20:
                    int type = r.ReadInt32();
                    a.Type = Enum.IsDefined((AttributeType)type) ? (AttributeType)type
                        : throw r.Fail($"attribute \"{a.Name}\" has unknown type {type}");
                    typed = true;
                    break;
                default: r.Skip(); break;
            }
        }
        if (!typed || a.Type == AttributeType.Undefined) a.Type = seen;
        a.Floats = [.. floats];
        a.Ints = [.. ints];
        return a;
    }

    /// <summary>Writes the attribute (types FLOAT, INT, STRING, TENSOR, FLOATS and INTS).</summary>
    public void Write(ProtoWriter w)
    {
        w.WriteString(1, Name);
        switch (Type)
        {
            case AttributeType.Float: w.WriteFloat(2, F); break;
            case AttributeType.Int: w.WriteInt64(3, I); break;
            case AttributeType.String: w.WriteString(4, S); break;
            case AttributeType.Tensor when T is not null: w.WriteMessage(5, T, static (w, t) => t.Write(w)); break;
            case AttributeType.Floats: foreach (float f in Floats) w.WriteFloat(7, f); break;
            case AttributeType.Ints: foreach (long i in Ints) w.WriteInt64(8, i); break;
            default: throw new InvalidOperationException($"Attribute {Name}: type {Type} is not written by the engine.");
        }
        w.WriteInt64(20, (long)Type);
    }

    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto IntList(string name, params long[] values) => new() { Name = name, Type = AttributeType.Ints, Ints = values };
}
