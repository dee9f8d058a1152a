using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// 2-D max pooling over each channel of a <c>channels×height×width</c> input, without padding: every
/// window of <see cref="SizeHeight"/>×<see cref="SizeWidth"/>, moved by the strides, gives its maximum.
/// Output size per axis is floor((input − size) / stride) + 1; rows or columns no window reaches are dropped
/// (29 → 14 for size 2, stride 2).
/// </summary>
/// <remarks>
/// The gradient goes to one argmax per window; the first maximum in row-major order wins (a NaN in a window
/// counts as its maximum, so it propagates). With stride &lt; size windows overlap and an input chosen by
/// several windows receives the sum of their gradients. The argmax indices are kept in a buffer allocated once
/// by <c>Prepare</c> for the largest batch.
/// </remarks>
public sealed class MaxPool2D : Layer
{
    private PoolGeometry _geometry;
    private int[] _argmax = [];

    /// <summary>A square <paramref name="size"/>×<paramref name="size"/> window.</summary>
    /// <param name="size">Window height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1; defaults to <paramref name="size"/> (windows tile the input).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    public MaxPool2D(int size, int? stride = null) : this(size, size, stride ?? size, stride ?? size) { }

    /// <summary>A rectangular window with separate strides.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    public MaxPool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth)
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

    internal override void Prepare(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        int needed = checked(maxBatch * OutputShape.Size);
        if (_argmax.Length < needed) _argmax = new int[needed];
    }

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        if (!IsBuilt || batch * _geometry.OutputSize > _argmax.Length)
            throw new InvalidOperationException($"{(IsBuilt ? Name : Kind)}: a batch of {batch} needs Prepare({batch}) (or larger) before Forward.");
        Pooling.MaxForward(_geometry, batch, x, y, _argmax);
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        Pooling.MaxBackward(_geometry, batch, dy, _argmax, dx);
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
    internal static MaxPool2D ReadConfiguration(BinaryReader reader)
    {
        int sizeHeight = reader.ReadInt32(), sizeWidth = reader.ReadInt32();
        int strideHeight = reader.ReadInt32(), strideWidth = reader.ReadInt32();
        if (sizeHeight < 1 || sizeWidth < 1 || strideHeight < 1 || strideWidth < 1)
            throw new InvalidDataException($"MaxPool2D configuration has window {sizeHeight}×{sizeWidth} and stride {strideHeight}×{strideWidth}; each must be at least 1.");
        return new MaxPool2D(sizeHeight, sizeWidth, strideHeight, strideWidth);
    }
}
