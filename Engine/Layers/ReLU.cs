using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The rectified linear unit applied element-wise, f(x) = max(0, x) (the report's Eq. 5; NaN propagates);
/// f'(x) = 1 for x &gt; 0 and 0 otherwise, including at x = 0. Any input shape; the output has the same shape.
/// </summary>
public sealed class ReLU : Layer
{
    /// <summary>Creates the layer.</summary>
    public ReLU() { }

    private protected override Shape InferOutputShape(Shape input) => input;

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch) =>
        Activations.Forward(new ReluOperator(), x[..(batch * InputShape.Size)], y);

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        Activations.Backward(new ReluOperator(), x[..(batch * InputShape.Size)], y, dy, dx);
    }

    internal override void WriteConfiguration(BinaryWriter writer) { }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote (nothing).</summary>
    internal static ReLU ReadConfiguration(BinaryReader reader) => new();
}
