using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// Global average pooling: a (channels, height, width) input becomes the vector of its channels' means (PyTorch's
/// <c>AdaptiveAvgPool2d(1)</c> followed by flattening). Output (channels).
/// </summary>
public sealed class GlobalAvgPool2D : Layer
{
    /// <summary>Creates the layer.</summary>
    public GlobalAvgPool2D() { }

    /// <inheritdoc />
    protected override Shape InferOutputShape(Shape input) =>
        input.Rank == 3 ? new Shape(input[0]) : throw ShapeError(input, "GlobalAvgPool2D needs a rank-3 (channels, height, width) input");

    /// <summary>The partial sums of one sample's channels.</summary>
    public override long ScratchSize(int maxBatch, int threads, LayerMode mode) => GlobalPooling.ScratchSize(InputShape[0]);

    /// <inheritdoc />
    protected override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        GlobalPooling.AverageForward(x, y, batch, InputShape[0], InputShape[1] * InputShape[2], context.Scratch);

    /// <inheritdoc />
    protected override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (!dx.IsEmpty) GlobalPooling.AverageBackward(dy, dx, batch, InputShape[0], InputShape[1] * InputShape[2]);
    }
}
