namespace Engine.Kernels;

/// <summary>
/// The geometry of a 2-D pooling over one sample of <c>Channels×Height×Width</c>: a
/// <c>SizeHeight×SizeWidth</c> window moved by <c>StrideHeight</c> rows and <c>StrideWidth</c> columns,
/// without padding. Windows never leave the input, so rows or columns a window cannot reach are dropped
/// (e.g. 29 rows with a 2-row window and stride 2 give 14 rows; row 28 is never read).
/// </summary>
/// <remarks>Make it with <see cref="Create"/>, which validates; the positional constructor does not.</remarks>
internal readonly record struct PoolGeometry(int Channels, int Height, int Width, int SizeHeight, int SizeWidth, int StrideHeight, int StrideWidth)
{
    /// <summary>Output rows: floor((Height − SizeHeight) / StrideHeight) + 1.</summary>
    public int OutputHeight => (Height - SizeHeight) / StrideHeight + 1;

    /// <summary>Output columns: floor((Width − SizeWidth) / StrideWidth) + 1.</summary>
    public int OutputWidth => (Width - SizeWidth) / StrideWidth + 1;

    /// <summary>Elements of one input sample: Channels·Height·Width.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Elements of one output sample: Channels·OutputHeight·OutputWidth.</summary>
    public int OutputSize => Channels * OutputHeight * OutputWidth;

    /// <summary>Elements in one window: SizeHeight·SizeWidth.</summary>
    public int WindowArea => SizeHeight * SizeWidth;

    /// <summary>A validated geometry.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension, window size or stride is less than 1.</exception>
    /// <exception cref="ArgumentException">The window is taller or wider than the input.</exception>
    public static PoolGeometry Create(int channels, int height, int width, int sizeHeight, int sizeWidth, int strideHeight, int strideWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWidth, 1);
        if (sizeHeight > height || sizeWidth > width)
            throw new ArgumentException($"A {sizeHeight}×{sizeWidth} pooling window does not fit in a {height}×{width} input.");
        return new PoolGeometry(channels, height, width, sizeHeight, sizeWidth, strideHeight, strideWidth);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Channels}×{Height}×{Width} pooled {SizeHeight}×{SizeWidth} stride {StrideHeight}×{StrideWidth} → {Channels}×{OutputHeight}×{OutputWidth}";
}
