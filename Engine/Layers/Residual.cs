namespace Engine.Layers;

/// <summary>
/// A residual block: y = body(x) + shortcut(x), the body a sequence of layers, the shortcut the identity when the body keeps
/// the shape, else a 1×1 convolution (stride = the body's downsampling, no bias) and a <see cref="BatchNorm2D"/> that project
/// x to the body's output shape (ResNet's "option B"). Put the activation after the block, e.g. <c>.Add(new Residual(…)).Add(new ReLU())</c>.
/// </summary>
/// <remarks>
/// A network runs a block as stages of its execution plan (the body's layers, the shortcut's, and an add), so the block's
/// layers are the network's layers too: they own the parameters (the block itself has none) and their names extend the
/// block's (<c>layer 4.2 (Conv2D)</c>, <c>layer 4.s1 (Conv2D)</c>). The block cannot run on its own outside a network.
/// </remarks>
public sealed class Residual : Layer
{
    private readonly Layer[] _body;
    private readonly bool _bodyBuilt;
    private Layer[] _shortcut = [];

    /// <summary>A block around <paramref name="body"/> (at least one layer).</summary>
    /// <exception cref="ArgumentException">The body is empty or holds a null layer.</exception>
    public Residual(params Layer[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Length == 0) throw new ArgumentException("A residual block needs at least one layer in its body.", nameof(body));
        if (body.Any(l => l is null)) throw new ArgumentException("A residual block's body holds a null layer.", nameof(body));
        _body = (Layer[])body.Clone();
    }

    private Residual(Layer[] body, bool bodyBuilt) : this(body) => _bodyBuilt = bodyBuilt;

    /// <summary>
    /// A block around body layers that are built already, each under the name the block gives it (<c>layer 4.2 (Conv2D)</c> for
    /// the block at position 4) for the shape the layer before it gives: an importer builds them one by one to learn each
    /// layer's input. Building the block then checks the names and shapes instead of building the body again.
    /// </summary>
    internal static Residual OfBuiltBody(Layer[] body) => new(body, bodyBuilt: true);

    /// <summary>The body's layers, in order.</summary>
    public IReadOnlyList<Layer> Body => _body;

    /// <summary>The shortcut's layers: empty for the identity, else the 1×1 convolution and its batch norm (known once built).</summary>
    public IReadOnlyList<Layer> Shortcut => _shortcut;

    /// <summary>Whether the shortcut projects (the body changes the shape).</summary>
    public bool Projects => _shortcut.Length > 0;

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input)
    {
        var shape = input;
        for (int i = 0; i < _body.Length; i++)
        {
            string name = InnerName(Name, $"{i + 1}", _body[i].Kind);
            if (!_bodyBuilt) _body[i].Build(shape, name);
            else if (!_body[i].IsBuilt || _body[i].Name != name || _body[i].InputShape != shape)
                throw ShapeError(input, $"its body layer {i + 1} was built as {(_body[i].IsBuilt ? $"{_body[i].Name} for {_body[i].InputShape}" : "nothing")}, not as {name} for {shape}");
            shape = _body[i].OutputShape;
        }
        if (shape == input) return shape;
        if (input.Rank != 3 || shape.Rank != 3)
            throw ShapeError(input, $"its body turns {input} into {shape}; a projection shortcut needs (channels, height, width) on both sides");
        int stride = Math.Max(1, (input[1] + shape[1] - 1) / shape[1]);
        var projection = new Conv2D(shape[0], 1, stride, Padding.Valid, bias: false);
        projection.Build(input, InnerName(Name, "s1", projection.Kind));
        if (projection.OutputShape != shape)
            throw ShapeError(input, $"its body turns {input} into {shape}, which no 1×1 strided convolution of the input matches");
        var norm = new BatchNorm2D();
        norm.Build(shape, InnerName(Name, "s2", norm.Kind));
        _shortcut = [projection, norm];
        return shape;
    }

    /// <summary>
    /// The name the block named <paramref name="blockName"/> gives the layer of <paramref name="kind"/> at <paramref name="position"/>
    /// in its body (<c>1</c>, <c>2</c>, …) or shortcut (<c>s1</c>, <c>s2</c>): <c>layer 4.2 (Conv2D)</c> in <c>layer 4 (Residual)</c>.
    /// </summary>
    internal static string InnerName(string blockName, string position, string kind)
    {
        const string Suffix = " (Residual)";
        string prefix = blockName.EndsWith(Suffix, StringComparison.Ordinal) ? blockName[..^Suffix.Length] : blockName;
        return $"{prefix}.{position} ({kind})";
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"Residual({string.Join(", ", _body.Select(l => l.IsBuilt ? l.ToString().Split(':')[0] : l.ToString()))}{(Projects ? "; 1×1 conv + batch norm shortcut" : "")})";

    /// <summary>Not supported: a block runs as stages of a network's execution plan.</summary>
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        throw new NotSupportedException($"{Name} runs inside a Network (its layers are stages of the network's plan), not on its own.");

    /// <summary>Not supported: a block runs as stages of a network's execution plan.</summary>
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context) =>
        throw new NotSupportedException($"{Name} runs inside a Network (its layers are stages of the network's plan), not on its own.");

    /// <summary>The layers that own parameters and run: a plain layer itself, a block its body's and its shortcut's (recursively).</summary>
    internal static IEnumerable<Layer> Leaves(Layer layer) => layer is Residual r
        ? r._body.SelectMany(Leaves).Concat(r._shortcut)
        : [layer];
}
