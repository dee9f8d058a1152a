namespace Engine.Layers;

/// <summary>
/// Reshapes a sample of any rank into a vector of the same size (e.g. 20×13×13 → 2880), keeping the
/// row-major order, so a <c>Dense</c> layer can follow a convolution or pooling. Forward and backward are copies.
/// </summary>
public sealed class Flatten : Layer
{
    /// <summary>Creates the layer.</summary>
    public Flatten() { }

    private protected override Shape InferOutputShape(Shape input) => new(input.Size);

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int n = batch * InputShape.Size;
        x[..n].CopyTo(y);
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        int n = batch * InputShape.Size;
        dy[..n].CopyTo(dx);
    }

    internal override void WriteConfiguration(BinaryWriter writer) { }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote (nothing).</summary>
    internal static Flatten ReadConfiguration(BinaryReader reader) => new();
}
