namespace Engine.Kernels;

/// <summary>
/// A zero-padded copy of one sample's planes, <c>[Planes, Height, Width]</c>, with the data (DataHeight × DataWidth
/// per plane) at row <see cref="Top"/>, column <see cref="Left"/>. Without padding (<see cref="IsCopy"/> false) the
/// kernels read the sample in place.
/// </summary>
internal readonly record struct PaddedPlanes(int Planes, int DataHeight, int DataWidth, int Top, int Left, int Height, int Width)
{
    /// <summary>Floats per padded plane.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>Floats of the padded copy (0 when the sample is read in place).</summary>
    public int Size => IsCopy ? Planes * PlaneSize : 0;

    /// <summary>Whether the padded layout differs from the sample's (so a copy is needed).</summary>
    public bool IsCopy => Height != DataHeight || Width != DataWidth;

    /// <summary>The convolution input [C, H, W] padded as the geometry says.</summary>
    public static PaddedPlanes ForInput(in ConvGeometry g) =>
        new(g.Channels, g.Height, g.Width, g.PadTop, g.PadLeft, g.Height + g.PadTop + g.PadBottom, g.Width + g.PadLeft + g.PadRight);

    /// <summary>
    /// Copies planes [<paramref name="first"/>, +<paramref name="count"/>) of <paramref name="sample"/> [Planes, DataHeight, DataWidth] into <paramref name="padded"/> (whose border must already be
    /// zero): row by row, in registers of the tier's width (a last, overlapping register for a row's tail). Pure data movement.
    /// </summary>
    public unsafe void CopyIn<TWidth, TVector>(float* sample, float* padded, int first, int count)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int w = TWidth.Count, n = DataWidth;
        for (int c = first; c < first + count; c++)
        {
            float* source = sample + (long)c * DataHeight * DataWidth;
            float* target = padded + (long)c * PlaneSize + Top * Width + Left;
            for (int r = 0; r < DataHeight; r++, source += DataWidth, target += Width)
            {
                if (n < w)
                {
                    for (int k = 0; k < n; k++) target[k] = source[k];
                    continue;
                }
                int k0 = 0;
                for (; k0 + w <= n; k0 += w) TWidth.Store(TWidth.Load(ref source[k0]), ref target[k0]);
                if (k0 < n) TWidth.Store(TWidth.Load(ref source[n - w]), ref target[n - w]);
            }
        }
    }
}

/// <summary>
/// One class of output positions of a blocked spatial pass, all sharing the same taps: positions (u, v) for u &lt;
/// <see cref="Rows"/>, v &lt; <see cref="Columns"/>, whose window starts at <c>Base + u·BaseRowStep + v·BaseColumnStep</c>
/// in the padded source and whose result goes to plane position <c>Output + u·OutputRowStep + v·OutputColumnStep</c>;
/// the taps are entries [<see cref="FirstTap"/>, +<see cref="Taps"/>) of the pass's tap table, and its tiles (six positions each,
/// in order) entries from <see cref="FirstTile"/> of the pass's tile tables. The forward pass has one
/// class (every output position); the data gradient of a stride-S convolution has S² (the input positions of each
/// residue modulo S, which receive the same subset of the kernel).
/// </summary>
internal readonly record struct ConvPhase(int FirstTap, int Taps, int Rows, int Columns, int Base, int BaseRowStep, int BaseColumnStep,
    int Output, int OutputRowStep, int OutputColumnStep, int FirstTile = 0)
{
    /// <summary>Positions of the class.</summary>
    public int Positions => Rows * Columns;

    /// <summary>Tiles of six positions (the last may repeat its final position).</summary>
    public int Tiles => (Positions + ConvTile.Rows - 1) / ConvTile.Rows;

    /// <summary>
    /// Writes the class's tiles into the tile tables: for tile t and row k, where position 6t + k's window starts in the padded
    /// source (offsets) and which plane row receives it (rows); a tail tile repeats the last position and sends the copies to
    /// <paramref name="spareRow"/>. Positions go in order, row by row. Tables from entry 6·<see cref="FirstTile"/>.
    /// </summary>
    public unsafe void WriteTiles(int* offsets, int* rows, int spareRow)
    {
        int row = 0, column = 0, positions = Positions;
        offsets += ConvTile.Rows * FirstTile;
        rows += ConvTile.Rows * FirstTile;
        for (int q = 0; q < Tiles * ConvTile.Rows; q++)
        {
            offsets[q] = Base + row * BaseRowStep + column * BaseColumnStep;
            rows[q] = q < positions ? Output + row * OutputRowStep + column * OutputColumnStep : spareRow;
            if (q + 1 < positions && ++column == Columns) { column = 0; row++; }
        }
    }
}

/// <summary>
/// How the blocked kernels cut a channel dimension into register blocks on a width of <c>count</c> lanes: blocks of
/// 2·count channels (two vectors per tile row), the last one a single vector when its channels fit one register.
/// Block b starts at channel b·2·count; a block's packed rows are its width apart, so block b's packed data starts at
/// (its first channel)·(rows per block).
/// </summary>
internal static class ChannelBlocks
{
    /// <summary>The widest block any tier uses (two 16-float registers): scratch is sized for it.</summary>
    public const int MaxWidth = 32;

    /// <summary>Blocks of <paramref name="channels"/> on a width of <paramref name="count"/> lanes.</summary>
    public static int Count(int channels, int count) => (channels + 2 * count - 1) / (2 * count);

    /// <summary>Block <paramref name="block"/>: first channel, channels held, and its width (count or 2·count).</summary>
    public static (int First, int Channels, int Width) Block(int channels, int count, int block)
    {
        int first = block * 2 * count, n = Math.Min(2 * count, channels - first);
        return (first, n, n > count ? 2 * count : count);
    }

    /// <summary>Floats of packed data for <paramref name="channels"/> channels of <paramref name="rows"/> rows on any tier
    /// (channels rounded up to the widest register, plus 16 floats to align the start to 64 bytes).</summary>
    public static long PackedSize(int channels, int rows) => (long)(channels + 15) * rows + 16;

    /// <summary>The first 64-byte boundary at or after <paramref name="pointer"/> (regions reserve 16 floats for it).</summary>
    public static unsafe float* Align(float* pointer) => (float*)(((nint)pointer + 63) & ~(nint)63);
}
