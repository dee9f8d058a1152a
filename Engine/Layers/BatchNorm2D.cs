namespace Engine.Layers;

/// <summary>
/// Batch normalisation per channel of a (channels, height, width) input, over the batch and the spatial positions
/// (PyTorch's <c>BatchNorm2d</c>); see <see cref="BatchNorm"/>. Output has the input's shape.
/// </summary>
public sealed class BatchNorm2D : BatchNorm
{
    /// <summary>Creates the layer.</summary>
    /// <param name="momentum">The weight of each batch in the running statistics, in (0, 1].</param>
    /// <param name="epsilon">Added to the variance, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public BatchNorm2D(float momentum = 0.1f, float epsilon = 1e-5f) : base(momentum, epsilon) { }

    private protected override (int Channels, int Spatial) Split(Shape input) =>
        input.Rank == 3 ? (input[0], input[1] * input[2]) : throw ShapeError(input, "BatchNorm2D needs a rank-3 (channels, height, width) input; use BatchNorm1D after Dense");
}
