using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// The logistic sigmoid applied element-wise, f(x) = 1 / (1 + e^−x) (the report's Eq. 6), computed without
/// overflow for large |x|; f'(x) = f(x)(1 − f(x)). Any input shape; the output has the same shape.
/// </summary>
public sealed class Sigmoid : Layer
{
    /// <summary>Creates the layer.</summary>
    public Sigmoid() { }

    private protected override Shape InferOutputShape(Shape input) => input;

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch) =>
        Activations.Forward(new SigmoidOperator(), x[..(batch * InputShape.Size)], y);

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        Activations.Backward(new SigmoidOperator(), x[..(batch * InputShape.Size)], y, dy, dx);
    }

    internal override void WriteConfiguration(BinaryWriter writer) { }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote (nothing).</summary>
    internal static Sigmoid ReadConfiguration(BinaryReader reader) => new();
}
