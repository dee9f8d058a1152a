using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// Turns a vector of K class scores into probabilities, y_i = e^(x_i) / Σ_j e^(x_j) (the report's Eq. 7),
/// computed with the row maximum subtracted so large scores cannot overflow. Needs a rank-1 input
/// (put a <see cref="Flatten"/> or a <c>Dense</c> layer before it).
/// </summary>
/// <remarks>
/// Its backward pass is the full Jacobian product dx_i = y_i(dy_i − Σ_j dy_j y_j). With a
/// <c>CrossEntropy</c> loss the network skips it and uses the fused gradient (p − onehot)/N.
/// </remarks>
public sealed class Softmax : Layer
{
    /// <summary>Creates the layer.</summary>
    public Softmax() { }

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 1)
            throw ShapeError(input, "needs a vector of class scores (rank 1); add a Flatten or Dense layer before it");
        return input;
    }

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        SoftmaxKernels.Forward(x, y, batch, InputShape[0]);

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (dx.IsEmpty) return;
        SoftmaxKernels.Backward(y, dy, dx, batch, InputShape[0]);
    }
}
