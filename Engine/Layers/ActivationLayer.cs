namespace Engine.Layers;

/// <summary>
/// What the element-wise activation layers (<see cref="Sigmoid"/>, <see cref="ReLU"/>, <see cref="LeakyReLU"/>)
/// share: any input shape, output of the same shape, y = f(x) and dx = dy·f'(x) element by element.
/// </summary>
public abstract class ActivationLayer : Layer
{
    private protected ActivationLayer() { }

    /// <summary>
    /// Whether f never decreases (f(a) ≤ f(b) for a ≤ b), so that max pooling commutes with it:
    /// pool(f(x)) = f(pool(x)). The network then pools first and activates the 4× smaller result.
    /// </summary>
    internal virtual bool IsMonotone => false;

    private protected sealed override Shape InferOutputShape(Shape input) => input;

    internal sealed override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch) =>
        Apply(x[..(batch * InputShape.Size)], y);

    internal sealed override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        int length = batch * InputShape.Size;
        Derive(x[..length], y[..length], dy[..length], dx);
    }

    /// <summary>y = f(x) for every element of <paramref name="x"/> (any length).</summary>
    internal abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = dy·f'(x) for every element (any length); y = f(x).</summary>
    internal abstract void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);
}
