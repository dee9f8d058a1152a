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
            for (int r = 0; r < valid; r++)
            {
                float* source = a + (long)(row0 + panelRow + r) * lda + depth0;
                float* target = panel + r;
                for (int p = 0; p < depth; p++) target[(long)p * mr] = source[p];
            }
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
            for (int c = 0; c < valid; c++)
            {
                float* source = b + (long)(column0 + panelColumn + c) * ldb + depth0;
                float* target = panel + c;
                for (int p = 0; p < depth; p++) target[(long)p * nr] = source[p];
            }
        }
    }
}
