using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The register tile of the blocked convolutions (<see cref="Conv2DBlocked"/>, <see cref="Conv2DBlockedWeights"/>): six
/// broadcast rows × one or two vectors of channels, the shape of the GEMM's 6×16 microkernel, over an arbitrary
/// gather of the broadcast operand:
/// <code>
///   for s in 0 … steps−1:                        (one rounding each, in this order)
///       acc[k][v] = fma(src[a[k] + table[s]], vec[s·B + v·Count + lane], acc[k][v])     k &lt; 6, v &lt; 2
/// </code>
/// with B = (vectors)·Count the block width. The forward and data-gradient passes broadcast six output positions
/// (a[k] = where position k's window starts in the padded input, table[s] = where tap s of the window lies) against
/// packed weights (vec[s] = the block's filters' weights for tap s); the weight gradient broadcasts six taps
/// (a[k] = tap k's offset, table[s] = where output position s's window starts) against the transposed output gradient
/// (vec[s] = the block's filters at position s). Either way the lanes of a register hold independent outputs (filters or
/// channels), never terms of one sum, and each output is one chain of fused multiply-adds over s in order: the same
/// operations on every width, since a narrower tier only holds fewer outputs per register.
/// </summary>
/// <remarks>
/// <para>Per step: one table read, one or two vector loads, six broadcasts (a load each) and 12 (6) fused multiply-adds —
/// 0.75 loads per FMA, within two loads per cycle at two FMAs per cycle. Registers: 12 accumulators, 2 weight vectors and
/// one broadcast, 15 of AVX2's 16 (the GEMM microkernel's count); the JIT keeps the six row offsets in registers and folds
/// each broadcast into <c>vbroadcastss ymm, [p + 4·a]</c>, 24 instructions per step. The accumulators start from the six
/// output rows (when accumulating) or from zero, and end there, through the <see cref="TileEpilogue"/> if one is given (a
/// per-channel bias, scale-and-shift, ReLU: a few operations per tile after its hundreds of FMAs).</para>
/// <para>Why this shape: six broadcast rows × two vectors is the largest tile that fits the 16 registers of AVX2 and SSE with
/// fewer than one load per FMA; broadcasting the spatial operand (rather than loading it as vectors) lets one tile serve any
/// stride and padding and keeps each register's lanes on independent outputs. On AVX-512 a block of 16 channels holds one
/// register per row (six accumulators, short of the eight two FMA pipes of latency 4 need): where the kernel is three taps wide
/// with unit column stride such blocks run on <see cref="ConvRowTile"/> (16 accumulators) instead; elsewhere this tile serves them.</para>
/// </remarks>
internal static unsafe class ConvTile
{
    /// <summary>Broadcast rows per tile.</summary>
    public const int Rows = 6;

    /// <summary>
    /// Runs <paramref name="tiles"/> tiles one after the other, each six accumulator rows of (1 or 2)·Count channels over
    /// <paramref name="steps"/> steps (see the class); tile t takes its six broadcast offsets from a[6t …] and its six output
    /// rows from rowIndex[6t …] (row r at rows + r·block width).
    /// </summary>
    /// <param name="tiles">Tiles to run.</param>
    /// <param name="steps">Terms of each sum.</param>
    /// <param name="table">Per-step offset into <paramref name="src"/> (<paramref name="steps"/> entries).</param>
    /// <param name="src">The broadcast operand.</param>
    /// <param name="a">Six per-row offsets into <paramref name="src"/> per tile.</param>
    /// <param name="vec">The vector operand, one block row (1 or 2 vectors) per step.</param>
    /// <param name="rows">The output rows, block width apart; they also hold the starting values when accumulating.</param>
    /// <param name="rowIndex">Six output row numbers per tile (rows may repeat: a tail tile's copies go to one spare row).</param>
    /// <param name="epilogue">What each row goes through before it is stored: a block-wide bias added, then per lane
    /// <c>fma(scale, v, shift)</c>, then a ReLU (each step skipped when absent; see <see cref="ConvEpilogue"/>).</param>
    /// <param name="accumulate">Whether the sums start from the rows' values (else from zero).</param>
    [SkipLocalsInit]
    public static void Run<TWidth, TVector, TVectors>(int tiles, int steps, int* table, float* src, int* a, float* vec, float* rows,
        int* rowIndex, in TileEpilogue epilogue, bool accumulate)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TVectors : struct, ITwoOrOne
    {
        for (int t = 0; t < tiles; t++, a += Rows, rowIndex += Rows)
            Tile<TWidth, TVector, TVectors>(steps, table, src, a, vec, rows, rowIndex, in epilogue, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TWidth, TVector, TVectors>(int steps, int* table, float* src, int* a, float* vec, float* rows,
        int* rowIndex, in TileEpilogue epilogue, bool accumulate)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TVectors : struct, ITwoOrOne
    {
        int w = TWidth.Count;
        nint block = TVectors.IsTwo ? 2 * w : w;
        nint a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
        TVector c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b;
        if (accumulate)
        {
            float* r0 = rows + rowIndex[0] * block, r1 = rows + rowIndex[1] * block, r2 = rows + rowIndex[2] * block;
            float* r3 = rows + rowIndex[3] * block, r4 = rows + rowIndex[4] * block, r5 = rows + rowIndex[5] * block;
            c0a = TWidth.Load(ref r0[0]); c1a = TWidth.Load(ref r1[0]); c2a = TWidth.Load(ref r2[0]);
            c3a = TWidth.Load(ref r3[0]); c4a = TWidth.Load(ref r4[0]); c5a = TWidth.Load(ref r5[0]);
            if (TVectors.IsTwo)
            {
                c0b = TWidth.Load(ref r0[w]); c1b = TWidth.Load(ref r1[w]); c2b = TWidth.Load(ref r2[w]);
                c3b = TWidth.Load(ref r3[w]); c4b = TWidth.Load(ref r4[w]); c5b = TWidth.Load(ref r5[w]);
            }
            else c0b = c1b = c2b = c3b = c4b = c5b = TWidth.Zero;
        }
        else c0a = c0b = c1a = c1b = c2a = c2b = c3a = c3b = c4a = c4b = c5a = c5b = TWidth.Zero;

        float* v = vec;
        for (int* s = table, end = table + steps; s < end; s++, v += block)
        {
            float* p = src + *s;
            TVector v0 = TWidth.Load(ref v[0]);
            TVector v1 = TVectors.IsTwo ? TWidth.Load(ref v[w]) : default;
            TVector b = TWidth.Broadcast(p[a0]);
            c0a = TWidth.MultiplyAdd(b, v0, c0a); if (TVectors.IsTwo) c0b = TWidth.MultiplyAdd(b, v1, c0b);
            b = TWidth.Broadcast(p[a1]);
            c1a = TWidth.MultiplyAdd(b, v0, c1a); if (TVectors.IsTwo) c1b = TWidth.MultiplyAdd(b, v1, c1b);
            b = TWidth.Broadcast(p[a2]);
            c2a = TWidth.MultiplyAdd(b, v0, c2a); if (TVectors.IsTwo) c2b = TWidth.MultiplyAdd(b, v1, c2b);
            b = TWidth.Broadcast(p[a3]);
            c3a = TWidth.MultiplyAdd(b, v0, c3a); if (TVectors.IsTwo) c3b = TWidth.MultiplyAdd(b, v1, c3b);
            b = TWidth.Broadcast(p[a4]);
            c4a = TWidth.MultiplyAdd(b, v0, c4a); if (TVectors.IsTwo) c4b = TWidth.MultiplyAdd(b, v1, c4b);
            b = TWidth.Broadcast(p[a5]);
            c5a = TWidth.MultiplyAdd(b, v0, c5a); if (TVectors.IsTwo) c5b = TWidth.MultiplyAdd(b, v1, c5b);
        }

        var first = new TileFinish<TWidth, TVector>(in epilogue, 0);
        c0a = first.Apply(c0a); c1a = first.Apply(c1a); c2a = first.Apply(c2a);
        c3a = first.Apply(c3a); c4a = first.Apply(c4a); c5a = first.Apply(c5a);
        if (TVectors.IsTwo)
        {
            var second = new TileFinish<TWidth, TVector>(in epilogue, w);
            c0b = second.Apply(c0b); c1b = second.Apply(c1b); c2b = second.Apply(c2b);
            c3b = second.Apply(c3b); c4b = second.Apply(c4b); c5b = second.Apply(c5b);
        }
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[0] * block, c0a, c0b);
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[1] * block, c1a, c1b);
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[2] * block, c2a, c2b);
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[3] * block, c3a, c3b);
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[4] * block, c4a, c4b);
        StoreRow<TWidth, TVector, TVectors>(rows + rowIndex[5] * block, c5a, c5b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TWidth, TVector, TVectors>(float* row, TVector first, TVector second)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TVectors : struct, ITwoOrOne
    {
        TWidth.Store(first, ref row[0]);
        if (TVectors.IsTwo) TWidth.Store(second, ref row[TWidth.Count]);
    }
}
