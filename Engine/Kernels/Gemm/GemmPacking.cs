using System.Runtime.CompilerServices;

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
/// Every method is generic over the register width of the tier that runs (the packed GEMM dispatches once per
/// block of C); the packing is pure data movement, so every width packs the same panels.
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [<paramref name="row0"/>, +<paramref name="rows"/>) and depth [<paramref name="depth0"/>, +<paramref name="depth"/>)
    /// of op(A) into <paramref name="destination"/> (ceil(rows/MR)·MR·depth floats).
    /// Not transposed: A stored m×k, op(A)[i,p] = a[i·lda + p]; transposed: A stored k×m, op(A)[i,p] = a[p·lda + i].
    /// </summary>
    public static void PackA<TWidth, TVector>(bool transposeA, float* a, int lda, int row0, int rows, int depth0, int depth, int mr, float* destination)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
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
            TransposeRows<TWidth, TVector>(a + (long)(row0 + panelRow) * lda + depth0, lda, valid, depth, panel, mr);
        }
    }

    /// <summary>
    /// Packs depth [<paramref name="depth0"/>, +<paramref name="depth"/>) and columns [<paramref name="column0"/>, +<paramref name="columns"/>)
    /// of op(B) into <paramref name="destination"/> (depth·ceil(columns/NR)·NR floats).
    /// Not transposed: B stored k×n, op(B)[p,j] = b[p·ldb + j]; transposed: B stored n×k, op(B)[p,j] = b[j·ldb + p].
    /// </summary>
    public static void PackB<TWidth, TVector>(bool transposeB, float* b, int ldb, int depth0, int depth, int column0, int columns, int nr, float* destination)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
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
            TransposeRows<TWidth, TVector>(b + (long)(column0 + panelColumn) * ldb + depth0, ldb, valid, depth, panel, nr);
        }
    }
    /// <summary>
    /// Implicit im2col (STYLE anchor 2: im2col as "packing B"): packs depth [<paramref name="depth0"/>, +<paramref name="depth"/>)
    /// and columns [<paramref name="column0"/>, +<paramref name="columns"/>) of B = im2col(<paramref name="image"/>)
    /// (<see cref="Im2Col.Forward(in ConvGeometry, ReadOnlySpan{float}, Span{float})"/>'s <c>[C·KH·KW, OH·OW]</c> matrix) straight from the <c>[C, H, W]</c> image into
    /// NR-column micropanels, exactly as <see cref="PackB"/> would pack the explicit column matrix; it is never written.
    /// </summary>
    public static void PackBIm2Col<TWidth, TVector>(in ConvGeometry g, float* image, int depth0, int depth, int column0, int columns, int nr, float* destination)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int ow = g.OutputWidth, kw = g.KernelWidth, kh = g.KernelHeight, sw = g.StrideWidth, end = column0 + columns;
        for (int p = 0; p < depth; p++)
        {
            int row = depth0 + p, j = row % kw, i = row / kw % kh, c = row / (kw * kh);
            // Output columns x0..x1 of each output row read the image; the rest is padding.
            var (x0, x1) = Im2Col.ImageColumns(g, j);
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
                        Im2Col.CopyShort<TWidth, TVector>(source, piece + (a - position), b - a);
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

    /// <summary>
    /// target[p·targetStride + r] = source[r·sourceStride + p] for r &lt; <paramref name="rows"/>, p &lt; <paramref name="depth"/>:
    /// writes <paramref name="rows"/> stored rows down the columns of a micropanel: 8 rows at a time by 8×8 register
    /// transposes where the tier has 256-bit registers, then 4 at a time by 4×4 ones where it has 128-bit registers,
    /// then row by row. Pure data movement, so every tier gives exactly what the scalar loop gives.
    /// </summary>
    public static void TransposeRows<TWidth, TVector>(float* source, int sourceStride, int rows, int depth, float* target, int targetStride)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int r = 0;
        if (TWidth.Count >= Width256.Count) r = TransposeBlocks<Transpose8x8>(source, sourceStride, r, rows, depth, target, targetStride);
        if (TWidth.Count >= Width128.Count) r = TransposeBlocks<Transpose4x4>(source, sourceStride, r, rows, depth, target, targetStride);
        for (; r < rows; r++)
        {
            float* s = source + (long)r * sourceStride, t = target + r;
            for (int p = 0; p < depth; p++) t[(long)p * targetStride] = s[p];
        }
    }

    /// <summary>Rows from <paramref name="r"/> in groups of <c>TBlock.Size</c>, by register transposes (then the depth tail element-wise); returns the first row left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TransposeBlocks<TBlock>(float* source, int sourceStride, int r, int rows, int depth, float* target, int targetStride)
        where TBlock : struct, ISquareTranspose
    {
        int size = TBlock.Size;
        for (; r + size <= rows; r += size)
        {
            float* s = source + (long)r * sourceStride, t = target + r;
            int p = 0;
            for (; p + size <= depth; p += size) TBlock.Transpose(s + p, sourceStride, t + (long)p * targetStride, targetStride);
            for (; p < depth; p++)
                for (int k = 0; k < size; k++) t[(long)p * targetStride + k] = s[(long)k * sourceStride + p];
        }
        return r;
    }

    /// <summary>A register transpose of one Size×Size block.</summary>
    private interface ISquareTranspose
    {
        static abstract int Size { get; }
        static abstract void Transpose(float* source, nint sourceStride, float* target, nint targetStride);
    }

    /// <summary><see cref="Width256.Transpose8x8"/> (Avx2 and Avx512 tiers).</summary>
    private readonly struct Transpose8x8 : ISquareTranspose
    {
        public static int Size => 8;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Transpose(float* source, nint sourceStride, float* target, nint targetStride) => Width256.Transpose8x8(source, sourceStride, target, targetStride);
    }

    /// <summary><see cref="Width128.Transpose4x4"/> (every vector tier).</summary>
    private readonly struct Transpose4x4 : ISquareTranspose
    {
        public static int Size => 4;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Transpose(float* source, nint sourceStride, float* target, nint targetStride) => Width128.Transpose4x4(source, sourceStride, target, targetStride);
    }
}
