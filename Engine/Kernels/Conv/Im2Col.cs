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
    /// Pointer loops, as the rows of small layers are short (10 floats for LeNet's second layer); stride-1 runs are
    /// copied in registers of the tier's width (<see cref="CopyShort{TWidth, TVector}"/>).
    /// </summary>
    public static unsafe void Forward(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> columns, int ld)
    {
        int rows = g.ColumnRows, spatial = g.OutputHeight * g.OutputWidth;
        if (image.Length < g.InputSize || columns.Length < (long)(rows - 1) * ld + spatial)
            throw new ArgumentException($"im2col: the image needs {g.InputSize} elements and the columns {(long)(rows - 1) * ld + spatial} (row stride {ld}).");
        fixed (float* imageStart = image, columnStart = columns)
        {
            var kernel = new Rows(g, imageStart, columnStart, ld, backward: false);
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>
    /// col2im of one sample from a column matrix with row stride <paramref name="ld"/>: image zeroed, then every element
    /// added to the pixel it was read from, in the order (c, i, j, y) — fixed, so the bits never depend on the caller
    /// (nor on the tier: stride-1 runs are added element-wise in registers, <see cref="AddShort{TWidth, TVector}"/>).
    /// </summary>
    public static unsafe void Backward(in ConvGeometry g, ReadOnlySpan<float> columns, int ld, Span<float> image)
    {
        int rows = g.ColumnRows, spatial = g.OutputHeight * g.OutputWidth;
        if (image.Length < g.InputSize || columns.Length < (long)(rows - 1) * ld + spatial)
            throw new ArgumentException($"col2im: the image needs {g.InputSize} elements and the columns {(long)(rows - 1) * ld + spatial} (row stride {ld}).");
        image[..g.InputSize].Clear();
        fixed (float* imageStart = image, columnStart = columns)
        {
            var kernel = new Rows(g, imageStart, columnStart, ld, backward: true);
            TierDispatch.Run(ref kernel);
        }
    }

    /// <summary>
    /// Every row (c, i, j) of the column matrix, in that order: im2col writes it from the image, col2im adds it back
    /// (sizes checked, and for col2im the image zeroed, by the caller).
    /// </summary>
    private readonly unsafe struct Rows(in ConvGeometry g, float* image, float* columns, int ld, bool backward) : IWidthKernel
    {
        private readonly ConvGeometry _g = g;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref readonly ConvGeometry g = ref _g;
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                float* row = columns + (long)((c * g.KernelHeight + i) * g.KernelWidth + j) * ld;
                float* channel = image + (long)c * g.Height * g.Width;
                if (backward)
                    AddRow<TWidth, TVector>(g, i, j, row, channel);
                else
                    WriteRow<TWidth, TVector>(g, i, j, channel, row);
            }
        }
    }

    /// <summary>Row (i, j) of one channel's columns from the channel: image pixels, 0 in the padding.</summary>
    private static unsafe void WriteRow<TWidth, TVector>(in ConvGeometry g, int i, int j, float* channel, float* target)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, stride = g.StrideWidth;
        var (x0, x1) = ImageColumns(g, j);
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
                CopyShort<TWidth, TVector>(source, target + x0, x1 - x0);
            else
                for (int x = x0; x < x1; x++) target[x] = source[(x - x0) * stride];
        }
    }

    /// <summary>Row (i, j) of one channel's columns added to the pixels it was read from, in the order of y; padding dropped.</summary>
    private static unsafe void AddRow<TWidth, TVector>(in ConvGeometry g, int i, int j, float* source, float* channel)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int oh = g.OutputHeight, ow = g.OutputWidth, stride = g.StrideWidth;
        var (x0, x1) = ImageColumns(g, j);
        if (x0 == x1) return;
        for (int y = 0; y < oh; y++)
        {
            int ih = y * g.StrideHeight - g.PadTop + i;
            if ((uint)ih >= (uint)g.Height) continue;
            float* line = source + y * ow + x0;
            float* target = channel + (long)ih * g.Width + x0 * stride - g.PadLeft + j;
            if (stride == 1)
                AddShort<TWidth, TVector>(target, line, x1 - x0);
            else
                for (int x = 0; x < x1 - x0; x++) target[x * stride] += line[x];
        }
    }

    /// <summary>
    /// The output columns [x0, x1) whose kernel column <paramref name="j"/> reads the image (iw = x·SW − PadLeft + j
    /// in [0, W)); the columns before and after it read the padding (0 ≤ x0 ≤ x1 ≤ OW).
    /// </summary>
    internal static (int X0, int X1) ImageColumns(in ConvGeometry g, int j)
    {
        int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, g.StrideWidth), 0, g.OutputWidth);
        return (x0, Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, g.StrideWidth), x0, g.OutputWidth));
    }

    /// <summary>⌈a / b⌉ for b ≥ 1 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>
    /// target = source for a short run (also used by the implicit im2col of <see cref="GemmPacking.PackBIm2Col{TWidth, TVector}"/>):
    /// whole registers of the widest width no wider than <typeparamref name="TWidth"/>'s that fits the run, the last
    /// one overlapping; runs shorter than 4 floats one by one. Pure data movement, so every width gives the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyShort<TWidth, TVector>(float* source, float* target, int length)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        if (TWidth.Count >= Width512.Count && length >= Width512.Count)
            CopyRegisters<Width512, Vector512<float>>(source, target, length);
        else if (TWidth.Count >= Width256.Count && length >= Width256.Count)
            CopyRegisters<Width256, Vector256<float>>(source, target, length);
        else if (TWidth.Count >= Width128.Count && length >= Width128.Count)
            CopyRegisters<Width128, Vector128<float>>(source, target, length);
        else
            for (int k = 0; k < length; k++) target[k] = source[k];
    }

    /// <summary>target = source for <paramref name="length"/> ≥ Count floats: whole registers, the last one overlapping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRegisters<TWidth, TVector>(float* source, float* target, int length)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int w = TWidth.Count;
        for (int k = 0; k + w < length; k += w) TWidth.Store(TWidth.Load(ref source[k]), ref target[k]);
        TWidth.Store(TWidth.Load(ref source[length - w]), ref target[length - w]);
    }

    /// <summary>
    /// target[k] += source[k]: registers of every width from <typeparamref name="TWidth"/>'s down (16, 8, 4 floats,
    /// as the tier has them), then one by one. Element-wise, so any width gives the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddShort<TWidth, TVector>(float* target, float* source, int length)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int k = 0;
        if (TWidth.Count >= Width512.Count) k = AddRegisters<Width512, Vector512<float>>(target, source, k, length);
        if (TWidth.Count >= Width256.Count) k = AddRegisters<Width256, Vector256<float>>(target, source, k, length);
        if (TWidth.Count >= Width128.Count) k = AddRegisters<Width128, Vector128<float>>(target, source, k, length);
        for (; k < length; k++) target[k] += source[k];
    }

    /// <summary>target[k] += source[k] for whole registers from <paramref name="k"/>; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int AddRegisters<TWidth, TVector>(float* target, float* source, int k, int length)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int w = TWidth.Count;
        for (; k + w <= length; k += w) TWidth.Store(TWidth.Add(TWidth.Load(ref target[k]), TWidth.Load(ref source[k])), ref target[k]);
        return k;
    }

    private static void CheckLengths(in ConvGeometry g, int imageLength, int columnsLength)
    {
        if (imageLength < g.InputSize)
            throw new ArgumentException($"im2col: the image needs {g.Channels}×{g.Height}×{g.Width} = {g.InputSize} elements, but the span has {imageLength}.", "image");
        if (columnsLength < g.ColumnSize)
            throw new ArgumentException($"im2col: the columns need {g.ColumnRows}×{g.ColumnCols} = {g.ColumnSize} elements, but the span has {columnsLength}.", "columns");
    }
}
