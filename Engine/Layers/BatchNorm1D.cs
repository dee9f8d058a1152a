namespace Engine.Layers;

/// <summary>
/// Batch normalisation per feature of a vector input, over the batch (PyTorch's <c>BatchNorm1d</c> on [N, F]); see
/// <see cref="BatchNorm"/>. Output has the input's shape.
/// </summary>
public sealed class BatchNorm1D : BatchNorm
{
    /// <summary>Creates the layer.</summary>
    /// <param name="momentum">The weight of each batch in the running statistics, in (0, 1].</param>
    /// <param name="epsilon">Added to the variance, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public BatchNorm1D(float momentum = 0.1f, float epsilon = 1e-5f) : base(momentum, epsilon) { }

    private protected override (int Channels, int Spatial) Split(Shape input) =>
        input.Rank == 1 ? (input[0], 1) : throw ShapeError(input, "BatchNorm1D needs a rank-1 (features) input; use BatchNorm2D after a convolution");
}
