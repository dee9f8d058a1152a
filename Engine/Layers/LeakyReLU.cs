using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The leaky rectified linear unit applied element-wise: f(x) = x for x ≥ 0 and <see cref="Slope"/>·x for
/// x &lt; 0 (the report's Eq. 4 with slope 0.01; NaN propagates); f'(x) = 1 for x &gt; 0 and
/// <see cref="Slope"/> otherwise, including at x = 0. Any input shape; the output has the same shape.
/// </summary>
public sealed class LeakyReLU : ActivationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="slope">The slope for negative inputs: finite, 0 ≤ slope &lt; 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slope"/> is not finite or not in [0, 1).</exception>
    public LeakyReLU(float slope = 0.01f)
    {
        if (!IsValidSlope(slope))
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "The slope of a LeakyReLU must be a finite number with 0 ≤ slope < 1.");
        Slope = slope;
    }

    /// <summary>The slope for negative inputs.</summary>
    public float Slope { get; }

    /// <inheritdoc />
    protected override string Describe() => $"{Kind}({Slope})";

    /// <inheritdoc />
    protected internal override void Apply(ReadOnlySpan<float> x, Span<float> y) => Activations.Forward(new LeakyReluOperator(Slope), x, y);

    /// <inheritdoc />
    protected internal override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Activations.Backward(new LeakyReluOperator(Slope), x, y, dy, dx);

    /// <inheritdoc />
    public override bool IsMonotone => true;

    private static bool IsValidSlope(float slope) => float.IsFinite(slope) && slope >= 0f && slope < 1f;
}
