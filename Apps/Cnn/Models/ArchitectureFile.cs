using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Layers;
using Engine.Serialization;
using Engine.Training;

namespace Cnn;

/// <summary>
/// A network architecture written in JSON (<c>cnn train --model-file net.json</c>; the schema is in
/// docs/MODEL-FILES.md): an object with <c>"layers"</c>, a list of layer objects each naming its <c>"type"</c> and
/// that layer's fields, and optionally <c>"input"</c>, the image shape it is meant for. Each layer type is one entry of
/// <see cref="LayerTypes"/>; a field may itself hold a list of layers (read with <see cref="LayerFields.Layers"/>), for
/// blocks with a body. Every mistake names the file, the line and the layer, as a <see cref="ModelFileException"/>.
/// </summary>
public static class ArchitectureFile
{
    /// <summary>The largest architecture file read (1 MiB).</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>One layer type: the fields it takes besides "type", and how the layer is made from them.</summary>
    /// <param name="Fields">The field names, in the order the docs list them.</param>
    /// <param name="Create">Makes the layer; reads fields through the reader (which checks them and names the line).</param>
    public sealed record LayerType(IReadOnlyList<string> Fields, Func<LayerFields, Layer> Create);

    /// <summary>The layer types a file may use. A new layer is one entry.</summary>
    public static IReadOnlyDictionary<string, LayerType> LayerTypes { get; } = new Dictionary<string, LayerType>(StringComparer.Ordinal)
    {
        ["Conv2D"] = new(["filters", "kernel", "stride", "padding", "bias", "init"], f =>
        {
            var (kh, kw) = f.Pair("kernel");
            var (sh, sw) = f.Pair("stride", (1, 1));
            return new Conv2D(f.Count("filters"), kh, kw, sh, sw, f.Padding("padding"), f.Init("init"), f.Boolean("bias", true));
        }),
        ["MaxPool2D"] = new(["size", "stride", "padding"], f =>
        {
            var (h, w) = f.Pair("size");
            var (sh, sw) = f.Pair("stride", (h, w));
            var (ph, pw) = f.Pair("padding", (0, 0), minimum: 0);
            return new MaxPool2D(h, w, sh, sw, ph, pw);
        }),
        ["AvgPool2D"] = new(["size", "stride"], f => { var (h, w) = f.Pair("size"); var (sh, sw) = f.Pair("stride", (h, w)); return new AvgPool2D(h, w, sh, sw); }),
        ["GlobalAvgPool2D"] = new([], _ => new GlobalAvgPool2D()),
        ["Flatten"] = new([], _ => new Flatten()),
        ["Dense"] = new(["units", "init"], f => new Dense(f.Count("units"), f.Init("init"))),
        ["BatchNorm2D"] = new(["momentum", "epsilon"], f => new BatchNorm2D(f.Real("momentum", 0.1f), f.Real("epsilon", 1e-5f))),
        ["BatchNorm1D"] = new(["momentum", "epsilon"], f => new BatchNorm1D(f.Real("momentum", 0.1f), f.Real("epsilon", 1e-5f))),
        ["Dropout"] = new(["rate"], f => new Dropout(f.DropoutRate ?? f.Real("rate", 0.5f))),
        ["Residual"] = new(["body"], f => new Residual([.. f.Layers("body").Select(l => l.Layer)])),
        ["Sigmoid"] = new([], _ => new Sigmoid()),
        ["Tanh"] = new([], _ => new Tanh()),
        ["ReLU"] = new([], _ => new ReLU()),
        ["LeakyReLU"] = new(["slope"], f => new LeakyReLU(f.Real("slope", 0.01f))),
        ["Softmax"] = new([], _ => new Softmax()),
    };

    /// <summary>
    /// Reads <paramref name="path"/> and builds its network for images of <paramref name="input"/> with <paramref name="seed"/>;
    /// layers without an <c>init</c> of their own use <paramref name="init"/>, and <paramref name="dropout"/>, when given,
    /// replaces the rate of every Dropout layer.
    /// </summary>
    /// <exception cref="ModelFileException">The file is not valid JSON, does not follow the schema, or its layers do not fit together or the images; the message names the line.</exception>
    /// <exception cref="DataFileException">The file is missing, not a regular file, or over <see cref="MaxBytes"/>.</exception>
    public static Network Build(string path, Shape input, long seed, WeightInit init = WeightInit.He, float? dropout = null) =>
        Build(path, input, seed, init, dropout, out _);

    /// <summary>
    /// As <see cref="Build(string, Shape, long, WeightInit, float?)"/>; <paramref name="initUsed"/> says whether any layer
    /// takes <paramref name="init"/> (has no <c>init</c> of its own).
    /// </summary>
    public static Network Build(string path, Shape input, long seed, WeightInit init, float? dropout, out bool initUsed)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Build(path, DataFile.ReadAllBytes(path, MaxBytes), input, seed, init, dropout, out initUsed);
    }

    /// <summary>Builds the network of the architecture <paramref name="utf8"/> (read from <paramref name="path"/>, for messages).</summary>
    /// <exception cref="ModelFileException">As <see cref="Build(string, Shape, long, WeightInit, float?)"/>.</exception>
    public static Network Build(string path, ReadOnlySpan<byte> utf8, Shape input, long seed, WeightInit init = WeightInit.He, float? dropout = null) =>
        Build(path, utf8, input, seed, init, dropout, out _);

    private static Network Build(string path, ReadOnlySpan<byte> utf8, Shape input, long seed, WeightInit init, float? dropout, out bool initUsed)
    {
        LinedNode root;
        try { root = LinedNode.Parse(utf8); }
        catch (FormatException e) { throw new ModelFileException(path, e.Message, e); }
        var document = new LayerFields(path, root, "the file", ["input", "layers"]) { DropoutRate = dropout, Uses = new() };
        if (document.Optional("input") is { } declared)
        {
            var shape = document.Shape("input");
            if (shape != input)
                throw new ModelFileException(path, $"line {declared.Line}: \"input\" is {shape}, but the images are {input}.");
        }
        var net = new Network(input, seed) { DefaultInit = init };
        foreach (var (layer, line) in document.Layers("layers"))
        {
            try { net.Add(layer); }
            catch (ArgumentException e) { throw new ModelFileException(path, $"line {line}: {e.Message}", e); }
        }
        if (net.Layers.Count == 0) throw new ModelFileException(path, $"line {root.Line}: \"layers\" is empty; a network needs at least one layer.");
        initUsed = document.Uses.DefaultInit;
        return net;
    }

    /// <summary>
    /// The fields of one JSON object (a layer, or the document), read with checks: unknown fields, missing ones and
    /// values of the wrong kind or range throw a <see cref="ModelFileException"/> naming the line and the layer.
    /// </summary>
    public sealed class LayerFields
    {
        private readonly string _path;
        private readonly LinedObject _node;
        private readonly string _where;

        internal LayerFields(string path, LinedNode node, string where, IReadOnlyList<string> allowed)
        {
            _path = path;
            _where = where;
            _node = node as LinedObject ?? throw Error(node.Line, $"{where} must be an object {{…}}, not {node.Kind}");
            foreach (var member in _node.Members)
                if (!allowed.Contains(member.Name) && member.Name != "type")
                    throw Error(member.Line, allowed.Count == 0
                        ? $"unknown field '{member.Name}'; {where} takes no fields"
                        : $"unknown field '{member.Name}'; {where} takes {string.Join(", ", allowed)}");
        }

        /// <summary>The rate that replaces every Dropout layer's (<c>--dropout</c>), or null to keep the file's; passed on to nested lists.</summary>
        public float? DropoutRate { get; init; }

        /// <summary>What the layers of the file take from the network (shared by nested lists).</summary>
        internal DefaultsUsed Uses { get; init; } = new();

        /// <summary>The value of <paramref name="name"/>, or null when it is not given.</summary>
        public LinedNode? Optional(string name) => _node.Find(name)?.Value;

        /// <summary>A whole number ≥ 1 (required).</summary>
        public int Count(string name) => Whole(Required(name), name, 1);

        /// <summary>A number (default <paramref name="fallback"/>).</summary>
        public float Real(string name, float fallback) => Optional(name) switch
        {
            null => fallback,
            LinedNumber n when float.IsFinite((float)n.Value) => (float)n.Value,
            var other => throw Error(other.Line, $"'{name}' must be a number, not {other.Kind}"),
        };

        /// <summary>true or false (default <paramref name="fallback"/>).</summary>
        public bool Boolean(string name, bool fallback) => Optional(name) switch
        {
            null => fallback,
            LinedBoolean b => b.Value,
            var other => throw Error(other.Line, $"'{name}' must be true or false, not {other.Kind}"),
        };

        /// <summary>
        /// A size, step or padding: a whole number ≥ <paramref name="minimum"/> for both directions, or [height, width]
        /// (required unless <paramref name="fallback"/> is given).
        /// </summary>
        public (int Height, int Width) Pair(string name, (int, int)? fallback = null, int minimum = 1)
        {
            var node = fallback is null ? Required(name) : Optional(name);
            if (node is null) return fallback!.Value;
            if (node is LinedArray { Items.Count: 2 } pair) return (Whole(pair.Items[0], name, minimum), Whole(pair.Items[1], name, minimum));
            int both = Whole(node, name, minimum, alternative: " or [height, width]");
            return (both, both);
        }

        /// <summary>
        /// Padding: "valid" (default), "same", a whole number for every side, [vertical, horizontal] or
        /// [top, bottom, left, right].
        /// </summary>
        public Padding Padding(string name)
        {
            const string forms = "\"valid\", \"same\", a whole number, [vertical, horizontal] or [top, bottom, left, right]";
            switch (Optional(name))
            {
                case null: return Engine.Layers.Padding.Valid;
                case LinedText { Value: "valid" }: return Engine.Layers.Padding.Valid;
                case LinedText { Value: "same" }: return Engine.Layers.Padding.Same;
                case LinedNumber n: return Engine.Layers.Padding.Explicit(Whole(n, name, 0));
                case LinedArray { Items.Count: 2 } a: return Engine.Layers.Padding.Explicit(Whole(a.Items[0], name, 0), Whole(a.Items[1], name, 0));
                case LinedArray { Items.Count: 4 } a:
                    return Engine.Layers.Padding.Explicit(Whole(a.Items[0], name, 0), Whole(a.Items[1], name, 0), Whole(a.Items[2], name, 0), Whole(a.Items[3], name, 0));
                case var other: throw Error(other.Line, $"'{name}' must be {forms}, not {other.Kind}");
            }
        }

        /// <summary>Weight initialisation: one of <see cref="Choices.Inits"/>' names, or null (not given: the network's, <c>--init</c>).</summary>
        public WeightInit? Init(string name) => Optional(name) switch
        {
            null => Uses.TakeDefaultInit(),
            LinedText t when Choices.Init(t.Value) is { } init => init,
            var other => throw Error(other.Line, $"'{name}' must be {string.Join(", ", Choices.Inits.Select(i => $"\"{i.Name}\""))}, not {other.Kind}"),
        };

        /// <summary>An image shape [channels, height, width] of whole numbers ≥ 1 (required).</summary>
        public Shape Shape(string name)
        {
            var node = Required(name);
            if (node is not LinedArray { Items.Count: 3 } dims)
                throw Error(node.Line, $"'{name}' must be [channels, height, width], not {node.Kind}");
            return new Shape(Whole(dims.Items[0], name, 1), Whole(dims.Items[1], name, 1), Whole(dims.Items[2], name, 1));
        }

        /// <summary>A list of layer objects (required), each built by its type's entry; with the line of each.</summary>
        public IReadOnlyList<(Layer Layer, int Line)> Layers(string name)
        {
            var node = Required(name);
            if (node is not LinedArray list) throw Error(node.Line, $"'{name}' must be a list of layers [{{\"type\": …}}, …], not {node.Kind}");
            var layers = new List<(Layer, int)>();
            for (int i = 0; i < list.Items.Count; i++)
            {
                var item = list.Items[i];
                string where = _where == "the file" ? $"layer {i + 1}" : $"{_where}, {name} layer {i + 1}";
                if (item is not LinedObject layer) throw Error(item.Line, $"{where} must be an object {{\"type\": …}}, not {item.Kind}");
                if (layer.Find("type")?.Value is not LinedText { Value: var typeName } type)
                    throw Error(layer.Line, $"{where} has no \"type\"; types are {string.Join(", ", LayerTypes.Keys)}");
                if (!LayerTypes.TryGetValue(typeName, out var spec))
                    throw Error(type.Line, $"{where}: unknown type \"{typeName}\"; types are {string.Join(", ", LayerTypes.Keys)} (names are case-sensitive)");
                var fields = new LayerFields(_path, layer, $"{where} ({typeName})", spec.Fields) { DropoutRate = DropoutRate, Uses = Uses };
                Layer built;
                try { built = spec.Create(fields); }
                catch (ArgumentException e) { throw Error(layer.Line, $"{where} ({typeName}): {e.Message}"); }
                layers.Add((built, layer.Line));
            }
            return layers;
        }

        private LinedNode Required(string name) =>
            Optional(name) ?? throw Error(_node.Line, $"{_where} needs '{name}'");

        private int Whole(LinedNode node, string name, int minimum, string alternative = "")
        {
            if (node is LinedNumber n && n.Value == Math.Floor(n.Value) && n.Value >= minimum && n.Value <= int.MaxValue) return (int)n.Value;
            string bound = minimum.ToString(CultureInfo.InvariantCulture);
            throw Error(node.Line, $"'{name}' must be a whole number ≥ {bound}{alternative}, not {node.Kind}");
        }

        private ModelFileException Error(int line, string problem) => new(_path, $"line {line}: {Prefix(problem)}.");

        private string Prefix(string problem) =>
            problem.StartsWith(_where, StringComparison.Ordinal) || problem.StartsWith("layer ", StringComparison.Ordinal) || _where == "the file" ? problem : $"{_where}: {problem}";
    }

    /// <summary>Whether a file's layers take the network's defaults.</summary>
    internal sealed class DefaultsUsed
    {
        /// <summary>True once a layer has no <c>init</c> of its own (it takes <c>--init</c>).</summary>
        public bool DefaultInit { get; private set; }

        /// <summary>Notes a layer without an <c>init</c> of its own; null (the network's).</summary>
        public WeightInit? TakeDefaultInit()
        {
            DefaultInit = true;
            return null;
        }
    }
}
