namespace Engine.Layers;

/// <summary>
/// What the element-wise activation layers (<see cref="Sigmoid"/>, <see cref="ReLU"/>, <see cref="LeakyReLU"/>) share: any
/// input shape, output of the same shape, y = f(x) and dx = dy·f'(x) element by element. Subclass it for a custom activation:
/// override <see cref="Apply"/> and <see cref="Derive"/> (and <see cref="IsMonotone"/> when f never decreases).
/// </summary>
/// <remarks>
/// The built-in activations split a batch's elements over the threads the network may use; a custom one gets the whole tensor
/// in one call of <see cref="Apply"/> and <see cref="Derive"/>, on the calling thread, so it need not be thread-safe.
/// </remarks>
public abstract class ActivationLayer : Layer
{
    private readonly bool _builtIn;

    /// <summary>Creates the layer.</summary>
    protected ActivationLayer() => _builtIn = GetType().Assembly == typeof(ActivationLayer).Assembly;

    /// <summary>
    /// Whether f never decreases (f(a) ≤ f(b) for a ≤ b), so that max pooling commutes with it: pool(f(x)) = f(pool(x)).
    /// A network then pools first and activates the 4× smaller result.
    /// </summary>
    public virtual bool IsMonotone => false;

    /// <inheritdoc />
    protected sealed override Shape InferOutputShape(Shape input) => input;

    /// <inheritdoc />
    protected sealed override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context)
    {
        var body = new Slices(this, x, default, default, y, backward: false);
        if (_builtIn) Engine.Kernels.ElementwiseParts.Run(ref body, x.Length, context.Threads);
        else Apply(x, y);
    }

    /// <inheritdoc />
    protected sealed override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (dx.IsEmpty) return;
        var body = new Slices(this, x, y, dy, dx, backward: true);
        if (_builtIn) Engine.Kernels.ElementwiseParts.Run(ref body, x.Length, context.Threads);
        else Derive(x, y, dy, dx);
    }

    /// <summary><see cref="Apply"/> (output = y) or, <paramref name="backward"/>, <see cref="Derive"/> (output = dx) on elements [start, +count).</summary>
    private readonly ref struct Slices(ActivationLayer layer, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> output,
        bool backward) : Engine.Kernels.ISliceBody
    {
        private readonly ReadOnlySpan<float> _x = x, _y = y, _dy = dy;
        private readonly Span<float> _output = output;

        public void Execute(int start, int count)
        {
            if (backward) layer.Derive(_x.Slice(start, count), _y.Slice(start, count), _dy.Slice(start, count), _output.Slice(start, count));
            else layer.Apply(_x.Slice(start, count), _output.Slice(start, count));
        }
    }

    /// <summary>y = f(x) for every element of <paramref name="x"/> (any length; <paramref name="y"/> at least as long).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Outputs, overwritten.</param>
    protected internal abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = dy·f'(x) for every element (any length), given also y = f(x).</summary>
    /// <param name="x">Inputs of the forward pass.</param>
    /// <param name="y">Its outputs f(x).</param>
    /// <param name="dy">Gradient with respect to y.</param>
    /// <param name="dx">Gradient with respect to x, overwritten.</param>
    protected internal abstract void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);
}
