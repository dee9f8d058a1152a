using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// 2-D average pooling over each channel of a <c>channels×height×width</c> input, without padding: every
/// window of <see cref="SizeHeight"/>×<see cref="SizeWidth"/>, moved by the strides, gives its mean.
/// Output size per axis is floor((input − size) / stride) + 1; rows or columns no window reaches are dropped
/// (29 → 14 for size 2, stride 2).
/// </summary>
/// <remarks>
/// Backward gives every input of a window dy / (SizeHeight·SizeWidth); with stride &lt; size windows overlap
/// and the shares add up.
/// </remarks>
public sealed class AvgPool2D : Layer
{
    private PoolGeometry _geometry;

    /// <summary>A square <paramref name="size"/>×<paramref name="size"/> window.</summary>
    /// <param name="size">Window height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1; defaults to <paramref name="size"/> (windows tile the input).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    public AvgPool2D(int size, int? stride = null) : this(size, size, stride ?? size, stride ?? size) { }

    /// <summary>A rectangular window with separate strides.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    public AvgPool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWidth, 1);
        SizeHeight = sizeHeight; SizeWidth = sizeWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
    }

    /// <summary>Window height in rows.</summary>
    public int SizeHeight { get; }

    /// <summary>Window width in columns.</summary>
    public int SizeWidth { get; }

    /// <summary>Rows between the tops of vertically neighbouring windows.</summary>
    public int StrideHeight { get; }

    /// <summary>Columns between the left edges of horizontally neighbouring windows.</summary>
    public int StrideWidth { get; }

    private protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 3 || input[1] < SizeHeight || input[2] < SizeWidth)
            throw ShapeError(input, $"needs channels×height×width with height ≥ {SizeHeight} and width ≥ {SizeWidth} for its {SizeHeight}×{SizeWidth} window");
        _geometry = PoolGeometry.Create(input[0], input[1], input[2], SizeHeight, SizeWidth, StrideHeight, StrideWidth);
        return new Shape(_geometry.Channels, _geometry.OutputHeight, _geometry.OutputWidth);
    }

    private protected override string Describe() =>
        SizeHeight == SizeWidth && StrideHeight == StrideWidth
            ? $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight})"
            : $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight}×{StrideWidth})";

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        if (!IsBuilt) throw new InvalidOperationException($"{Kind} has no shapes yet: add it to a Network first.");
        Pooling.AverageForward(_geometry, batch, x, y);
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        Pooling.AverageBackward(_geometry, batch, dy, dx);
    }

    internal override void WriteConfiguration(BinaryWriter writer)
    {
        writer.Write(SizeHeight);
        writer.Write(SizeWidth);
        writer.Write(StrideHeight);
        writer.Write(StrideWidth);
    }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote.</summary>
    /// <exception cref="InvalidDataException">A size or stride is less than 1.</exception>
    internal static AvgPool2D ReadConfiguration(BinaryReader reader)
    {
        int sizeHeight = reader.ReadInt32(), sizeWidth = reader.ReadInt32();
        int strideHeight = reader.ReadInt32(), strideWidth = reader.ReadInt32();
        if (sizeHeight < 1 || sizeWidth < 1 || strideHeight < 1 || strideWidth < 1)
            throw new InvalidDataException($"AvgPool2D configuration has window {sizeHeight}×{sizeWidth} and stride {strideHeight}×{strideWidth}; each must be at least 1.");
        return new AvgPool2D(sizeHeight, sizeWidth, strideHeight, strideWidth);
    }
}
