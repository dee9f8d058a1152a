using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The row tiles of the blocked spatial passes on 16-lane registers (AVX-512), for kernels three taps wide with unit column
/// stride (3×3 stride-1 forward passes and data gradients): sixteen consecutive output positions of one output row × a
/// one-register block (16 filters or channels), or eight positions × a two-register block (32), in 16 accumulators either way.
/// Where <see cref="ConvTile"/> broadcasts one input value per position and tap, this tile loads the weight vectors of one
/// kernel row once and broadcasts each of the row's input values once, feeding it to the (up to) three positions whose windows
/// contain it: 48 FMAs for 21 loads (one register) or 16 loads (two) per kernel row, against 6 FMAs for 7 loads and 12 for 8.
/// <see cref="RunWeights{TWidth, TVector, TRows}"/> is the weight gradient's counterpart for one-register blocks.
/// <code>
///   for each kernel row g (taps 3g, 3g+1, 3g+2 of the tap table, in order):
///       p = src + table[3g];   w_j = vec[(3g + j)·16 …]
///       ascending (forward,  table[3g+j] = table[3g] + j):  acc[k] = fma(p[k + j], w_j, acc[k])
///       descending (data gradient, table[3g+j] = table[3g] − j): acc[k] = fma(p[k − j], w_j, acc[k])
/// </code>
/// Each accumulator receives its terms in the tap table's order (kernel row by kernel row, j = 0, 1, 2 within a row), from 0:
/// exactly the chain <see cref="ConvTile"/> computes for the same position, so which tile computed an output changes no bit.
/// </summary>
/// <remarks>
/// Registers: 16 accumulators, three (six) weight vectors and one broadcast, 20 (23) of AVX-512's 32; AVX2's 16 cannot hold
/// them, and there <see cref="ConvTile"/>'s 6 × 2 tile already has 12 accumulators. The ascending sweep broadcasts p[0 … P + 1]
/// (P positions); the descending one runs the same code mirrored (broadcast m reads p[P − 1 − m], accumulator k is position
/// P − 1 − k), so each accumulator still sees j = 0, 1, 2 in order. On resnet20's 16-channel layers (1 thread) the forward and
/// data passes went from about 0.60 to 0.80 of the FMA peak and the weight gradient from 0.57 to 0.77; the two-register tile
/// adds a few per cent to the 32- and 64-channel layers.
/// </remarks>
internal static unsafe class ConvRowTile
{
    /// <summary>Consecutive output positions per tile of a one-register block (16 channels).</summary>
    public const int OnePositions = 16;

    /// <summary>Consecutive output positions per tile of a two-register block (32 channels).</summary>
    public const int TwoPositions = 8;

    /// <summary>Positions per tile of a block of one or two registers.</summary>
    public static int Positions<TVectors>() where TVectors : struct, ITwoOrOne => TVectors.IsTwo ? TwoPositions : OnePositions;

    /// <summary>Taps per kernel row the tile is written for.</summary>
    public const int KernelWidth = 3;

    /// <summary>The register width (lanes) the tile is for: on narrower tiers the blocked passes use <see cref="ConvTile"/>.</summary>
    public const int Lanes = 16;

    /// <summary>Whether a pass of kernel width <paramref name="kernelWidth"/> and column stride <paramref name="stride"/> can run on
    /// row tiles (where its rows are at least a tile long: <see cref="Positions{TVectors}"/>).</summary>
    public static bool Fits(int kernelWidth, int stride) => kernelWidth == KernelWidth && stride == 1;

    /// <summary>
    /// One tile: outputs rows[k·B …] (k &lt; P: P = 16 positions of B = 16 channels, or 8 of 32; position-major, overwritten) =
    /// the epilogue of the sums over <paramref name="groups"/> kernel rows (see the class).
    /// </summary>
    /// <param name="groups">Kernel rows (the tap table holds 3·groups entries).</param>
    /// <param name="table">The pass's tap table (offsets into <paramref name="src"/>, three per kernel row).</param>
    /// <param name="src">Where position 0's window starts (ascending) in the source.</param>
    /// <param name="vec">Packed weights [3·groups][B].</param>
    /// <param name="rows">P output rows of B floats, consecutive positions.</param>
    /// <param name="epilogue">Bias, scale-and-shift and ReLU applied before the store (see <see cref="TileEpilogue"/>).</param>
    [SkipLocalsInit]
    public static void Run<TWidth, TVector, TVectors, TSweep>(int groups, int* table, float* src, float* vec, float* rows, in TileEpilogue epilogue)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TVectors : struct, ITwoOrOne where TSweep : struct, ISweep
    {
        if (TVectors.IsTwo) RunTwo<TWidth, TVector, TSweep>(groups, table, src, vec, rows, in epilogue);
        else RunOne<TWidth, TVector, TSweep>(groups, table, src, vec, rows, in epilogue);
    }

    /// <summary>The one-register tile: 16 positions × 16 channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunOne<TWidth, TVector, TSweep>(int groups, int* table, float* src, float* vec, float* rows, in TileEpilogue epilogue)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TSweep : struct, ISweep
    {
        nint w = TWidth.Count;
        TVector c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15;
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = c12 = c13 = c14 = c15 = TWidth.Zero;
        float* v = vec;
        for (int* s = table, end = table + KernelWidth * groups; s < end; s += KernelWidth, v += KernelWidth * w)
        {
            float* p = src + *s;
            TVector w0 = TWidth.Load(ref v[0]), w1 = TWidth.Load(ref v[w]), w2 = TWidth.Load(ref v[2 * w]);
            TVector b;
            b = Broadcast<TWidth, TVector, TSweep>(p, 0, OnePositions); c0 = TWidth.MultiplyAdd(b, w0, c0);
            b = Broadcast<TWidth, TVector, TSweep>(p, 1, OnePositions); c1 = TWidth.MultiplyAdd(b, w0, c1); c0 = TWidth.MultiplyAdd(b, w1, c0);
            b = Broadcast<TWidth, TVector, TSweep>(p, 2, OnePositions); c2 = TWidth.MultiplyAdd(b, w0, c2); c1 = TWidth.MultiplyAdd(b, w1, c1); c0 = TWidth.MultiplyAdd(b, w2, c0);
            b = Broadcast<TWidth, TVector, TSweep>(p, 3, OnePositions); c3 = TWidth.MultiplyAdd(b, w0, c3); c2 = TWidth.MultiplyAdd(b, w1, c2); c1 = TWidth.MultiplyAdd(b, w2, c1);
            b = Broadcast<TWidth, TVector, TSweep>(p, 4, OnePositions); c4 = TWidth.MultiplyAdd(b, w0, c4); c3 = TWidth.MultiplyAdd(b, w1, c3); c2 = TWidth.MultiplyAdd(b, w2, c2);
            b = Broadcast<TWidth, TVector, TSweep>(p, 5, OnePositions); c5 = TWidth.MultiplyAdd(b, w0, c5); c4 = TWidth.MultiplyAdd(b, w1, c4); c3 = TWidth.MultiplyAdd(b, w2, c3);
            b = Broadcast<TWidth, TVector, TSweep>(p, 6, OnePositions); c6 = TWidth.MultiplyAdd(b, w0, c6); c5 = TWidth.MultiplyAdd(b, w1, c5); c4 = TWidth.MultiplyAdd(b, w2, c4);
            b = Broadcast<TWidth, TVector, TSweep>(p, 7, OnePositions); c7 = TWidth.MultiplyAdd(b, w0, c7); c6 = TWidth.MultiplyAdd(b, w1, c6); c5 = TWidth.MultiplyAdd(b, w2, c5);
            b = Broadcast<TWidth, TVector, TSweep>(p, 8, OnePositions); c8 = TWidth.MultiplyAdd(b, w0, c8); c7 = TWidth.MultiplyAdd(b, w1, c7); c6 = TWidth.MultiplyAdd(b, w2, c6);
            b = Broadcast<TWidth, TVector, TSweep>(p, 9, OnePositions); c9 = TWidth.MultiplyAdd(b, w0, c9); c8 = TWidth.MultiplyAdd(b, w1, c8); c7 = TWidth.MultiplyAdd(b, w2, c7);
            b = Broadcast<TWidth, TVector, TSweep>(p, 10, OnePositions); c10 = TWidth.MultiplyAdd(b, w0, c10); c9 = TWidth.MultiplyAdd(b, w1, c9); c8 = TWidth.MultiplyAdd(b, w2, c8);
            b = Broadcast<TWidth, TVector, TSweep>(p, 11, OnePositions); c11 = TWidth.MultiplyAdd(b, w0, c11); c10 = TWidth.MultiplyAdd(b, w1, c10); c9 = TWidth.MultiplyAdd(b, w2, c9);
            b = Broadcast<TWidth, TVector, TSweep>(p, 12, OnePositions); c12 = TWidth.MultiplyAdd(b, w0, c12); c11 = TWidth.MultiplyAdd(b, w1, c11); c10 = TWidth.MultiplyAdd(b, w2, c10);
            b = Broadcast<TWidth, TVector, TSweep>(p, 13, OnePositions); c13 = TWidth.MultiplyAdd(b, w0, c13); c12 = TWidth.MultiplyAdd(b, w1, c12); c11 = TWidth.MultiplyAdd(b, w2, c11);
            b = Broadcast<TWidth, TVector, TSweep>(p, 14, OnePositions); c14 = TWidth.MultiplyAdd(b, w0, c14); c13 = TWidth.MultiplyAdd(b, w1, c13); c12 = TWidth.MultiplyAdd(b, w2, c12);
            b = Broadcast<TWidth, TVector, TSweep>(p, 15, OnePositions); c15 = TWidth.MultiplyAdd(b, w0, c15); c14 = TWidth.MultiplyAdd(b, w1, c14); c13 = TWidth.MultiplyAdd(b, w2, c13);
            b = Broadcast<TWidth, TVector, TSweep>(p, 16, OnePositions); c15 = TWidth.MultiplyAdd(b, w1, c15); c14 = TWidth.MultiplyAdd(b, w2, c14);
            b = Broadcast<TWidth, TVector, TSweep>(p, 17, OnePositions); c15 = TWidth.MultiplyAdd(b, w2, c15);
        }
        var finish = new TileFinish<TWidth, TVector>(in epilogue, 0);
        finish.Store(c0, rows + Row<TSweep>(0, OnePositions) * w); finish.Store(c1, rows + Row<TSweep>(1, OnePositions) * w); finish.Store(c2, rows + Row<TSweep>(2, OnePositions) * w); finish.Store(c3, rows + Row<TSweep>(3, OnePositions) * w);
        finish.Store(c4, rows + Row<TSweep>(4, OnePositions) * w); finish.Store(c5, rows + Row<TSweep>(5, OnePositions) * w); finish.Store(c6, rows + Row<TSweep>(6, OnePositions) * w); finish.Store(c7, rows + Row<TSweep>(7, OnePositions) * w);
        finish.Store(c8, rows + Row<TSweep>(8, OnePositions) * w); finish.Store(c9, rows + Row<TSweep>(9, OnePositions) * w); finish.Store(c10, rows + Row<TSweep>(10, OnePositions) * w); finish.Store(c11, rows + Row<TSweep>(11, OnePositions) * w);
        finish.Store(c12, rows + Row<TSweep>(12, OnePositions) * w); finish.Store(c13, rows + Row<TSweep>(13, OnePositions) * w); finish.Store(c14, rows + Row<TSweep>(14, OnePositions) * w); finish.Store(c15, rows + Row<TSweep>(15, OnePositions) * w);
    }

    /// <summary>
    /// The two-register variant: outputs rows[k·32 …] (k &lt; 8) over 8 consecutive positions × 32 channels in 16 accumulators,
    /// the six weight vectors of a kernel row loaded once and each of its 10 input values broadcast once (48 FMAs for 16 loads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunTwo<TWidth, TVector, TSweep>(int groups, int* table, float* src, float* vec, float* rows, in TileEpilogue epilogue)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TSweep : struct, ISweep
    {
        nint w = TWidth.Count, block = 2 * w;
        TVector a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = TWidth.Zero;
        float* v = vec;
        for (int* s = table, end = table + KernelWidth * groups; s < end; s += KernelWidth, v += KernelWidth * block)
        {
            float* p = src + *s;
            TVector w0a = TWidth.Load(ref v[0]), w0b = TWidth.Load(ref v[w]), w1a = TWidth.Load(ref v[block]);
            TVector w1b = TWidth.Load(ref v[block + w]), w2a = TWidth.Load(ref v[2 * block]), w2b = TWidth.Load(ref v[2 * block + w]);
            TVector x;
            x = Broadcast<TWidth, TVector, TSweep>(p, 0, TwoPositions); a0 = TWidth.MultiplyAdd(x, w0a, a0); b0 = TWidth.MultiplyAdd(x, w0b, b0);
            x = Broadcast<TWidth, TVector, TSweep>(p, 1, TwoPositions); a1 = TWidth.MultiplyAdd(x, w0a, a1); b1 = TWidth.MultiplyAdd(x, w0b, b1); a0 = TWidth.MultiplyAdd(x, w1a, a0); b0 = TWidth.MultiplyAdd(x, w1b, b0);
            x = Broadcast<TWidth, TVector, TSweep>(p, 2, TwoPositions); a2 = TWidth.MultiplyAdd(x, w0a, a2); b2 = TWidth.MultiplyAdd(x, w0b, b2); a1 = TWidth.MultiplyAdd(x, w1a, a1); b1 = TWidth.MultiplyAdd(x, w1b, b1); a0 = TWidth.MultiplyAdd(x, w2a, a0); b0 = TWidth.MultiplyAdd(x, w2b, b0);
            x = Broadcast<TWidth, TVector, TSweep>(p, 3, TwoPositions); a3 = TWidth.MultiplyAdd(x, w0a, a3); b3 = TWidth.MultiplyAdd(x, w0b, b3); a2 = TWidth.MultiplyAdd(x, w1a, a2); b2 = TWidth.MultiplyAdd(x, w1b, b2); a1 = TWidth.MultiplyAdd(x, w2a, a1); b1 = TWidth.MultiplyAdd(x, w2b, b1);
            x = Broadcast<TWidth, TVector, TSweep>(p, 4, TwoPositions); a4 = TWidth.MultiplyAdd(x, w0a, a4); b4 = TWidth.MultiplyAdd(x, w0b, b4); a3 = TWidth.MultiplyAdd(x, w1a, a3); b3 = TWidth.MultiplyAdd(x, w1b, b3); a2 = TWidth.MultiplyAdd(x, w2a, a2); b2 = TWidth.MultiplyAdd(x, w2b, b2);
            x = Broadcast<TWidth, TVector, TSweep>(p, 5, TwoPositions); a5 = TWidth.MultiplyAdd(x, w0a, a5); b5 = TWidth.MultiplyAdd(x, w0b, b5); a4 = TWidth.MultiplyAdd(x, w1a, a4); b4 = TWidth.MultiplyAdd(x, w1b, b4); a3 = TWidth.MultiplyAdd(x, w2a, a3); b3 = TWidth.MultiplyAdd(x, w2b, b3);
            x = Broadcast<TWidth, TVector, TSweep>(p, 6, TwoPositions); a6 = TWidth.MultiplyAdd(x, w0a, a6); b6 = TWidth.MultiplyAdd(x, w0b, b6); a5 = TWidth.MultiplyAdd(x, w1a, a5); b5 = TWidth.MultiplyAdd(x, w1b, b5); a4 = TWidth.MultiplyAdd(x, w2a, a4); b4 = TWidth.MultiplyAdd(x, w2b, b4);
            x = Broadcast<TWidth, TVector, TSweep>(p, 7, TwoPositions); a7 = TWidth.MultiplyAdd(x, w0a, a7); b7 = TWidth.MultiplyAdd(x, w0b, b7); a6 = TWidth.MultiplyAdd(x, w1a, a6); b6 = TWidth.MultiplyAdd(x, w1b, b6); a5 = TWidth.MultiplyAdd(x, w2a, a5); b5 = TWidth.MultiplyAdd(x, w2b, b5);
            x = Broadcast<TWidth, TVector, TSweep>(p, 8, TwoPositions); a7 = TWidth.MultiplyAdd(x, w1a, a7); b7 = TWidth.MultiplyAdd(x, w1b, b7); a6 = TWidth.MultiplyAdd(x, w2a, a6); b6 = TWidth.MultiplyAdd(x, w2b, b6);
            x = Broadcast<TWidth, TVector, TSweep>(p, 9, TwoPositions); a7 = TWidth.MultiplyAdd(x, w2a, a7); b7 = TWidth.MultiplyAdd(x, w2b, b7);
        }
        var first = new TileFinish<TWidth, TVector>(in epilogue, 0);
        var second = new TileFinish<TWidth, TVector>(in epilogue, TWidth.Count);
        first.Store(a0, rows + Row<TSweep>(0, TwoPositions) * block); second.Store(b0, rows + Row<TSweep>(0, TwoPositions) * block + w); first.Store(a1, rows + Row<TSweep>(1, TwoPositions) * block); second.Store(b1, rows + Row<TSweep>(1, TwoPositions) * block + w);
        first.Store(a2, rows + Row<TSweep>(2, TwoPositions) * block); second.Store(b2, rows + Row<TSweep>(2, TwoPositions) * block + w); first.Store(a3, rows + Row<TSweep>(3, TwoPositions) * block); second.Store(b3, rows + Row<TSweep>(3, TwoPositions) * block + w);
        first.Store(a4, rows + Row<TSweep>(4, TwoPositions) * block); second.Store(b4, rows + Row<TSweep>(4, TwoPositions) * block + w); first.Store(a5, rows + Row<TSweep>(5, TwoPositions) * block); second.Store(b5, rows + Row<TSweep>(5, TwoPositions) * block + w);
        first.Store(a6, rows + Row<TSweep>(6, TwoPositions) * block); second.Store(b6, rows + Row<TSweep>(6, TwoPositions) * block + w); first.Store(a7, rows + Row<TSweep>(7, TwoPositions) * block); second.Store(b7, rows + Row<TSweep>(7, TwoPositions) * block + w);
    }

    /// <summary>Output positions per chunk of <see cref="RunWeights{TWidth, TVector, TRows}"/> (eight gradient registers held).</summary>
    public const int WeightChunk = 8;

    /// <summary>
    /// The weight gradient's row tile: the running sums of four kernel rows (<typeparamref name="TRows"/> = <see cref="Two"/>:
    /// twelve taps) or two (<see cref="One"/>: six) × the block's 16 filters, over <paramref name="outputRows"/> output rows of
    /// <paramref name="columns"/> positions:
    /// <code>
    ///   sums[3g + j] = fma(src[positions[u·columns] + bases[g] + q + j], gradient[u·columns + q], sums[3g + j])
    ///                  for u &lt; outputRows, then q &lt; columns, in order
    /// </code>
    /// — the chain <see cref="ConvTile"/> computes for the same taps over the same positions (the position table's order), so the
    /// bits do not depend on the tile. Eight positions at a time: their gradient vectors are loaded once, and each of a kernel
    /// row's ten input values is broadcast once and fed to the taps (up to three) that read it — 96 FMAs for 48 loads; a row's
    /// last positions (columns mod 8) go one at a time.
    /// </summary>
    /// <param name="outputRows">Output rows to walk (samples × output height), each <paramref name="columns"/> positions of unit stride.</param>
    /// <param name="columns">Positions per output row.</param>
    /// <param name="positions">Where each position's window starts in <paramref name="src"/> (read at the first position of each row).</param>
    /// <param name="src">The (padded) input samples.</param>
    /// <param name="bases">Offset of tap 0 of each kernel row (four, or two).</param>
    /// <param name="gradient">The output gradient, position-major [outputRows·columns][16].</param>
    /// <param name="sums">The running sums [12 or 6 taps][16], read first and written back.</param>
    [SkipLocalsInit]
    public static void RunWeights<TWidth, TVector, TRows>(int outputRows, int columns, int* positions, float* src, int* bases,
        float* gradient, float* sums)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TRows : struct, ITwoOrOne
    {
        nint w = TWidth.Count;
        nint e0 = bases[0], e1 = bases[1], e2 = TRows.IsTwo ? bases[2] : 0, e3 = TRows.IsTwo ? bases[3] : 0;
        TVector a00 = TWidth.Load(ref sums[0]), a01 = TWidth.Load(ref sums[w]), a02 = TWidth.Load(ref sums[2 * w]);
        TVector a10 = TWidth.Load(ref sums[3 * w]), a11 = TWidth.Load(ref sums[4 * w]), a12 = TWidth.Load(ref sums[5 * w]);
        TVector a20 = TRows.IsTwo ? TWidth.Load(ref sums[6 * w]) : default, a21 = TRows.IsTwo ? TWidth.Load(ref sums[7 * w]) : default;
        TVector a22 = TRows.IsTwo ? TWidth.Load(ref sums[8 * w]) : default, a30 = TRows.IsTwo ? TWidth.Load(ref sums[9 * w]) : default;
        TVector a31 = TRows.IsTwo ? TWidth.Load(ref sums[10 * w]) : default, a32 = TRows.IsTwo ? TWidth.Load(ref sums[11 * w]) : default;
        for (int u = 0; u < outputRows; u++, positions += columns)
        {
            float* x = src + positions[0];
            int q = 0;
            for (; q + WeightChunk <= columns; q += WeightChunk, gradient += WeightChunk * w)
            {
                TVector d0 = TWidth.Load(ref gradient[0]), d1 = TWidth.Load(ref gradient[w]), d2 = TWidth.Load(ref gradient[2 * w]);
                TVector d3 = TWidth.Load(ref gradient[3 * w]), d4 = TWidth.Load(ref gradient[4 * w]), d5 = TWidth.Load(ref gradient[5 * w]);
                TVector d6 = TWidth.Load(ref gradient[6 * w]), d7 = TWidth.Load(ref gradient[7 * w]);
                (a00, a01, a02) = KernelRow<TWidth, TVector>(x + e0 + q, d0, d1, d2, d3, d4, d5, d6, d7, a00, a01, a02);
                (a10, a11, a12) = KernelRow<TWidth, TVector>(x + e1 + q, d0, d1, d2, d3, d4, d5, d6, d7, a10, a11, a12);
                if (TRows.IsTwo)
                {
                    (a20, a21, a22) = KernelRow<TWidth, TVector>(x + e2 + q, d0, d1, d2, d3, d4, d5, d6, d7, a20, a21, a22);
                    (a30, a31, a32) = KernelRow<TWidth, TVector>(x + e3 + q, d0, d1, d2, d3, d4, d5, d6, d7, a30, a31, a32);
                }
            }
            for (; q < columns; q++, gradient += w)
            {
                TVector d = TWidth.Load(ref gradient[0]);
                float* p0 = x + e0 + q, p1 = x + e1 + q;
                a00 = TWidth.MultiplyAdd(TWidth.Broadcast(p0[0]), d, a00); a01 = TWidth.MultiplyAdd(TWidth.Broadcast(p0[1]), d, a01);
                a02 = TWidth.MultiplyAdd(TWidth.Broadcast(p0[2]), d, a02);
                a10 = TWidth.MultiplyAdd(TWidth.Broadcast(p1[0]), d, a10); a11 = TWidth.MultiplyAdd(TWidth.Broadcast(p1[1]), d, a11);
                a12 = TWidth.MultiplyAdd(TWidth.Broadcast(p1[2]), d, a12);
                if (TRows.IsTwo)
                {
                    float* p2 = x + e2 + q, p3 = x + e3 + q;
                    a20 = TWidth.MultiplyAdd(TWidth.Broadcast(p2[0]), d, a20); a21 = TWidth.MultiplyAdd(TWidth.Broadcast(p2[1]), d, a21);
                    a22 = TWidth.MultiplyAdd(TWidth.Broadcast(p2[2]), d, a22);
                    a30 = TWidth.MultiplyAdd(TWidth.Broadcast(p3[0]), d, a30); a31 = TWidth.MultiplyAdd(TWidth.Broadcast(p3[1]), d, a31);
                    a32 = TWidth.MultiplyAdd(TWidth.Broadcast(p3[2]), d, a32);
                }
            }
        }
        TWidth.Store(a00, ref sums[0]); TWidth.Store(a01, ref sums[w]); TWidth.Store(a02, ref sums[2 * w]);
        TWidth.Store(a10, ref sums[3 * w]); TWidth.Store(a11, ref sums[4 * w]); TWidth.Store(a12, ref sums[5 * w]);
        if (TRows.IsTwo)
        {
            TWidth.Store(a20, ref sums[6 * w]); TWidth.Store(a21, ref sums[7 * w]); TWidth.Store(a22, ref sums[8 * w]);
            TWidth.Store(a30, ref sums[9 * w]); TWidth.Store(a31, ref sums[10 * w]); TWidth.Store(a32, ref sums[11 * w]);
        }
    }

    /// <summary>One kernel row of a weight chunk: a_j = fma(p[q + j], d_q, a_j) for q = 0 … 7 in order, each p[m] broadcast once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector, TVector, TVector) KernelRow<TWidth, TVector>(float* p, TVector d0, TVector d1, TVector d2, TVector d3,
        TVector d4, TVector d5, TVector d6, TVector d7, TVector a0, TVector a1, TVector a2)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        TVector b;
        b = TWidth.Broadcast(p[0]); a0 = TWidth.MultiplyAdd(b, d0, a0);
        b = TWidth.Broadcast(p[1]); a0 = TWidth.MultiplyAdd(b, d1, a0); a1 = TWidth.MultiplyAdd(b, d0, a1);
        b = TWidth.Broadcast(p[2]); a0 = TWidth.MultiplyAdd(b, d2, a0); a1 = TWidth.MultiplyAdd(b, d1, a1); a2 = TWidth.MultiplyAdd(b, d0, a2);
        b = TWidth.Broadcast(p[3]); a0 = TWidth.MultiplyAdd(b, d3, a0); a1 = TWidth.MultiplyAdd(b, d2, a1); a2 = TWidth.MultiplyAdd(b, d1, a2);
        b = TWidth.Broadcast(p[4]); a0 = TWidth.MultiplyAdd(b, d4, a0); a1 = TWidth.MultiplyAdd(b, d3, a1); a2 = TWidth.MultiplyAdd(b, d2, a2);
        b = TWidth.Broadcast(p[5]); a0 = TWidth.MultiplyAdd(b, d5, a0); a1 = TWidth.MultiplyAdd(b, d4, a1); a2 = TWidth.MultiplyAdd(b, d3, a2);
        b = TWidth.Broadcast(p[6]); a0 = TWidth.MultiplyAdd(b, d6, a0); a1 = TWidth.MultiplyAdd(b, d5, a1); a2 = TWidth.MultiplyAdd(b, d4, a2);
        b = TWidth.Broadcast(p[7]); a0 = TWidth.MultiplyAdd(b, d7, a0); a1 = TWidth.MultiplyAdd(b, d6, a1); a2 = TWidth.MultiplyAdd(b, d5, a2);
        b = TWidth.Broadcast(p[8]); a1 = TWidth.MultiplyAdd(b, d7, a1); a2 = TWidth.MultiplyAdd(b, d6, a2);
        b = TWidth.Broadcast(p[9]); a2 = TWidth.MultiplyAdd(b, d7, a2);
        return (a0, a1, a2);
    }

    /// <summary>Broadcast m of a kernel row of a tile of <paramref name="positions"/>: p[m] ascending, p[positions − 1 − m] descending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Broadcast<TWidth, TVector, TSweep>(float* p, int m, int positions)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TSweep : struct, ISweep =>
        TWidth.Broadcast(p[TSweep.Descending ? positions - 1 - m : m]);

    /// <summary>The output position accumulator k of a tile of <paramref name="positions"/> holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Row<TSweep>(int k, int positions) where TSweep : struct, ISweep => TSweep.Descending ? positions - 1 - k : k;
}

/// <summary>The direction a <see cref="ConvRowTile"/> sweeps a kernel row's inputs in (a compile-time choice).</summary>
internal interface ISweep
{
    /// <summary>Whether tap j of a kernel row lies j columns left of tap 0 (the data gradient's transposed kernel).</summary>
    static abstract bool Descending { get; }
}

/// <summary>Tap j lies j columns right of tap 0 (a forward pass).</summary>
internal readonly struct AscendingSweep : ISweep
{
    public static bool Descending => false;
}

/// <summary>Tap j lies j columns left of tap 0 (a data gradient).</summary>
internal readonly struct DescendingSweep : ISweep
{
    public static bool Descending => true;
}
