using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The logistic sigmoid applied element-wise, f(x) = 1 / (1 + e^−x) (the report's Eq. 6), computed without
/// overflow for large |x|; f'(x) = f(x)(1 − f(x)). Any input shape; the output has the same shape.
/// </summary>
public sealed class Sigmoid : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    public Sigmoid() { }

    /// <inheritdoc />
    protected internal override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Forward(new SigmoidOperator(), x, y);

    /// <inheritdoc />
    protected internal override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.Backward(new SigmoidOperator(), x, y, dy, dx);

    /// <remarks>
    /// Sigmoid never decreases, but in float it saturates: many inputs above ~17 all give exactly 1, so pooling first
    /// would route the gradient to a different (saturated) element than the report's order does. It is therefore
    /// not reordered with max pooling.
    /// </remarks>
    /// <inheritdoc />
    public override bool IsMonotone => false;
}
