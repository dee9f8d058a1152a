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
    /// <summary>im2col: columns = unroll(image); padding positions read as 0.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> image, Span<float> columns)
    {
        // image: [C, H, W]   columns: [C*KH*KW, OH*OW]
        CheckLengths(g, image.Length, columns.Length);
        int oh = g.OutputHeight, ow = g.OutputWidth, cols = oh * ow, stride = g.StrideWidth;
        for (int c = 0; c < g.Channels; c++)
        for (int i = 0; i < g.KernelHeight; i++)
        for (int j = 0; j < g.KernelWidth; j++)
        {
            int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
            Span<float> target = columns.Slice(row * cols, cols);
            // Columns x0..x1 read the image (iw = x·SW − PadLeft + j in [0, W)); the rest is padding.
            int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, stride), 0, ow);
            int x1 = Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, stride), x0, ow);
            for (int y = 0; y < oh; y++)
            {
                int ih = y * g.StrideHeight - g.PadTop + i;
                Span<float> line = target.Slice(y * ow, ow);
                if ((uint)ih >= (uint)g.Height || x0 == x1)
                {
                    line.Clear();
                    continue;
                }
                line[..x0].Clear();
                line[x1..].Clear();
                ReadOnlySpan<float> source = image.Slice((c * g.Height + ih) * g.Width + x0 * stride - g.PadLeft + j, (x1 - x0 - 1) * stride + 1);
                if (stride == 1)
                    Copy(source, line.Slice(x0, x1 - x0));
                else
                    for (int x = x0; x < x1; x++) line[x] = source[(x - x0) * stride];
            }
        }
    }

    /// <summary>col2im, the adjoint of <see cref="Forward"/>: image is zeroed, then every column element is added
    /// to the pixel it was read from; elements that came from the padding are dropped.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    public static void Backward(in ConvGeometry g, ReadOnlySpan<float> columns, Span<float> image)
    {
        // columns: [C*KH*KW, OH*OW]   image: [C, H, W] (overwritten)
        CheckLengths(g, image.Length, columns.Length);
        image.Slice(0, g.InputSize).Clear();
        int oh = g.OutputHeight, ow = g.OutputWidth, cols = oh * ow, stride = g.StrideWidth;
        for (int c = 0; c < g.Channels; c++)
        for (int i = 0; i < g.KernelHeight; i++)
        for (int j = 0; j < g.KernelWidth; j++)
        {
            int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
            ReadOnlySpan<float> source = columns.Slice(row * cols, cols);
            // Columns x0..x1 land inside the image (iw = x·SW − PadLeft + j in [0, W)); the rest came from the padding.
            int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, stride), 0, ow);
            int x1 = Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, stride), x0, ow);
            if (x0 == x1) continue;
            for (int y = 0; y < oh; y++)
            {
                int ih = y * g.StrideHeight - g.PadTop + i;
                if ((uint)ih >= (uint)g.Height) continue;
                ReadOnlySpan<float> line = source.Slice(y * ow + x0, x1 - x0);
                Span<float> target = image.Slice((c * g.Height + ih) * g.Width + x0 * stride - g.PadLeft + j, (x1 - x0 - 1) * stride + 1);
                // Each pixel receives its terms in the same (c, i, j, y) order whatever the width, so the bits match the scalar loop.
                if (stride == 1)
                    AddInPlace(target, line);
                else
                    for (int x = 0; x < line.Length; x++) target[x * stride] += line[x];
            }
        }
    }

    /// <summary>⌈a / b⌉ for b ≥ 1 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>target = source for short runs (an image row): whole vectors, the last one overlapping, no call overhead.</summary>
    private static void Copy(ReadOnlySpan<float> source, Span<float> target)
    {
        int n = source.Length;
        ref float t = ref MemoryMarshal.GetReference(target);
        ref float s = ref MemoryMarshal.GetReference(source);
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            int k = 0;
            for (; k + 8 < n; k += 8) Vector256.LoadUnsafe(ref s, (nuint)k).StoreUnsafe(ref t, (nuint)k);
            Vector256.LoadUnsafe(ref s, (nuint)(n - 8)).StoreUnsafe(ref t, (nuint)(n - 8));
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            int k = 0;
            for (; k + 4 < n; k += 4) Vector128.LoadUnsafe(ref s, (nuint)k).StoreUnsafe(ref t, (nuint)k);
            Vector128.LoadUnsafe(ref s, (nuint)(n - 4)).StoreUnsafe(ref t, (nuint)(n - 4));
            return;
        }
        for (int k = 0; k < n; k++) Unsafe.Add(ref t, k) = Unsafe.Add(ref s, k);
    }

    /// <summary>target[k] += source[k] for every k (element-wise, so any vector width gives the same bits).</summary>
    private static void AddInPlace(Span<float> target, ReadOnlySpan<float> source)
    {
        int k = 0, n = source.Length;
        ref float t = ref MemoryMarshal.GetReference(target);
        ref float s = ref MemoryMarshal.GetReference(source);
        if (Vector512.IsHardwareAccelerated)
            for (; k + 16 <= n; k += 16)
                (Vector512.LoadUnsafe(ref t, (nuint)k) + Vector512.LoadUnsafe(ref s, (nuint)k)).StoreUnsafe(ref t, (nuint)k);
        if (Vector256.IsHardwareAccelerated)
            for (; k + 8 <= n; k += 8)
                (Vector256.LoadUnsafe(ref t, (nuint)k) + Vector256.LoadUnsafe(ref s, (nuint)k)).StoreUnsafe(ref t, (nuint)k);
        if (Vector128.IsHardwareAccelerated)
            for (; k + 4 <= n; k += 4)
                (Vector128.LoadUnsafe(ref t, (nuint)k) + Vector128.LoadUnsafe(ref s, (nuint)k)).StoreUnsafe(ref t, (nuint)k);
        for (; k < n; k++) Unsafe.Add(ref t, k) += Unsafe.Add(ref s, k);
    }

    private static void CheckLengths(in ConvGeometry g, int imageLength, int columnsLength)
    {
        if (imageLength < g.InputSize)
            throw new ArgumentException($"im2col: the image needs {g.Channels}×{g.Height}×{g.Width} = {g.InputSize} elements, but the span has {imageLength}.", "image");
        if (columnsLength < g.ColumnSize)
            throw new ArgumentException($"im2col: the columns need {g.ColumnRows}×{g.ColumnCols} = {g.ColumnSize} elements, but the span has {columnsLength}.", "columns");
    }
}
