namespace Engine.Layers;

/// <summary>
/// Reshapes a sample of any rank into a vector of the same size (e.g. 20×13×13 → 2880), keeping the
/// row-major order, so a <c>Dense</c> layer can follow a convolution or pooling. Forward and backward are copies.
/// </summary>
public sealed class Flatten : Layer
{
    /// <summary>Creates the layer.</summary>
    public Flatten() { }

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input) => new(input.Size);

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) => x.CopyTo(y);

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (!dx.IsEmpty) dy.CopyTo(dx);
    }
}
