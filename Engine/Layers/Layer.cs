namespace Engine.Layers;

/// <summary>
/// One stage of a sequential <c>Network</c>. A layer is configured by its
/// constructor, given its input shape when it is added to a network (which infers and checks its
/// output shape), and then runs forward and backward over whole batches in NCHW order.
/// </summary>
/// <remarks>
/// The compute contract (internal; every layer follows it):
/// <list type="bullet">
/// <item><c>Forward(x /*N, InputShape*/, y /*N, OutputShape*/, n)</c> overwrites <c>y</c>.</item>
/// <item><c>Backward(x, y, dy /*N, OutputShape*/, dx /*N, InputShape*/, n)</c> gets the <c>x</c> and <c>y</c>
/// of the latest <c>Forward</c>, overwrites <c>dx</c> (skipped when <c>dx</c> is empty) and
/// <em>accumulates</em> (+=) parameter gradients, which the network zeroes once per step.</item>
/// <item>Weights (L2-decayed) and biases (not decayed) are slices of the network's one parameter buffer,
/// and their gradients slices of its one gradient buffer, bound by <c>BindParameters</c> and reached through
/// <c>Weights</c>, <c>Biases</c>, <c>WeightGradients</c> and <c>BiasGradients</c>.</item>
/// <item>Scratch is sized once per maximum batch by <c>Prepare</c>; <c>Forward</c>/<c>Backward</c> allocate nothing.</item>
/// </list>
/// </remarks>
public abstract class Layer
{
    private Shape _inputShape, _outputShape;
    private Memory<float> _weights, _biases, _weightGradients, _biasGradients;
    private bool _bound;

    /// <summary>The layer's kind, e.g. <c>Conv2D</c>.</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>Name used in messages: position and kind, e.g. <c>layer 1 (Conv2D)</c>; the kind alone before it is added.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The shape of one input sample (without the batch dimension).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been added to a network.</exception>
    public Shape InputShape => _inputShape.Rank > 0 ? _inputShape : throw NotBuilt();

    /// <summary>The shape of one output sample (without the batch dimension).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been added to a network.</exception>
    public Shape OutputShape => _outputShape.Rank > 0 ? _outputShape : throw NotBuilt();

    /// <summary>Whether the layer has been given its input shape.</summary>
    public bool IsBuilt => _outputShape.Rank > 0;

    /// <summary>Number of trainable weights (subject to L2 decay).</summary>
    public virtual int WeightCount => 0;

    /// <summary>Number of trainable biases (not decayed).</summary>
    public virtual int BiasCount => 0;

    /// <summary>All trainable parameters: <see cref="WeightCount"/> + <see cref="BiasCount"/>.</summary>
    public int ParameterCount => WeightCount + BiasCount;

    /// <inheritdoc />
    public override string ToString() => IsBuilt ? $"{Describe()}: {InputShape} → {OutputShape}" : Describe();

    /// <summary>Gives the layer its input shape and name; infers and checks its output shape.</summary>
    /// <exception cref="ArgumentException">The input shape does not suit the layer; the message names the layer and the shapes.</exception>
    internal void Build(Shape input, string name)
    {
        if (IsBuilt) throw new InvalidOperationException($"{name} ({Kind}) already belongs to a network; create a new layer instead.");
        Name = name;
        var output = InferOutputShape(input);
        _inputShape = input;
        _outputShape = output;
    }

    /// <summary>The output sample shape for <paramref name="input"/>, or an <see cref="ArgumentException"/> made by <see cref="ShapeError"/>.</summary>
    private protected abstract Shape InferOutputShape(Shape input);

    /// <summary>Configuration in one line, e.g. <c>Conv2D(20, 3×3, stride 1, valid)</c>.</summary>
    private protected virtual string Describe() => Kind;

    /// <summary>An error naming this layer, the shape it got and what it needs.</summary>
    private protected ArgumentException ShapeError(Shape input, string need) =>
        new($"{Name}: input shape {input} does not fit: {need}.");

    /// <summary>Points the layer at its slices of the network's parameter and gradient buffers.</summary>
    /// <exception cref="ArgumentException">A slice's length differs from <see cref="WeightCount"/> or <see cref="BiasCount"/>.</exception>
    internal void BindParameters(Memory<float> weights, Memory<float> biases, Memory<float> weightGradients, Memory<float> biasGradients)
    {
        RequireBuilt();
        CheckSlice(weights.Length, WeightCount, nameof(weights));
        CheckSlice(biases.Length, BiasCount, nameof(biases));
        CheckSlice(weightGradients.Length, WeightCount, nameof(weightGradients));
        CheckSlice(biasGradients.Length, BiasCount, nameof(biasGradients));
        _weights = weights;
        _biases = biases;
        _weightGradients = weightGradients;
        _biasGradients = biasGradients;
        _bound = true;
    }

    /// <summary>This layer's weights [WeightCount] in the network's parameter buffer.</summary>
    private protected Span<float> Weights => Bound()._weights.Span;

    /// <summary>This layer's biases [BiasCount] in the network's parameter buffer.</summary>
    private protected Span<float> Biases => Bound()._biases.Span;

    /// <summary>The gradients of <see cref="Weights"/>, accumulated by Backward.</summary>
    private protected Span<float> WeightGradients => Bound()._weightGradients.Span;

    /// <summary>The gradients of <see cref="Biases"/>, accumulated by Backward.</summary>
    private protected Span<float> BiasGradients => Bound()._biasGradients.Span;

    /// <summary>Throws unless the layer belongs to a network.</summary>
    private protected void RequireBuilt()
    {
        if (!IsBuilt) throw NotBuilt();
    }

    /// <summary>Draws initial weights from <paramref name="random"/> and sets biases (called once, after binding).</summary>
    internal virtual void InitializeParameters(SeededRandom random) { }

    /// <summary>
    /// Sizes scratch buffers for batches of up to <paramref name="maxBatch"/> samples: those of the forward pass, and
    /// with <paramref name="training"/> those of the backward pass too. Buffers only grow, so preparing for inference
    /// after training (or for a smaller batch) keeps what training needs.
    /// </summary>
    internal virtual void Prepare(int maxBatch, bool training = true) { }

    /// <summary>y[N, OutputShape] = f(x[N, InputShape]) for the first <paramref name="batch"/> samples.</summary>
    internal abstract void Forward(ReadOnlySpan<float> x, Span<float> y, int batch);

    /// <summary>dx[N, InputShape] from dy[N, OutputShape] (skipped if <paramref name="dx"/> is empty); parameter gradients += .</summary>
    internal abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch);

    /// <summary>Writes the constructor configuration (not the parameters) for model files.</summary>
    internal abstract void WriteConfiguration(BinaryWriter writer);

    /// <summary>Throws unless the layer belongs to a network and its parameter slices are bound.</summary>
    private protected void RequireBound() => Bound();

    private Layer Bound()
    {
        RequireBuilt();
        return _bound ? this : throw new InvalidOperationException($"{Name}: parameters are not bound yet.");
    }

    private void CheckSlice(int length, int needed, string name)
    {
        if (length != needed)
            throw new ArgumentException($"{Name}: {name} must have {needed} elements, not {length}.", name);
    }

    private InvalidOperationException NotBuilt() =>
        new($"{Kind} has no shapes yet: add it to a Network first.");
}
