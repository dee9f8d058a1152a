using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// A fully connected layer: y = W·x + b for a (features) input, with <see cref="Units"/> outputs.
/// Input (I), output (<see cref="Units"/>); a (C, H, W) input needs a <c>Flatten</c> layer first.
/// </summary>
/// <remarks>Weights are stored [Units, I] (one row per output unit) and decayed by L2; biases [Units].</remarks>
public sealed class Dense : Layer
{
    private int _inputs;
    private readonly PlanCache<DensePlan> _plans = new();

    /// <summary>A fully connected layer with <paramref name="units"/> outputs.</summary>
    /// <param name="units">Output features, at least 1.</param>
    /// <param name="init">How the weights (and for <see cref="WeightInit.PyTorchDefault"/> the biases) are initialised; null: the network's default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is less than 1 or <paramref name="init"/> is unknown.</exception>
    public Dense(int units, WeightInit? init = null)
    {
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), units, "Dense: units must be at least 1.");
        if (init is { } chosen && !Enum.IsDefined(chosen)) throw new ArgumentOutOfRangeException(nameof(init), init, "Dense: unknown weight initialisation.");
        Units = units;
        _init = init;
    }

    /// <summary>Number of outputs.</summary>
    public int Units { get; }

    private WeightInit? _init;

    /// <summary>How the weights are initialised (the network's default when none was given, once added).</summary>
    public WeightInit Init => _init ?? DefaultInit;

    /// <summary>Whether the initialisation was given explicitly.</summary>
    internal override bool HasInit => _init is not null;

    /// <inheritdoc />
    public override string Kind => "Dense";

    /// <summary>Units·inputs (0 before the layer is built).</summary>
    public override int WeightCount => IsBuilt ? Units * _inputs : 0;

    /// <summary>Units (0 before the layer is built).</summary>
    public override int BiasCount => IsBuilt ? Units : 0;

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 1)
            throw ShapeError(input, $"Dense needs a rank-1 (features) input; add Flatten first (it gives {input.Size} features)");
        if ((long)Units * input[0] > int.MaxValue)
            throw ShapeError(input, $"{Units} units × {input[0]} inputs make the layer too large");
        _inputs = input[0];
        return new Shape(Units);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        Init == WeightInit.He ? $"Dense({Units})" : $"Dense({Units}, {WeightInitializer.Describe(Init)})";

    /// <inheritdoc />
    public override void InitializeParameters(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        WeightInitializer.Fill(Init, Weights, fanIn: _inputs, fanOut: Units, random);
        WeightInitializer.FillBiases(Init, Biases, _inputs, random);
    }

    /// <summary>The kernels' plan for batches of up to <paramref name="maxBatch"/> on up to <paramref name="threads"/> threads.</summary>
    internal DensePlan Plan(int maxBatch, int threads)
    {
        RequireBuilt();
        return _plans.Get(maxBatch, threads, this, static (layer, batch, count) => DensePlan.Create(layer._inputs, layer.Units, batch, count));
    }

    /// <summary>Narrow layers with long inputs compute the forward pass as fixed-order dot products and keep their partial sums here.</summary>
    public override long ScratchSize(int maxBatch, int threads, LayerMode mode) => Plan(maxBatch, threads).ScratchSize;

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        // x: [N, I]   W: [U, I]   b: [U]   y: [N, U]
        Plan(context.MaxBatch, context.Threads).Forward(x, Weights, Biases, y, batch, context.Scratch);

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context) =>
        // x: [N, I]   dy: [N, U]   dW: [U, I] (+=)   db: [U] (+=)   dx: [N, I] (overwritten)
        Plan(context.MaxBatch, context.Threads).Backward(x, Weights, dy, dx, WeightGradients, BiasGradients, batch);
}
