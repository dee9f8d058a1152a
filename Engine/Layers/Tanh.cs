using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The hyperbolic tangent applied element-wise: f(x) = tanh(x) (within a few ulp of <see cref="Math.Tanh"/>, the same bits on every
/// tier), f'(x) = 1 − y² with y = f(x). Monotone, so a max pooling after it runs first. Any input shape; the output has the same shape.
/// </summary>
public sealed class Tanh : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    public Tanh() { }

    /// <inheritdoc />
    protected internal override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Forward(new TanhOperator(), x, y);

    /// <inheritdoc />
    protected internal override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.Backward(new TanhOperator(), x, y, dy, dx);

    /// <inheritdoc />
    public override bool IsMonotone => true;
}
