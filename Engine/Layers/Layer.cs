namespace Engine.Layers;

/// <summary>
/// One stage of a <c>Network</c>. A layer is configured by its constructor, given its input shape when it is added to a
/// network (which infers and checks its output shape), and then runs forward and backward over whole batches in NCHW
/// order. Subclass it to write your own layer: override <see cref="InferOutputShape"/>, <see cref="OnForward"/> and
/// <see cref="OnBackward"/>, and, if it has parameters or needs memory, the counts and sizes below.
/// </summary>
/// <remarks>
/// The compute contract:
/// <list type="bullet">
/// <item><see cref="OnForward"/>(x /*N, InputShape*/, y /*N, OutputShape*/, n, context) overwrites y; x and y are exactly
/// n samples long. It may read the parameters, and write <see cref="LayerContext.Saved"/> and <see cref="LayerContext.Scratch"/>;
/// it must change nothing else (many threads may run evaluation passes of one layer at once).</item>
/// <item><see cref="OnBackward"/>(x, y, dy /*N, OutputShape*/, dx /*N, InputShape*/, n, context) gets the x and y of the latest
/// training Forward with the same context memory; it overwrites dx (skipped when dx is empty: the network's first layer needs
/// no input gradient) and <em>accumulates</em> (+=) parameter gradients, which the network zeroes once per step.</item>
/// <item>Weights (decayed by L2 and weight decay) and biases (everything else that trains, never decayed) are slices of the
/// network's one parameter buffer, and their gradients slices of its one gradient buffer, bound by <see cref="BindParameters"/>
/// and reached through <see cref="Weights"/>, <see cref="Biases"/>, <see cref="WeightGradients"/> and <see cref="BiasGradients"/>.</item>
/// <item>Memory comes from the caller (<see cref="SavedSize"/>, <see cref="ScratchSize"/>); Forward and Backward allocate nothing.</item>
/// </list>
/// </remarks>
public abstract class Layer
{
    private Shape _inputShape, _outputShape;
    private Memory<float> _weights, _biases, _weightGradients, _biasGradients, _state;
    private bool _bound;

    /// <summary>The layer's kind, e.g. <c>Conv2D</c>.</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>Name used in messages: position and kind, e.g. <c>layer 1 (Conv2D)</c>; the kind alone before it is built.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The shape of one input sample (without the batch dimension).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been built (added to a network).</exception>
    public Shape InputShape => _inputShape.Rank > 0 ? _inputShape : throw NotBuilt();

    /// <summary>The shape of one output sample (without the batch dimension).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been built (added to a network).</exception>
    public Shape OutputShape => _outputShape.Rank > 0 ? _outputShape : throw NotBuilt();

    /// <summary>Whether the layer has been given its input shape.</summary>
    public bool IsBuilt => _outputShape.Rank > 0;

    /// <summary>Whether the layer's parameter slices are bound.</summary>
    public bool IsBound => _bound;

    /// <summary>Number of trainable weights (decayed by L2 and weight decay). Known once the layer is built.</summary>
    public virtual int WeightCount => 0;

    /// <summary>Number of other trainable parameters — biases, normalisation scales and shifts — never decayed.</summary>
    public virtual int BiasCount => 0;

    /// <summary>All trainable parameters: <see cref="WeightCount"/> + <see cref="BiasCount"/>.</summary>
    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>Values the layer keeps that do not train but belong to the model (e.g. batch norm's running statistics): saved and
    /// loaded with it, updated by training Forward passes, read by evaluation passes.</summary>
    public virtual int StateCount => 0;

    /// <inheritdoc />
    public override string ToString() => IsBuilt ? $"{Describe()}: {InputShape} → {OutputShape}" : Describe();

    /// <summary>
    /// Gives the layer its input shape and name and infers its output shape. <c>Network.Add</c> calls it; call it yourself
    /// only to run a layer on its own (e.g. in a gradient check).
    /// </summary>
    /// <param name="input">The shape of one input sample.</param>
    /// <param name="name">The name used in messages; default the kind.</param>
    /// <exception cref="ArgumentException">The input shape does not suit the layer; the message names the layer and the shapes.</exception>
    /// <exception cref="InvalidOperationException">The layer is already built (it belongs to a network).</exception>
    public void Build(Shape input, string? name = null)
    {
        if (IsBuilt) throw new InvalidOperationException($"{Name} already belongs to a network; create a new layer instead.");
        Name = name ?? Kind;
        var output = InferOutputShape(input);
        _inputShape = input;
        _outputShape = output;
    }

    /// <summary>The initialisation layers without their own use: the network's, set when the layer is added (He unless changed).</summary>
    internal WeightInit DefaultInit { get; set; } = WeightInit.He;

    /// <summary>Whether the layer was given its own initialisation (layers without parameters: true).</summary>
    internal virtual bool HasInit => true;

    /// <summary>The name a network gives its layer at (1-based) <paramref name="position"/>, e.g. <c>layer 3 (Dense)</c>.</summary>
    internal static string PositionName(int position, Layer layer) => $"layer {position} ({layer.Kind})";

    /// <summary>The output sample shape for <paramref name="input"/>, or an <see cref="ArgumentException"/> made by <see cref="ShapeError"/>.</summary>
    /// <param name="input">The shape of one input sample.</param>
    protected abstract Shape InferOutputShape(Shape input);

    /// <summary>Configuration in one line, e.g. <c>Conv2D(20, 3×3, stride 1, valid)</c>.</summary>
    protected virtual string Describe() => Kind;

    /// <summary>An error naming this layer, the shape it got and what it needs.</summary>
    /// <param name="input">The shape that does not fit.</param>
    /// <param name="need">What the layer needs, e.g. "a rank-3 input".</param>
    protected ArgumentException ShapeError(Shape input, string need) =>
        new($"{Name}: input shape {input} does not fit: {need}.");

    /// <summary>
    /// Points the layer at its slices of a parameter and a gradient buffer. <c>Network</c> calls it; call it yourself only to
    /// run a layer on its own.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    /// <exception cref="ArgumentException">A slice's length differs from <see cref="WeightCount"/> or <see cref="BiasCount"/>.</exception>
    public void BindParameters(Memory<float> weights, Memory<float> biases, Memory<float> weightGradients, Memory<float> biasGradients)
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

    /// <summary>Points the layer at its slice of the network's state buffer (<see cref="StateCount"/> values).</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    /// <exception cref="ArgumentException">The slice's length differs from <see cref="StateCount"/>.</exception>
    public void BindState(Memory<float> state)
    {
        RequireBuilt();
        CheckSlice(state.Length, StateCount, nameof(state));
        _state = state;
    }

    /// <summary>This layer's state [StateCount] (see <see cref="StateCount"/>).</summary>
    protected Span<float> State => _state.Length == StateCount ? _state.Span : throw new InvalidOperationException($"{Name}: its state is not bound yet.");

    /// <summary>Sets the initial state (e.g. running variance 1); the network calls it once, after binding.</summary>
    public virtual void InitializeState() { }

    /// <summary>This layer's weights [WeightCount] in the network's parameter buffer.</summary>
    protected Span<float> Weights => Bound()._weights.Span;

    /// <summary>This layer's biases and other undecayed parameters [BiasCount] in the network's parameter buffer.</summary>
    protected Span<float> Biases => Bound()._biases.Span;

    /// <summary>The gradients of <see cref="Weights"/>, accumulated by Backward.</summary>
    protected Span<float> WeightGradients => Bound()._weightGradients.Span;

    /// <summary>The gradients of <see cref="Biases"/>, accumulated by Backward.</summary>
    protected Span<float> BiasGradients => Bound()._biasGradients.Span;

    /// <summary>
    /// Draws initial weights from <paramref name="random"/> and sets the biases. The network calls it once, after binding, with a
    /// generator of its own for this layer (so a layer's initial values depend only on the network's seed and its position).
    /// </summary>
    /// <param name="random">The layer's generator.</param>
    public virtual void InitializeParameters(SeededRandom random) { }

    /// <summary>Floats of <see cref="LayerContext.Saved"/> the layer keeps from Forward to Backward for batches of up to <paramref name="maxBatch"/>.</summary>
    /// <param name="maxBatch">The largest batch.</param>
    public virtual long SavedSize(int maxBatch) => 0;

    /// <summary>Floats of <see cref="LayerContext.Scratch"/> one call needs for batches of up to <paramref name="maxBatch"/> on up to
    /// <paramref name="threads"/> threads (in training mode the larger of Forward's and Backward's needs).</summary>
    /// <param name="maxBatch">The largest batch.</param>
    /// <param name="threads">The most threads.</param>
    /// <param name="mode">Training or evaluation.</param>
    public virtual long ScratchSize(int maxBatch, int threads, LayerMode mode) => 0;

    /// <summary>y[N, OutputShape] = f(x[N, InputShape]) for the first <paramref name="batch"/> samples (checked, then <see cref="OnForward"/>).</summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or has parameters that are not bound.</exception>
    /// <exception cref="ArgumentException">The batch exceeds the context's, or a span is shorter than the batch needs.</exception>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context)
    {
        CheckForward(x.Length, y.Length, batch, context);
        OnForward(x[..(batch * InputShape.Size)], y[..(batch * OutputShape.Size)], batch, context);
    }

    /// <summary>The checks of <see cref="Forward"/>, for a layer's own variants of the forward pass (such as a fused epilogue).</summary>
    private protected void CheckForward(int xLength, int yLength, int batch, in LayerContext context)
    {
        CheckCall(batch, context);
        CheckSpan(xLength, batch, InputShape.Size, "x");
        CheckSpan(yLength, batch, OutputShape.Size, "y");
    }

    /// <summary>
    /// dx[N, InputShape] from dy[N, OutputShape] (dx skipped if empty) and parameter gradients += , given the x and y of the
    /// latest training <see cref="Forward"/> (checked, then <see cref="OnBackward"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or has parameters that are not bound.</exception>
    /// <exception cref="ArgumentException">The batch exceeds the context's, or a span is shorter than the batch needs.</exception>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        CheckCall(batch, context);
        CheckSpan(x.Length, batch, inSize, "x");
        CheckSpan(y.Length, batch, outSize, "y");
        CheckSpan(dy.Length, batch, outSize, "dy");
        if (!dx.IsEmpty) CheckSpan(dx.Length, batch, inSize, "dx");
        OnBackward(x[..(batch * inSize)], y[..(batch * outSize)], dy[..(batch * outSize)],
            dx.IsEmpty ? dx : dx[..(batch * inSize)], batch, context);
    }

    /// <summary>The forward pass; see the class remarks for the contract. x and y are exactly <paramref name="batch"/> samples long.</summary>
    /// <param name="x">Input [N, InputShape].</param>
    /// <param name="y">Output [N, OutputShape], to overwrite.</param>
    /// <param name="batch">N.</param>
    /// <param name="context">Mode, memory and limits of this call.</param>
    protected abstract void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context);

    /// <summary>The backward pass; see the class remarks for the contract.</summary>
    /// <param name="x">The latest training Forward's input [N, InputShape].</param>
    /// <param name="y">Its output [N, OutputShape].</param>
    /// <param name="dy">The gradient of the loss with respect to y [N, OutputShape].</param>
    /// <param name="dx">The gradient with respect to x [N, InputShape], to overwrite; empty when not needed.</param>
    /// <param name="batch">N.</param>
    /// <param name="context">The same memory as the Forward of this step.</param>
    protected abstract void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context);

    /// <summary>Throws unless the layer has been built.</summary>
    /// <exception cref="InvalidOperationException">It has not.</exception>
    protected void RequireBuilt()
    {
        if (!IsBuilt) throw NotBuilt();
    }

    private void CheckCall(int batch, in LayerContext context)
    {
        RequireBuilt();
        if (ParameterCount > 0 && !_bound) throw new InvalidOperationException($"{Name}: parameters are not bound yet.");
        if (batch < 1 || batch > context.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{Name}: the batch must be between 1 and the context's {context.MaxBatch}.");
    }

    private void CheckSpan(int length, int batch, int perSample, string name)
    {
        if (length < (long)batch * perSample)
            throw new ArgumentException($"{Name}: {name} needs {batch}×{perSample} elements, but has {length}.", name);
    }

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
