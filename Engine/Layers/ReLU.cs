using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The rectified linear unit applied element-wise, f(x) = max(0, x) (the report's Eq. 5; NaN propagates);
/// f'(x) = 1 for x &gt; 0 and 0 otherwise, including at x = 0. Any input shape; the output has the same shape.
/// </summary>
public sealed class ReLU : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    public ReLU() { }

    /// <inheritdoc />
    protected internal override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Forward(new ReluOperator(), x, y);

    /// <inheritdoc />
    protected internal override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.Backward(new ReluOperator(), x, y, dy, dx);

    /// <inheritdoc />
    public override bool IsMonotone => true;
}
