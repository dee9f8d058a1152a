using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// Packing of GEMM operands into the micropanels the microkernels read (BLIS layout).
/// </summary>
/// <remarks>
/// <code>
///  packed A block (mc × kc), MR-row micropanels      packed B block (kc × nc), NR-column micropanels
///  stored column by column:                          stored row by row:
///
///   panel 0: a[0..MR) of column 0, then of col 1 …    panel 0: b[row 0][0..NR), then row 1 …
///   panel 1: rows MR..2MR, same order                 panel 1: columns NR..2NR, same order
///   last panel: rows past mc are zero                 last panel: columns past nc are zero
/// </code>
/// A micropanel is MR·kc floats, a B micropanel kc·NR floats; element (r, p) of an A micropanel is at
/// <c>p·MR + r</c>, element (p, c) of a B micropanel at <c>p·NR + c</c>. Zero padding lets the microkernel
/// always compute a full tile; the padded rows/columns are simply not stored.
/// Transposed and plain storage differ only here, so one microkernel serves NN, NT, TN and TT.
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [<paramref name="row0"/>, +<paramref name="rows"/>) and depth [<paramref name="depth0"/>, +<paramref name="depth"/>)
    /// of op(A) into <paramref name="destination"/> (ceil(rows/MR)·MR·depth floats).
    /// Not transposed: A stored m×k, op(A)[i,p] = a[i·lda + p]; transposed: A stored k×m, op(A)[i,p] = a[p·lda + i].
    /// </summary>
    public static void PackA(bool transposeA, float* a, int lda, int row0, int rows, int depth0, int depth, int mr, float* destination)
    {
        if (transposeA)
        {
            // Column p of op(A) is row p of the stored matrix: walk it along, dropping MR floats into column p of each micropanel.
            for (int p = 0; p < depth; p++)
            {
                float* source = a + (long)(depth0 + p) * lda + row0;
                float* target = destination + (long)p * mr;
                int panelRow = 0;
                for (; panelRow + mr <= rows; panelRow += mr, target += (long)mr * depth)
                    new ReadOnlySpan<float>(source + panelRow, mr).CopyTo(new Span<float>(target, mr));
                if (panelRow < rows)
                {
                    int valid = rows - panelRow;
                    new ReadOnlySpan<float>(source + panelRow, valid).CopyTo(new Span<float>(target, valid));
                    new Span<float>(target + valid, mr - valid).Clear();
                }
            }
            return;
        }

        for (int panelRow = 0; panelRow < rows; panelRow += mr)
        {
            int valid = Math.Min(mr, rows - panelRow);
            float* panel = destination + (long)panelRow * depth;
            // Row i of op(A) is contiguous in memory: read it along, write it down the micropanel.
            if (valid < mr) new Span<float>(panel, mr * depth).Clear();
            TransposeRows(a + (long)(row0 + panelRow) * lda + depth0, lda, valid, depth, panel, mr);
        }
    }

    /// <summary>
    /// Packs depth [<paramref name="depth0"/>, +<paramref name="depth"/>) and columns [<paramref name="column0"/>, +<paramref name="columns"/>)
    /// of op(B) into <paramref name="destination"/> (depth·ceil(columns/NR)·NR floats).
    /// Not transposed: B stored k×n, op(B)[p,j] = b[p·ldb + j]; transposed: B stored n×k, op(B)[p,j] = b[j·ldb + p].
    /// </summary>
    public static void PackB(bool transposeB, float* b, int ldb, int depth0, int depth, int column0, int columns, int nr, float* destination)
    {
        if (!transposeB)
        {
            // Row p of op(B) is contiguous: walk it along its whole width (friendly to the prefetcher and the TLB),
            // dropping NR floats into row p of each micropanel.
            for (int p = 0; p < depth; p++)
            {
                float* source = b + (long)(depth0 + p) * ldb + column0;
                float* target = destination + (long)p * nr;
                int panelColumn = 0;
                for (; panelColumn + nr <= columns; panelColumn += nr, target += (long)nr * depth)
                    new ReadOnlySpan<float>(source + panelColumn, nr).CopyTo(new Span<float>(target, nr));
                if (panelColumn < columns)
                {
                    int valid = columns - panelColumn;
                    new ReadOnlySpan<float>(source + panelColumn, valid).CopyTo(new Span<float>(target, valid));
                    new Span<float>(target + valid, nr - valid).Clear();
                }
            }
            return;
        }

        for (int panelColumn = 0; panelColumn < columns; panelColumn += nr)
        {
            int valid = Math.Min(nr, columns - panelColumn);
            float* panel = destination + (long)panelColumn * depth;
            // Column j of op(B) is row j of the stored matrix: read it along, write it down the micropanel.
            if (valid < nr) new Span<float>(panel, nr * depth).Clear();
            TransposeRows(b + (long)(column0 + panelColumn) * ldb + depth0, ldb, valid, depth, panel, nr);
        }
    }
    /// <summary>
    /// Implicit im2col (STYLE anchor 2: im2col as "packing B"): packs depth [<paramref name="depth0"/>, +<paramref name="depth"/>)
    /// and columns [<paramref name="column0"/>, +<paramref name="columns"/>) of B = im2col(<paramref name="image"/>)
    /// (<see cref="Im2Col.Forward(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>'s <c>[C·KH·KW, OH·OW]</c> matrix) straight from the <c>[C, H, W]</c> image into
    /// NR-column micropanels, exactly as <see cref="PackB"/> would pack the explicit column matrix; it is never written.
    /// </summary>
    public static void PackBIm2Col(in ConvGeometry g, float* image, int depth0, int depth, int column0, int columns, int nr, float* destination)
    {
        int ow = g.OutputWidth, kw = g.KernelWidth, kh = g.KernelHeight, sw = g.StrideWidth, end = column0 + columns;
        for (int p = 0; p < depth; p++)
        {
            int row = depth0 + p, j = row % kw, i = row / kw % kh, c = row / (kw * kh);
            // Output columns x0..x1 of each output row read the image (iw = x·SW − PadLeft + j in [0, W)); the rest is padding.
            int x0 = Math.Clamp(CeilDiv(g.PadLeft - j, sw), 0, ow), x1 = Math.Clamp(CeilDiv(g.Width + g.PadLeft - j, sw), x0, ow);
            float* channel = image + (long)c * g.Height * g.Width;
            float* target = destination + (long)p * nr;
            int x = column0, oh = x / ow, position = x - oh * ow, lane = 0;
            // Walk the row in pieces that stay inside one output row and one micropanel.
            while (x < end)
            {
                int length = Math.Min(end - x, Math.Min(ow - position, nr - lane));
                float* piece = target + lane;
                int ih = oh * g.StrideHeight - g.PadTop + i;
                if ((uint)ih >= (uint)g.Height)
                    new Span<float>(piece, length).Clear();
                else
                {
                    int a = Math.Clamp(x0, position, position + length), b = Math.Clamp(x1, a, position + length);
                    for (int k = 0; k < a - position; k++) piece[k] = 0f;
                    float* source = channel + (long)ih * g.Width + a * sw - g.PadLeft + j;
                    if (sw == 1)
                        CopyShort(source, piece + (a - position), b - a);
                    else
                        for (int k = 0; k < b - a; k++) piece[a - position + k] = source[k * sw];
                    for (int k = b - position; k < length; k++) piece[k] = 0f;
                }
                x += length;
                lane += length;
                position += length;
                if (position == ow) { position = 0; oh++; }
                if (lane == nr) { lane = 0; target += (long)nr * depth; }
            }
            if (lane != 0) new Span<float>(target + lane, nr - lane).Clear();
        }
    }

    /// <summary>⌈a / b⌉ for b ≥ 1 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    /// <summary>target = source for a short run: whole vectors, the last one overlapping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(float* source, float* target, int length)
    {
        if (Avx.IsSupported && length >= 8)
        {
            int k = 0;
            for (; k + 8 < length; k += 8) Avx.Store(target + k, Avx.LoadVector256(source + k));
            Avx.Store(target + length - 8, Avx.LoadVector256(source + length - 8));
            return;
        }
        for (int k = 0; k < length; k++) target[k] = source[k];
    }

    /// <summary>
    /// target[p·targetStride + r] = source[r·sourceStride + p] for r &lt; <paramref name="rows"/>, p &lt; <paramref name="depth"/>:
    /// writes <paramref name="rows"/> stored rows down the columns of a micropanel. Pure data movement, so the
    /// 8×8 (AVX) and 4×4 (SSE) register transposes give exactly what the scalar loop gives.
    /// </summary>
    public static void TransposeRows(float* source, int sourceStride, int rows, int depth, float* target, int targetStride)
    {
        int r = 0;
        if (Avx.IsSupported)
            for (; r + 8 <= rows; r += 8)
            {
                float* s = source + (long)r * sourceStride, t = target + r;
                int p = 0;
                for (; p + 8 <= depth; p += 8) Transpose8x8(s + p, sourceStride, t + (long)p * targetStride, targetStride);
                for (; p < depth; p++)
                    for (int k = 0; k < 8; k++) t[(long)p * targetStride + k] = s[(long)k * sourceStride + p];
            }
        if (Sse.IsSupported)
            for (; r + 4 <= rows; r += 4)
            {
                float* s = source + (long)r * sourceStride, t = target + r;
                int p = 0;
                for (; p + 4 <= depth; p += 4) Transpose4x4(s + p, sourceStride, t + (long)p * targetStride, targetStride);
                for (; p < depth; p++)
                    for (int k = 0; k < 4; k++) t[(long)p * targetStride + k] = s[(long)k * sourceStride + p];
            }
        for (; r < rows; r++)
        {
            float* s = source + (long)r * sourceStride, t = target + r;
            for (int p = 0; p < depth; p++) t[(long)p * targetStride] = s[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, nint sourceStride, float* target, nint targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(target + 4 * targetStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(target + 5 * targetStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(target + 6 * targetStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(target + 7 * targetStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* source, nint sourceStride, float* target, nint targetStride)
    {
        Vector128<float> r0 = Sse.LoadVector128(source), r1 = Sse.LoadVector128(source + sourceStride);
        Vector128<float> r2 = Sse.LoadVector128(source + 2 * sourceStride), r3 = Sse.LoadVector128(source + 3 * sourceStride);
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1), t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(target, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(target + targetStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(target + 2 * targetStride, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(target + 3 * targetStride, Sse.MoveHighToLow(t3, t1));
    }
}
