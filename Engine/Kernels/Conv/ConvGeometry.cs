namespace Engine.Kernels;

/// <summary>
/// The geometry of one 2-D convolution (or pooling) window sweep over a <c>[C, H, W]</c> sample:
/// kernel size, strides and the resolved zero padding on each side.
/// </summary>
/// <param name="Channels">Input channels C.</param>
/// <param name="Height">Input height H.</param>
/// <param name="Width">Input width W.</param>
/// <param name="KernelHeight">Kernel height KH.</param>
/// <param name="KernelWidth">Kernel width KW.</param>
/// <param name="StrideHeight">Vertical stride SH.</param>
/// <param name="StrideWidth">Horizontal stride SW.</param>
/// <param name="PadTop">Zero rows above the input.</param>
/// <param name="PadBottom">Zero rows below the input.</param>
/// <param name="PadLeft">Zero columns left of the input.</param>
/// <param name="PadRight">Zero columns right of the input.</param>
internal readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadTop, int PadBottom, int PadLeft, int PadRight)
{
    /// <summary>OH = (H + PadTop + PadBottom − KH) / SH + 1.</summary>
    public int OutputHeight => (Height + PadTop + PadBottom - KernelHeight) / StrideHeight + 1;

    /// <summary>OW = (W + PadLeft + PadRight − KW) / SW + 1.</summary>
    public int OutputWidth => (Width + PadLeft + PadRight - KernelWidth) / StrideWidth + 1;

    /// <summary>Rows of the im2col matrix: C·KH·KW.</summary>
    public int ColumnRows => Channels * KernelHeight * KernelWidth;

    /// <summary>Columns of the im2col matrix: OH·OW.</summary>
    public int ColumnCols => OutputHeight * OutputWidth;

    /// <summary>Elements of the im2col matrix: <see cref="ColumnRows"/>·<see cref="ColumnCols"/>.</summary>
    public int ColumnSize => ColumnRows * ColumnCols;

    /// <summary>Elements of one input sample: C·H·W.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>
    /// The geometry for a <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/> sample
    /// with the given zero rows and columns on each side.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input (the output would be empty),
    /// or the im2col matrix would exceed int.MaxValue elements.</exception>
    public static ConvGeometry Create(int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int top, int bottom, int left, int right)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWidth, 1);
        if ((top | bottom | left | right) < 0)
            throw new ArgumentOutOfRangeException(nameof(top), $"Padding cannot be negative ({top}, {bottom}, {left}, {right}).");
        long paddedHeight = (long)height + top + bottom, paddedWidth = (long)width + left + right;
        if (paddedHeight < kernelHeight || paddedWidth < kernelWidth)
            throw new ArgumentException(
                $"A {kernelHeight}×{kernelWidth} kernel does not fit a {height}×{width} input padded to {paddedHeight}×{paddedWidth}.");
        var g = new ConvGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, top, bottom, left, right);
        long columnSize = (long)channels * kernelHeight * kernelWidth * ((paddedHeight - kernelHeight) / strideHeight + 1) * ((paddedWidth - kernelWidth) / strideWidth + 1);
        if (columnSize > int.MaxValue || (long)channels * height * width > int.MaxValue)
            throw new ArgumentException($"The convolution of a {channels}×{height}×{width} input by a {kernelHeight}×{kernelWidth} kernel is too large (im2col needs {columnSize} elements).");
        return g;
    }
}
