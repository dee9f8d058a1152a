using System.Globalization;
using Engine.Onnx.Protobuf;

namespace Engine.Onnx.Import;

/// <summary>
/// One node being imported or folded: its attributes (typed, with the defaults the caller gives for the file's opset), its
/// constant inputs, and the one error every refusal takes — naming the file, the node (name, else index), the operator and,
/// when it is about one, the attribute.
/// </summary>
internal sealed class NodeScope
{
    private readonly IReadOnlyDictionary<string, TensorProto> _constants;

    public NodeScope(NodeProto node, int opset, DecodeLimits limits, IReadOnlyDictionary<string, TensorProto> constants)
    {
        Node = node;
        Opset = opset;
        Limits = limits;
        _constants = constants;
    }

    /// <summary>The node.</summary>
    public NodeProto Node { get; }

    /// <summary>The file's version of the standard operator set.</summary>
    public int Opset { get; }

    /// <summary>The decode's file name and allocation budget.</summary>
    public DecodeLimits Limits { get; }

    /// <summary>The refusal of this node: <c>file: node 3 "conv1" (Conv): attribute group = 2: why</c>.</summary>
    public OnnxFormatException Refuse(string why) => new(Limits.File, $"{GraphChain.Describe(Node)}: {why}");

    /// <summary>The refusal of one attribute's value.</summary>
    public OnnxFormatException Refuse(string attribute, string why)
    {
        var a = Find(attribute);
        string value = a is null ? "" : " = " + Show(a);
        return Refuse($"attribute {attribute}{value}: {why}");
    }

    /// <summary>Refuses the node if it has an attribute not in <paramref name="known"/> (one the engine might misread).</summary>
    public void Allow(params string[] known)
    {
        foreach (var a in Node.Attributes)
            if (Array.IndexOf(known, a.Name) < 0)
                throw Refuse($"attribute {GraphChain.Quote(a.Name)} is not one the engine knows for {Node.OpType} (it knows {(known.Length == 0 ? "none" : string.Join(", ", known))})");
    }

    /// <summary>An INT attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Get(name, AttributeType.Int) is { } a ? a.I : fallback;

    /// <summary>A FLOAT attribute, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Get(name, AttributeType.Float) is { } a ? a.F : fallback;

    /// <summary>A STRING attribute, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Get(name, AttributeType.String) is { } a ? a.S : fallback;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public long[]? Ints(string name) => Get(name, AttributeType.Ints)?.Ints;

    /// <summary>An INTS attribute of exactly <paramref name="count"/> values, or <paramref name="fallback"/> when absent.</summary>
    public long[] Ints(string name, int count, long fallback)
    {
        var values = Ints(name);
        if (values is null) return Enumerable.Repeat(fallback, count).ToArray();
        if (values.Length != count) throw Refuse(name, $"needs {count} values for a 2-D (NCHW) input, not {values.Length}");
        return values;
    }

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public AttributeProto? Find(string name) => Node.Attributes.FirstOrDefault(a => a.Name == name);

    /// <summary>Whether input <paramref name="index"/> is given (present and not the empty name of an omitted optional input).</summary>
    public bool HasInput(int index) => index < Node.Inputs.Count && Node.Inputs[index].Length > 0;

    /// <summary>Whether input <paramref name="index"/> is given and a constant.</summary>
    public bool IsConstant(int index) => HasInput(index) && _constants.ContainsKey(Node.Inputs[index]);

    /// <summary>Input <paramref name="index"/> as a constant, or null when it is not given.</summary>
    /// <exception cref="OnnxFormatException">It is given but computed, not a constant.</exception>
    public TensorProto? Constant(int index, string role)
    {
        if (!HasInput(index)) return null;
        string name = Node.Inputs[index];
        return _constants.TryGetValue(name, out var tensor) ? tensor
            : throw Refuse($"its {role} (input {index}, {GraphChain.Quote(name)}) is computed by the graph; the engine needs it to be a constant (an initializer)");
    }

    /// <summary>Input <paramref name="index"/> as a constant of float values.</summary>
    /// <exception cref="OnnxFormatException">It is missing, computed, or not FLOAT/DOUBLE.</exception>
    public TensorProto FloatConstant(int index, string role)
    {
        var t = Constant(index, role) ?? throw Refuse($"has no {role} (input {index})");
        return t.Floats is not null ? t : throw Refuse($"its {role} {GraphChain.Quote(t.Name)} is {OnnxDataType.Name(t.DataType)}; the engine takes FLOAT weights");
    }

    /// <summary>Input <paramref name="index"/> as a constant of integer values.</summary>
    public TensorProto IntConstant(int index, string role)
    {
        var t = Constant(index, role) ?? throw Refuse($"has no {role} (input {index})");
        return t.Ints is not null ? t : throw Refuse($"its {role} {GraphChain.Quote(t.Name)} is {OnnxDataType.Name(t.DataType)}, not INT64");
    }

    /// <summary>
    /// The constant <paramref name="c"/>, broadcast numpy-style against a value [N, <paramref name="sample"/>] (before opset 7 from
    /// the <c>axis</c> attribute when given), as one value per channel (or unit) — sample[0] values; it may vary over that axis only.
    /// </summary>
    /// <param name="c">The constant.</param>
    /// <param name="sample">The computed value's sample shape.</param>
    /// <param name="verb">What the node does with it, for messages (<c>adds</c>).</param>
    /// <param name="need">What the engine takes, for messages.</param>
    /// <exception cref="OnnxFormatException">The constant does not broadcast, or varies over another axis.</exception>
    public float[] PerChannel(TensorProto c, Shape sample, string verb, string need)
    {
        int rank = sample.Rank + 1;
        int first = Opset < 7 && Find("axis") is not null ? (int)Math.Clamp(Int("axis", 0), -1, rank) : rank - c.Dims.Length;
        if (first < 0 || first + c.Dims.Length > rank)
            throw Refuse($"{verb} a constant of shape {Dims(c.Dims)} that does not broadcast to {NetworkBuilder.Describe(sample)}");
        bool perChannel = false;
        for (int j = 0; j < c.Dims.Length; j++)
        {
            int axis = first + j;
            long d = c.Dims[j];
            if (d == 1) continue;
            if (axis == 1 && d == sample[0]) { perChannel = true; continue; }
            throw Refuse($"{verb} a constant of shape {Dims(c.Dims)} to {NetworkBuilder.Describe(sample)}; {need}");
        }
        var values = new float[sample[0]];
        Limits.Charge((long)values.Length * sizeof(float), -1);
        for (int i = 0; i < values.Length; i++) values[i] = c.Floats![perChannel ? i : 0];
        return values;
    }

    /// <summary>Dims for messages: <c>[4, 3, 3, 3]</c>.</summary>
    public static string Dims(IEnumerable<long> dims) => "[" + string.Join(", ", dims) + "]";

    private AttributeProto? Get(string name, AttributeType type)
    {
        var a = Find(name);
        if (a is null) return null;
        return a.Type == type ? a : throw Refuse($"attribute {name} is of type {a.Type.ToString().ToUpperInvariant()}, not {type.ToString().ToUpperInvariant()}");
    }

    private static string Show(AttributeProto a) => a.Type switch
    {
        AttributeType.Int => a.I.ToString(CultureInfo.InvariantCulture),
        AttributeType.Float => a.F.ToString("R", CultureInfo.InvariantCulture),
        AttributeType.String => GraphChain.Quote(a.S),
        AttributeType.Ints => Dims(a.Ints.Take(8)),
        AttributeType.Floats => "[" + string.Join(", ", a.Floats.Take(8).Select(f => f.ToString("R", CultureInfo.InvariantCulture))) + "]",
        _ => a.Type.ToString().ToUpperInvariant(),
    };
}
