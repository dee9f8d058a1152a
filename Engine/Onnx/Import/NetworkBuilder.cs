using Engine.Layers;
using Engine.Onnx.Protobuf;
using Engine.Training;

namespace Engine.Onnx.Import;

/// <summary>A layer made from a node, with the parameters it takes from the file (weights in the layer's layout, then biases).</summary>
/// <param name="Layer">The built layer.</param>
/// <param name="Weights">Its weights, <see cref="Layer.WeightCount"/> values.</param>
/// <param name="Biases">Its biases, <see cref="Layer.BiasCount"/> values; an importer may still add to them (a following Add).</param>
internal sealed record ImportedLayer(Layer Layer, float[] Weights, float[] Biases);

/// <summary>
/// The network an import builds: layers added in chain order (each built at once, so the next node sees its output shape), their
/// parameters kept until <see cref="Finish"/> lays them out as <see cref="Network.SetParameters"/> wants (every layer's weights
/// in order, then every layer's biases). Parameter memory is charged to the decode's budget.
/// </summary>
internal sealed class NetworkBuilder
{
    /// <summary>Copies of each parameter the network side holds besides the layer's own array (<see cref="Copy"/>, <see cref="Zeros"/>):
    /// the laid-out vector, the network's parameters and its gradients.</summary>
    private const long CopiesPerParameter = 3;

    private readonly List<ImportedLayer> _layers = new();
    private readonly DecodeLimits _limits;

    public NetworkBuilder(Shape input, long? fixedBatch, long seed, DecodeLimits limits)
    {
        Network = new Network(input, seed);
        FixedBatch = fixedBatch;
        _limits = limits;
    }

    /// <summary>The batch size the graph's input declares, when it is a number rather than a symbol.</summary>
    public long? FixedBatch { get; }

    /// <summary>The network so far.</summary>
    public Network Network { get; }

    /// <summary>The shape of one sample of the value the next node reads.</summary>
    public Shape Shape => Network.OutputShape;

    /// <summary>The layer added last, or null.</summary>
    public ImportedLayer? Last => _layers.Count > 0 ? _layers[^1] : null;

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

    /// <summary>Appends <paramref name="layer"/>, made from <paramref name="node"/>, with its parameters (arrays from <see cref="Copy"/> or
    /// <see cref="Zeros"/>; none: zeros).</summary>
    /// <exception cref="OnnxFormatException">The layer does not fit the value it reads, or the parameters do not fit the layer.</exception>
    public void Add(NodeScope node, Layer layer, float[]? weights = null, float[]? biases = null)
    {
        try { Network.Add(layer); }
        catch (ArgumentException e) { throw node.Refuse($"cannot read a value of shape {Describe(Shape)}: {e.Message}"); }
        weights ??= [];
        if (weights.Length != layer.WeightCount)
            throw node.Refuse($"has {weights.Length} weights where {layer.Kind} over {Describe(layer.InputShape)} needs {layer.WeightCount}");
        _limits.Charge(CopiesPerParameter * sizeof(float) * ((long)layer.WeightCount + layer.BiasCount), -1);
        biases ??= Zeros(layer.BiasCount);
        if (biases.Length != layer.BiasCount)
            throw node.Refuse($"has {biases.Length} biases where {layer.Kind} needs {layer.BiasCount}");
        _layers.Add(new ImportedLayer(layer, weights, biases));
    }

    /// <summary>The finished network with the imported parameters.</summary>
    /// <exception cref="OnnxFormatException">No node made a layer.</exception>
    public Network Finish()
    {
        if (_layers.Count == 0)
            throw new OnnxFormatException(_limits.File, "the graph holds only operators that compute nothing (Identity, Dropout); a network needs a layer");
        long total = _layers.Sum(l => (long)l.Weights.Length + l.Biases.Length);
        if (total > Array.MaxLength)
            throw new OnnxFormatException(_limits.File, $"the model has {total} parameters, more than one array can hold");
        var parameters = new float[total];
        int at = 0;
        foreach (var l in _layers) { l.Weights.CopyTo(parameters, at); at += l.Weights.Length; }
        foreach (var l in _layers) { l.Biases.CopyTo(parameters, at); at += l.Biases.Length; }
        Network.SetParameters(parameters);
        return Network;
    }

    /// <summary>A sample shape with the batch in front, for messages: <c>[N, 3, 32, 32]</c>.</summary>
    public static string Describe(Shape sample)
    {
        var dims = new List<string> { "N" };
        for (int i = 0; i < sample.Rank; i++) dims.Add(sample[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "[" + string.Join(", ", dims) + "]";
    }
}
