using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// What the 2-D pooling layers share: a <see cref="SizeHeight"/>×<see cref="SizeWidth"/> window moved by
/// the strides over each channel of a <c>channels×height×width</c> input, without padding. Output size per
/// axis is floor((input − size) / stride) + 1; rows or columns no window reaches are dropped (29 → 14 for
/// size 2, stride 2).
/// </summary>
public abstract class Pool2D : Layer
{
    private protected Pool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth)
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

    /// <summary>The window geometry for the input shape (set when the layer is added to a network).</summary>
    private protected PoolGeometry Geometry { get; private set; }

    private protected sealed override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 3 || input[1] < SizeHeight || input[2] < SizeWidth)
            throw ShapeError(input, $"needs channels×height×width with height ≥ {SizeHeight} and width ≥ {SizeWidth} for its {SizeHeight}×{SizeWidth} window");
        Geometry = PoolGeometry.Create(input[0], input[1], input[2], SizeHeight, SizeWidth, StrideHeight, StrideWidth);
        return new Shape(Geometry.Channels, Geometry.OutputHeight, Geometry.OutputWidth);
    }

    private protected sealed override string Describe() =>
        SizeHeight == SizeWidth && StrideHeight == StrideWidth
            ? $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight})"
            : $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight}×{StrideWidth})";

    internal sealed override void WriteConfiguration(BinaryWriter writer)
    {
        writer.Write(SizeHeight);
        writer.Write(SizeWidth);
        writer.Write(StrideHeight);
        writer.Write(StrideWidth);
    }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote: (size height, size width, stride height, stride width).</summary>
    /// <exception cref="InvalidDataException">A size or stride is less than 1.</exception>
    private protected static (int SizeHeight, int SizeWidth, int StrideHeight, int StrideWidth) ReadWindow(BinaryReader reader, string kind)
    {
        int sizeHeight = reader.ReadInt32(), sizeWidth = reader.ReadInt32();
        int strideHeight = reader.ReadInt32(), strideWidth = reader.ReadInt32();
        if (sizeHeight < 1 || sizeWidth < 1 || strideHeight < 1 || strideWidth < 1)
            throw new InvalidDataException($"{kind} configuration has window {sizeHeight}×{sizeWidth} and stride {strideHeight}×{strideWidth}; each must be at least 1.");
        return (sizeHeight, sizeWidth, strideHeight, strideWidth);
    }
}
