using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// im2col and its adjoint col2im for one sample: unrolls every kernel window of a zero-padded
/// <c>[C, H, W]</c> image into a column of a <c>[C·KH·KW, OH·OW]</c> matrix, so a convolution becomes one GEMM.
/// </summary>
/// <remarks>
/// Row <c>(c·KH + i)·KW + j</c>, column <c>oh·OW + ow</c> of the column matrix holds
/// <c>image[c, oh·SH − PadTop + i, ow·SW − PadLeft + j]</c>, or 0 where that position lies in the padding.
/// </remarks>
internal static class Im2Col
{
    /// <summary>im2col: columns = unroll(image) with row stride OH·OW; padding positions read as 0.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> columns)
    {
        // image: [C, H, W]   columns: [C*KH*KW, OH*OW]
        CheckLengths(g, image.Length, columns.Length);
        Forward(g, image, columns, g.ColumnCols);
    }

    /// <summary>col2im, the adjoint of <see cref="Forward(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>: image is
    /// zeroed, then every column element is added to the pixel it was read from; elements from the padding are dropped.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    public static void Backward(in ConvGeometry g, ReadOnlySpan<float> columns, Span<float> image)
    {
        // columns: [C*KH*KW, OH*OW]   image: [C, H, W] (overwritten)
        CheckLengths(g, image.Length, columns.Length);
        Backward(g, columns, g.ColumnCols, image);
    }

    /// <summary>
    /// im2col of one sample into a column matrix with row stride <paramref name="ld"/> (otherwise the layout above): columns[row·ld + oh·OW + ow] = image[c, oh·SH − PadTop + i, ow·SW − PadLeft + j], 0 in the padding.
    /// Pointer loops, as the rows of small layers are short (10 floats for LeNet's second layer).
    /// </summary>
    public static unsafe void Forward(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> columns, int ld)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, stride = g.StrideWidth, rows = g.ColumnRows;
        if (image.Length < g.InputSize || columns.Length < (long)(rows - 1) * ld + oh * ow)
            throw new ArgumentException($"im2col: the image needs {g.InputSize} elements and the columns {(long)(rows - 1) * ld + oh * ow} (row stride {ld}).");
        fixed (float* imageStart = image, columnStart = columns)
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
                float* target = columnStart + (long)row * ld;
                float* channel = imageStart + (long)c * g.Height * g.Width;
                // Columns x0..x1 read the image (iw = x·SW − PadLeft + j in [0, W)); the rest is padding.
                int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, stride), 0, ow);
                int x1 = Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, stride), x0, ow);
                for (int y = 0; y < oh; y++, target += ow)
                {
                    int ih = y * g.StrideHeight - g.PadTop + i;
                    if ((uint)ih >= (uint)g.Height || x0 == x1)
                    {
                        for (int x = 0; x < ow; x++) target[x] = 0f;
                        continue;
                    }
                    for (int x = 0; x < x0; x++) target[x] = 0f;
                    for (int x = x1; x < ow; x++) target[x] = 0f;
                    float* source = channel + (long)ih * g.Width + x0 * stride - g.PadLeft + j;
                    if (stride == 1)
                        CopyShort(source, target + x0, x1 - x0);
                    else
                        for (int x = x0; x < x1; x++) target[x] = source[(x - x0) * stride];
                }
            }
    }

    /// <summary>
    /// col2im of one sample from a column matrix with row stride <paramref name="ld"/>: image zeroed, then every element
    /// added to the pixel it was read from, in the order (c, i, j, y) — fixed, so the bits never depend on the caller.
    /// </summary>
    public static unsafe void Backward(in ConvGeometry g, ReadOnlySpan<float> columns, int ld, Span<float> image)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, stride = g.StrideWidth, rows = g.ColumnRows;
        if (image.Length < g.InputSize || columns.Length < (long)(rows - 1) * ld + oh * ow)
            throw new ArgumentException($"col2im: the image needs {g.InputSize} elements and the columns {(long)(rows - 1) * ld + oh * ow} (row stride {ld}).");
        image[..g.InputSize].Clear();
        fixed (float* imageStart = image, columnStart = columns)
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
                float* source = columnStart + (long)row * ld;
                float* channel = imageStart + (long)c * g.Height * g.Width;
                // Columns x0..x1 land inside the image (iw = x·SW − PadLeft + j in [0, W)); the rest came from the padding.
                int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, stride), 0, ow);
                int x1 = Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, stride), x0, ow);
                if (x0 == x1) continue;
                for (int y = 0; y < oh; y++)
                {
                    int ih = y * g.StrideHeight - g.PadTop + i;
                    if ((uint)ih >= (uint)g.Height) continue;
                    float* line = source + y * ow + x0;
                    float* target = channel + (long)ih * g.Width + x0 * stride - g.PadLeft + j;
                    if (stride == 1)
                        AddShort(target, line, x1 - x0);
                    else
                        for (int x = 0; x < x1 - x0; x++) target[x * stride] += line[x];
                }
            }
    }

    /// <summary>⌈a / b⌉ for b ≥ 1 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>target = source for a short run: whole vectors, the last one overlapping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyShort(float* source, float* target, int length)
    {
        if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            int k = 0;
            for (; k + 8 < length; k += 8) Vector256.Store(Vector256.Load(source + k), target + k);
            Vector256.Store(Vector256.Load(source + length - 8), target + length - 8);
            return;
        }
        for (int k = 0; k < length; k++) target[k] = source[k];
    }

    /// <summary>target[k] += source[k] (element-wise, so any vector width gives the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddShort(float* target, float* source, int length)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= length; k += 16) Vector512.Store(Vector512.Load(target + k) + Vector512.Load(source + k), target + k);
        if (Vector256.IsHardwareAccelerated)
            for (; k + 8 <= length; k += 8) Vector256.Store(Vector256.Load(target + k) + Vector256.Load(source + k), target + k);
        if (Vector128.IsHardwareAccelerated)
            for (; k + 4 <= length; k += 4) Vector128.Store(Vector128.Load(target + k) + Vector128.Load(source + k), target + k);
        for (; k < length; k++) target[k] += source[k];
    }

    private static void CheckLengths(in ConvGeometry g, int imageLength, int columnsLength)
    {
        if (imageLength < g.InputSize)
            throw new ArgumentException($"im2col: the image needs {g.Channels}×{g.Height}×{g.Width} = {g.InputSize} elements, but the span has {imageLength}.", "image");
        if (columnsLength < g.ColumnSize)
            throw new ArgumentException($"im2col: the columns need {g.ColumnRows}×{g.ColumnCols} = {g.ColumnSize} elements, but the span has {columnsLength}.", "columns");
    }
}
