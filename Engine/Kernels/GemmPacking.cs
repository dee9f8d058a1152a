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
