using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// Inverted dropout: in training each value is zeroed with probability <see cref="Rate"/> and the others scaled by
/// 1/(1 − rate); in evaluation the layer passes its input through. The mask is drawn from the network's seed, the training
/// step and the layer's position (see <see cref="LayerContext.Seed"/>), so a run is bit-identical for any thread count.
/// Any input shape; the output has the input's shape.
/// </summary>
public sealed class Dropout : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="rate">The probability of dropping a value, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public Dropout(float rate = 0.5f)
    {
        if (!(rate is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout: the rate must be in [0, 1).");
        Rate = rate;
    }

    /// <summary>The probability of dropping each value.</summary>
    public float Rate { get; }

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input) => input;

    /// <inheritdoc />
    protected override string Describe() => $"Dropout({Rate})";

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context)
    {
        if (context.IsTraining && Rate > 0f) DropoutKernels.Apply(x, y, context.Seed, Rate, context.Threads);
        else x.CopyTo(y);
    }

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (dx.IsEmpty) return;
        if (Rate > 0f) DropoutKernels.Apply(dy, dx, context.Seed, Rate, context.Threads);
        else dy.CopyTo(dx);
    }
}
