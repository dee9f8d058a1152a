using Engine.Layers;
using Engine.Onnx.Protobuf;
using Engine.Serialization;
using Engine.Training;

namespace Engine.Onnx.Import;

/// <summary>A layer made from a node, with the values it takes from the file.</summary>
/// <param name="Layer">The built layer.</param>
/// <param name="Operator">The operator it was made from (e.g. <c>GlobalAveragePool</c>).</param>
/// <param name="Weights">Its weights, <see cref="Layer.WeightCount"/> values.</param>
/// <param name="Biases">Its biases, <see cref="Layer.BiasCount"/> values; an importer may still add to them (a following Add).</param>
/// <param name="State">Its state, <see cref="Layer.StateCount"/> values (batch norm's running mean, then variance).</param>
internal sealed record ImportedLayer(Layer Layer, string Operator, float[] Weights, float[] Biases, float[] State);

/// <summary>
/// The network an import builds. Layers are built as they come (each under the name the network will give it, so the next node
/// sees its output shape) into the current branch: the network's chain, or the body or shortcut of a residual block being read
/// (<see cref="BeginBlock"/>, <see cref="BeginShortcut"/>, <see cref="EndBlock"/>). <see cref="Finish"/> lays the values out as
/// a model file holds them (every leaf layer's weights in order, then every one's biases, then the states) and makes the network.
/// Parameter memory is charged to the decode's budget.
/// </summary>
internal sealed class NetworkBuilder
{
    /// <summary>Copies of each value the network side holds besides the layer's own array (<see cref="Copy"/>, <see cref="Zeros"/>):
    /// the laid-out vector, the network's parameters and its gradients.</summary>
    private const long CopiesPerParameter = 3;

    private readonly Dictionary<Layer, ImportedLayer> _imported = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<Branch> _open = new();
    private readonly DecodeLimits _limits;
    private readonly Shape _input;
    private readonly long _seed;
    private Branch _branch;
    private float[]? _mean, _std;

    public NetworkBuilder(Shape input, long? fixedBatch, long seed, DecodeLimits limits)
    {
        _input = input;
        _seed = seed;
        FixedBatch = fixedBatch;
        _limits = limits;
        _branch = new Branch(input, null, (position, kind) => $"layer {position} ({kind})");
    }

    /// <summary>The batch size the graph's input declares, when it is a number rather than a symbol.</summary>
    public long? FixedBatch { get; }

    /// <summary>The shape of one sample of the value the next node reads.</summary>
    public Shape Shape => _branch.Shape;

    /// <summary>The layer the current branch added last, Dropout layers aside (they pass values through at inference), or null.</summary>
    public ImportedLayer? Last => _branch.Layers.LastOrDefault(l => l.Layer is not Dropout);

    /// <summary>What the current branch starts from, for messages: the network's input or a residual block's.</summary>
    public string Origin => _open.Count == 0 ? "the network's input" : "the input of a residual block";

    /// <summary>A copy of <paramref name="values"/> for a layer's parameters (never shared: a later Add may change them), charged to the budget.</summary>
    public float[] Copy(ReadOnlySpan<float> values)
    {
        _limits.Charge((long)values.Length * sizeof(float), -1);
        return values.ToArray();
    }

    /// <summary><paramref name="count"/> zeros for a layer's parameters, charged to the budget.</summary>
    public float[] Zeros(long count)
    {
        _limits.Charge(count * sizeof(float), -1);
        return new float[count];
    }

    /// <summary>Appends <paramref name="layer"/>, made from <paramref name="node"/>, with its values (arrays from <see cref="Copy"/> or
    /// <see cref="Zeros"/>; none: zeros).</summary>
    /// <exception cref="OnnxFormatException">The layer does not fit the value it reads, or the values do not fit the layer.</exception>
    public void Add(NodeScope node, Layer layer, float[]? weights = null, float[]? biases = null, float[]? state = null)
    {
        Build(node, layer, Shape, _branch.Layers.Count + 1);
        _branch.Layers.Add(Imported(node, layer, weights, biases, state));
    }

    /// <summary>Replaces <paramref name="old"/>, a layer of the current branch, by <paramref name="layer"/> over the same input and output
    /// (e.g. a convolution given the bias an Add after it holds); returns the new record.</summary>
    /// <exception cref="OnnxFormatException">The layer does not fit, or the values do not fit the layer.</exception>
    public ImportedLayer Replace(NodeScope node, ImportedLayer old, Layer layer, float[]? weights = null, float[]? biases = null)
    {
        int at = _branch.Layers.IndexOf(old);
        Build(node, layer, old.Layer.InputShape, at + 1);
        if (layer.OutputShape != old.Layer.OutputShape)
            throw node.Refuse($"would turn {old.Layer.Name} into {layer}, which changes its output");
        _imported.Remove(old.Layer);
        var replaced = Imported(node, layer, weights, biases, null) with { Operator = old.Operator };
        _branch.Layers[at] = _imported[layer] = replaced;
        return replaced;
    }

    /// <summary>
    /// A Flatten (or Reshape to [N, features]) of the current value: a <see cref="GlobalAvgPool2D"/> when it directly follows a
    /// GlobalAveragePool (whose [N, C, 1, 1] output it flattens to [N, C], what the engine's layer gives), else a
    /// <see cref="Flatten"/> layer.
    /// </summary>
    /// <exception cref="OnnxFormatException">The layer does not fit.</exception>
    public void Flatten(NodeScope node)
    {
        if (_branch.Layers.Count > 0 && _branch.Layers[^1] is { Operator: "GlobalAveragePool" } pool && pool.Layer is AvgPool2D)
        {
            int at = _branch.Layers.Count - 1;
            var global = new GlobalAvgPool2D();
            Build(node, global, pool.Layer.InputShape, at + 1);
            _imported.Remove(pool.Layer);
            _branch.Layers[at] = Imported(node, global, null, null, null);
            return;
        }
        Add(node, new Layers.Flatten());
    }

    /// <summary>Starts a residual block at the current value: the nodes up to <see cref="BeginShortcut"/> are its body.</summary>
    public void BeginBlock()
    {
        string block = _branch.Name(_branch.Layers.Count + 1, nameof(Residual));
        _open.Push(_branch);
        _branch = new Branch(Shape, null, (position, kind) => Residual.InnerName(block, $"{position}", kind));
    }

    /// <summary>Ends the block's body; the nodes up to <see cref="EndBlock"/> are its shortcut.</summary>
    public void BeginShortcut()
    {
        var body = _branch;
        string block = _open.Peek().Name(_open.Peek().Layers.Count + 1, nameof(Residual));
        _branch = new Branch(body.Input, body, (position, kind) => Residual.InnerName(block, $"s{position}", kind));
    }

    /// <summary>
    /// Ends the block at <paramref name="join"/> (its Add) and appends it as a <see cref="Residual"/>. The branch without layers is
    /// the identity; a shortcut with layers must be the projection the engine's Residual makes for the body's shapes (a 1×1
    /// convolution without bias, of the body's downsampling stride, then a default BatchNorm2D), whose values it takes.
    /// </summary>
    /// <exception cref="OnnxFormatException">Neither branch computes anything, or the shortcut is not the engine's.</exception>
    public void EndBlock(NodeScope join)
    {
        var (body, shortcut) = (_branch.Body!, _branch);
        _branch = _open.Pop();
        if (body.Layers.Count == 0)
            throw join.Refuse("adds two branches of which the body computes nothing; the engine's Residual needs a body of at least one layer");
        var block = Residual.OfBuiltBody([.. body.Layers.Select(l => l.Layer)]);
        Add(join, block);
        var expected = block.Shortcut;
        var given = shortcut.Layers;
        bool same = expected.Count == given.Count && Enumerable.Range(0, given.Count).All(i => given[i].Layer.ToString() == expected[i].ToString());
        if (!same)
        {
            string gives = given.Count == 0 ? "the identity" : string.Join(", ", given.Select(l => l.Layer.ToString()));
            string needs = expected.Count == 0 ? "the identity (its body keeps the shape)" : string.Join(", ", expected.Select(l => l.ToString()));
            throw join.Refuse($"adds a shortcut of {gives} to a body that turns {Describe(block.InputShape)} into {Describe(block.OutputShape)}; the engine's Residual has {needs}");
        }
        for (int i = 0; i < given.Count; i++)
        {
            _imported.Remove(given[i].Layer);
            _imported[expected[i]] = given[i] with { Layer = expected[i] };
        }
    }

    /// <summary>The mean subtracted from the network's input per channel (a Sub on the graph input).</summary>
    /// <exception cref="OnnxFormatException">The Sub is not on the input, comes twice or after the Div.</exception>
    public void SubtractFromInput(NodeScope node, float[] mean)
    {
        RequireOnInput(node, "subtracts");
        if (_mean is not null || _std is not null)
            throw node.Refuse($"subtracts a second constant from the input, after a {(_std is null ? "Sub" : "Div")}; the engine's input normalisation is one Sub of the mean, then one Div by the deviation");
        _mean = mean;
    }

    /// <summary>The deviation the network's input is divided by per channel (a Div on the graph input, after the Sub if any).</summary>
    /// <exception cref="OnnxFormatException">The Div is not on the input or comes twice.</exception>
    public void DivideInput(NodeScope node, float[] std)
    {
        RequireOnInput(node, "divides");
        if (_std is not null)
            throw node.Refuse("divides the input a second time; the engine's input normalisation is one Sub of the mean, then one Div by the deviation");
        _std = std;
    }

    /// <summary>The finished network with the imported values.</summary>
    /// <exception cref="OnnxFormatException">No node made a layer, or the model holds more values than an array can.</exception>
    public Network Finish()
    {
        var layers = _branch.Layers.Select(l => l.Layer).ToList();
        if (layers.Count == 0)
            throw new OnnxFormatException(_limits.File, "the graph holds only operators that compute nothing (Identity, an input normalisation); a network needs a layer");
        var leaves = layers.SelectMany(Residual.Leaves).Select(l => _imported[l]).ToList();
        long total = leaves.Sum(l => (long)l.Weights.Length + l.Biases.Length), states = leaves.Sum(l => (long)l.State.Length);
        if (total > Array.MaxLength || states > Array.MaxLength)
            throw new OnnxFormatException(_limits.File, $"the model has {total} parameters and {states} state values, more than one array can hold");
        var parameters = new float[total];
        var state = new float[states];
        int at = 0, stateAt = 0;
        foreach (var l in leaves) { l.Weights.CopyTo(parameters, at); at += l.Weights.Length; }
        foreach (var l in leaves) { l.Biases.CopyTo(parameters, at); at += l.Biases.Length; }
        foreach (var l in leaves) { l.State.CopyTo(state, stateAt); stateAt += l.State.Length; }
        (float[], float[])? normalization = _mean is null && _std is null ? null
            : (_mean ?? Enumerable.Repeat(0f, _input[0]).ToArray(), _std ?? Enumerable.Repeat(1f, _input[0]).ToArray());
        return Network.FromModelContents(new ModelContents(_input, _seed, layers, parameters) { State = state, Normalization = normalization });
    }

    /// <summary>A sample shape with the batch in front, for messages: <c>[N, 3, 32, 32]</c>.</summary>
    public static string Describe(Shape sample)
    {
        var dims = new List<string> { "N" };
        for (int i = 0; i < sample.Rank; i++) dims.Add(sample[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "[" + string.Join(", ", dims) + "]";
    }

    private void Build(NodeScope node, Layer layer, Shape input, int position)
    {
        try { layer.Build(input, _branch.Name(position, layer.Kind)); }
        catch (ArgumentException e) { throw node.Refuse($"cannot read a value of shape {Describe(input)}: {e.Message}"); }
    }

    /// <summary>The record of a built layer and its values, checked against its counts and charged; registered when it is a leaf.</summary>
    private ImportedLayer Imported(NodeScope node, Layer layer, float[]? weights, float[]? biases, float[]? state)
    {
        weights ??= [];
        if (weights.Length != layer.WeightCount)
            throw node.Refuse($"has {weights.Length} weights where {layer.Kind} over {Describe(layer.InputShape)} needs {layer.WeightCount}");
        _limits.Charge(CopiesPerParameter * sizeof(float) * ((long)layer.WeightCount + layer.BiasCount) + 2L * sizeof(float) * layer.StateCount, -1);
        biases ??= Zeros(layer.BiasCount);
        if (biases.Length != layer.BiasCount)
            throw node.Refuse($"has {biases.Length} biases where {layer.Kind} needs {layer.BiasCount}");
        state ??= Zeros(layer.StateCount);
        if (state.Length != layer.StateCount)
            throw node.Refuse($"has {state.Length} state values where {layer.Kind} needs {layer.StateCount}");
        var imported = new ImportedLayer(layer, node.Node.OpType, weights, biases, state);
        if (layer is not Residual) _imported[layer] = imported;
        return imported;
    }

    /// <summary>Refuses <paramref name="node"/> (which <paramref name="verb"/> a constant) unless it reads the network's [N, C, H, W] input.</summary>
    /// <exception cref="OnnxFormatException">A layer or a residual block comes before it, or the input is not an image.</exception>
    public void RequireOnInput(NodeScope node, string verb)
    {
        if (_open.Count > 0 || _branch.Layers.Count > 0)
            throw node.Refuse($"{verb} a constant and a value computed by the graph ({(_open.Count > 0 ? "inside a residual block" : $"the output of {_branch.Layers[^1].Layer.Kind}")}); the engine takes Sub and Div of constants only on the graph's input, as its input normalisation");
        if (_input.Rank != 3)
            throw node.Refuse($"{verb} the input {Describe(_input)} by a constant; the engine's input normalisation is per channel of [N, C, H, W] images");
    }

    /// <summary>A chain of layers being imported: the network's, or a branch of a residual block.</summary>
    /// <param name="Input">The sample shape the branch starts from.</param>
    /// <param name="Body">For a shortcut, its block's body (imported before it).</param>
    /// <param name="Name">The name of the layer of a kind at a (1-based) position.</param>
    private sealed record Branch(Shape Input, Branch? Body, Func<int, string, string> Name)
    {
        public List<ImportedLayer> Layers { get; } = new();

        public Shape Shape => Layers.Count == 0 ? Input : Layers[^1].Layer.OutputShape;
    }
}
