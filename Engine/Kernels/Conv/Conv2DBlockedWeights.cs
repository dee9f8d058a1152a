namespace Engine.Kernels;

/// <summary>
/// The weight and bias gradients of layers with many channels, register-blocked over filters: each <see cref="ConvTile"/>
/// holds six taps (c, i, j) × two vectors of filters (AVX2: 6 × 16 in 12 ymm) and walks every output position of every
/// sample, broadcasting the six taps' input values against the output gradient of the block's filters at that position.
/// One-register blocks of 16 filters (AVX-512) of 3-wide kernels with unit column stride run on <see cref="ConvRowTile"/>'s
/// weight tile instead (twelve taps, each input value broadcast once for up to three of them), to the same bits.
/// </summary>
/// <remarks>
/// <para><b>Order</b>: dW[f, c, i, j] += Σ_(n, r, s) dy[n, f, r, s]·xpad[n, c, r·SH + i, s·SW + j], the sum one chain
/// <c>acc = fma(x, dy, acc)</c> from 0 over samples in order, then rows, then columns (padding terms read zeros), added to
/// dW at the end; db[f] += Σ_(n, r, s) dy[n, f, r, s], one chain of additions in the same order. Lanes hold filters, never
/// terms of one sum, so every tier and thread count gives the same bits.</para>
/// <para><b>Layouts</b>: per sample, the block's output gradient is transposed (8×8 or 4×4 register transposes) into
/// position-major rows [OH·OW, block width] and the input zero-padded (or read in place without padding); small planes take
/// G samples per tile call (G·OH·OW ≥ 512 steps) so that loading and storing the 12 accumulators stays rare. The running
/// sums live in a [block][tap][block width] buffer between samples (a store and reload is exact).</para>
/// <para><b>Threads</b>: parts own whole output tiles — ranges of filter blocks × ranges of tap groups — and each walks all
/// samples; no sum is ever split. Each part pads the input channels its taps read and transposes the output gradient of its
/// filter blocks itself, so splitting filters duplicates the padding of x and splitting taps the transposition of dy: the
/// split duplicates the smaller of the two (by element count; filters only in whole blocks). At most one part per thread.</para>
/// </remarks>
internal static unsafe class Conv2DBlockedWeights
{
    private const int Rows = ConvTile.Rows;

    /// <summary>Output positions a tile call walks at least (when the batch has them): its 12 loads and stores of the running
    /// sums then cost under 1 % of its steps, and G samples' padded inputs stay within a few hundred kilobytes.</summary>
    public const int MinimumSteps = 512;

    /// <summary>Samples per tile call: enough for <see cref="MinimumSteps"/> output positions, at most <paramref name="maxBatch"/>.</summary>
    public static int SamplesPerStep(in ConvGeometry g, int maxBatch) =>
        Math.Clamp((MinimumSteps + g.ColumnCols - 1) / g.ColumnCols, 1, Math.Max(1, maxBatch));

    /// <summary>Floats of scratch <see cref="BackwardWeights"/> needs for batches of up to <paramref name="maxBatch"/> on up to
    /// <paramref name="threads"/> workers.</summary>
    public static long ScratchSize(in ConvGeometry g, int filters, int maxBatch, int threads) =>
        SharedSize(g, filters, maxBatch) + (long)Math.Max(1, threads) * SlotSize(g, maxBatch);

    /// <summary>dW += Σₙ dy[n] ⋆ x[n] and db += Σ dy (both accumulated; an empty bias gradient is skipped).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> scratch, int threads)
    {
        // x: [N, C, H, W]   dy: [N, F, OH, OW]   weightGradients: [F, C, KH, KW] (+=)   biasGradients: [F] (+=) or empty
        if (x.Length < (long)batch * g.InputSize) throw new ArgumentException($"Conv2D: x needs {(long)batch * g.InputSize} elements.", nameof(x));
        if (dy.Length < (long)batch * filters * g.ColumnCols) throw new ArgumentException($"Conv2D: dy needs {(long)batch * filters * g.ColumnCols} elements.", nameof(dy));
        if (weightGradients.Length < (long)filters * g.ColumnRows) throw new ArgumentException($"Conv2D: weightGradients needs {(long)filters * g.ColumnRows} elements.", nameof(weightGradients));
        if (!biasGradients.IsEmpty && biasGradients.Length < filters) throw new ArgumentException($"Conv2D: biasGradients needs {filters} elements.", nameof(biasGradients));
        if (batch == 0) return;
        int step = SamplesPerStep(g, batch);
        long shared = SharedSize(g, filters, step), slot = SlotSize(g, step);
        if (scratch.Length < shared + slot) throw new ArgumentException($"Conv2D: scratch needs {shared + slot} elements.", nameof(scratch));
        int workers = (int)Math.Clamp((scratch.Length - shared) / slot, 1, Math.Max(1, threads));
        var source = PaddedPlanes.ForInput(g);
        fixed (float* xp = x, yp = dy, wp = weightGradients, bp = biasGradients, sp = scratch)
        {
            var job = new Job(g, batch, filters, step, source, xp, yp, wp, biasGradients.IsEmpty ? null : bp, sp, slot, workers);
            int tapRows = TapRows(g);
            for (int t = 0; t < tapRows; t++)
            {
                int tap = Math.Min(t, g.ColumnRows - 1), kk = g.KernelHeight * g.KernelWidth;
                job.TapTable[t] = tap / kk * source.PlaneSize + tap % kk / g.KernelWidth * source.Width + tap % g.KernelWidth;
                job.RowTable[t] = t;
            }
            for (int s = 0, p = 0; s < step; s++)
                for (int r = 0; r < g.OutputHeight; r++)
                    for (int c = 0; c < g.OutputWidth; c++, p++)
                        job.PositionTable[p] = s * source.Planes * source.PlaneSize + r * g.StrideHeight * source.Width + c * g.StrideWidth;
            TierDispatch.Run(ref job);
        }
    }

    /// <summary>Tap rows of the running sums: C·KH·KW rounded up to whole tiles (the extra rows are never read).</summary>
    private static int TapRows(in ConvGeometry g) => (g.ColumnRows + Rows - 1) / Rows * Rows;

    /// <summary>Running sums of dW [block][tap row][width] and db, the tap table, the row table (0, 1, 2, …) and the position table.</summary>
    private static long SharedSize(in ConvGeometry g, int filters, int step) =>
        ChannelBlocks.PackedSize(filters, TapRows(g)) + ChannelBlocks.PackedSize(filters, 1) + 2L * TapRows(g) + (long)step * g.ColumnCols;

    /// <summary>One worker's padded samples (if the layer pads) and transposed output gradient.</summary>
    private static long SlotSize(in ConvGeometry g, int step) =>
        (long)step * PaddedPlanes.ForInput(g).Size + (long)step * g.ColumnCols * ChannelBlocks.MaxWidth + 16;

    /// <summary>The whole weight-gradient call for one width: parts in parallel, then the sums added to dW and db.</summary>
    private readonly struct Job : IWidthKernel
    {
        private readonly ConvGeometry _g;
        private readonly int _batch, _filters, _step, _workers;
        private readonly PaddedPlanes _source;
        private readonly float* _x, _dy, _dw, _db, _sums, _biasSums, _slots;
        private readonly long _slot;
        private readonly bool _rowTiles;
        public readonly int* TapTable, RowTable, PositionTable;

        /// <summary>Whether the layer has biases (their gradient is summed too).</summary>
        public bool HasBias => _db != null;

        public Job(in ConvGeometry g, int batch, int filters, int step, in PaddedPlanes source, float* x, float* dy, float* dw, float* db,
            float* scratch, long slot, int workers)
        {
            (_g, _batch, _filters, _step, _source, _slot, _workers) = (g, batch, filters, step, source, slot, workers);
            // Taps in kernel rows of three consecutive columns, positions of unit column stride: one-register blocks of 16
            // filters may run on row tiles.
            _rowTiles = ConvRowTile.Fits(g.KernelWidth, g.StrideWidth);
            _x = x;
            _dy = dy;
            _dw = dw;
            _db = db;
            _sums = ChannelBlocks.Align(scratch);
            float* next = scratch + ChannelBlocks.PackedSize(filters, TapRows(g));
            _biasSums = ChannelBlocks.Align(next);
            next += ChannelBlocks.PackedSize(filters, 1);
            TapTable = (int*)next;
            RowTable = TapTable + TapRows(g);
            PositionTable = RowTable + TapRows(g);
            _slots = next + 2L * TapRows(g) + (long)step * g.ColumnCols;
        }

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int count = TWidth.Count, blocks = ChannelBlocks.Count(_filters, count), groups = TapRows(_g) / Rows;
            long work = 2L * _batch * _filters * _g.ColumnCols * _g.ColumnRows;
            int parts = ParallelFor.PartsFor(work, blocks * groups, _workers, partsPerThread: 1);
            // Every part pads the input channels of its taps and transposes the output gradient of its filter blocks, for every
            // sample: splitting filters makes each part pad all of x, splitting taps makes each transpose all of dy. Split the one
            // whose duplicate costs less (fewer elements), filters only in whole blocks.
            bool byFilters = (long)_g.InputSize <= (long)_filters * _g.ColumnCols;
            int filterParts = byFilters ? Math.Min(blocks, parts) : 1, tapParts = Math.Min(groups, Math.Max(1, parts / filterParts));
            var body = new Parts<TWidth, TVector>(this, blocks, groups, filterParts, tapParts);
            ParallelFor.Run(ref body, filterParts * tapParts, _workers);

            int rows = _g.ColumnRows, tapRows = TapRows(_g);
            for (int b = 0; b < blocks; b++)
            {
                var (first, n, width) = ChannelBlocks.Block(_filters, count, b);
                float* sums = _sums + (long)first * tapRows;
                for (int l = 0; l < n; l++)
                {
                    float* dw = _dw + (long)(first + l) * rows;
                    for (int t = 0; t < rows; t++) dw[t] += sums[(long)t * width + l];
                    if (_db != null) _db[first + l] += _biasSums[first + l];
                }
            }
        }

        /// <summary>Filter blocks [b0, b1) × tap groups [t0, t1): every sample, in order, into the running sums.</summary>
        public void RunPart<TWidth, TVector>(int b0, int b1, int t0, int t1, bool biases, int worker)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            var g = _g;
            int count = TWidth.Count, tapRows = TapRows(g), spatial = g.ColumnCols, kk = g.KernelHeight * g.KernelWidth;
            int c0 = t0 * Rows / kk, c1 = (Math.Min(t1 * Rows, g.ColumnRows) - 1) / kk + 1;
            float* padded = _slots + worker * _slot;
            float* gradient = ChannelBlocks.Align(padded + (long)_step * _source.Size);
            new Span<float>(padded, _step * _source.Size).Clear();
            new Span<float>(gradient, _step * spatial * ChannelBlocks.MaxWidth).Clear();
            for (int b = b0; b < b1; b++)
            {
                var (first, _, width) = ChannelBlocks.Block(_filters, count, b);
                for (int t = t0 * Rows; t < t1 * Rows; t++) new Span<float>(_sums + (long)first * tapRows + (long)t * width, width).Clear();
                if (biases) new Span<float>(_biasSums + first, width).Clear();
            }
            for (int n0 = 0; n0 < _batch; n0 += _step)
            {
                int samples = Math.Min(_step, _batch - n0), steps = samples * spatial;
                float* source = _x + (long)n0 * g.InputSize;
                if (_source.IsCopy)
                {
                    for (int s = 0; s < samples; s++)
                        _source.CopyIn<TWidth, TVector>(source + (long)s * g.InputSize, padded + (long)s * _source.Size, c0, c1 - c0);
                    source = padded;
                }
                for (int b = b0; b < b1; b++)
                {
                    var (first, n, width) = ChannelBlocks.Block(_filters, count, b);
                    // gradient [samples·OH·OW, width]: the block's filters of each position side by side
                    for (int s = 0; s < samples; s++)
                        GemmPacking.TransposeRows<TWidth, TVector>(_dy + ((long)(n0 + s) * _filters + first) * spatial, spatial, n, spatial,
                            gradient + (long)s * spatial * width, width);
                    bool two = width > count;
                    if (biases) BiasSums<TWidth, TVector>(gradient, steps, _biasSums + first, two);
                    float* sums = _sums + (long)first * tapRows;
                    int* taps = TapTable + t0 * Rows, rows = RowTable + t0 * Rows;
                    if (two) ConvTile.Run<TWidth, TVector, Two>(t1 - t0, steps, PositionTable, source, taps, gradient, sums, rows, TileEpilogue.None, accumulate: true);
                    else if (TWidth.Count == ConvRowTile.Lanes && _rowTiles) RowTiles<TWidth, TVector>(t0, t1, samples, source, gradient, sums);
                    else ConvTile.Run<TWidth, TVector, One>(t1 - t0, steps, PositionTable, source, taps, gradient, sums, rows, TileEpilogue.None, accumulate: true);
                }
            }
        }

        /// <summary>Tiles [t0, t1) (six taps = two kernel rows each) of a 16-filter block on <see cref="ConvRowTile"/>s, two tiles per
        /// call while a pair remains; a kernel row past the last (C·KH odd) reads the last real row and sums into the spare tap rows.</summary>
        private readonly void RowTiles<TWidth, TVector>(int t0, int t1, int samples, float* source, float* gradient, float* sums)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int* bases = stackalloc int[4];
            int lastRow = _g.ColumnRows - ConvRowTile.KernelWidth, outputRows = samples * _g.OutputHeight;
            for (int t = t0; t < t1; t += 2)
            {
                bool pair = t + 1 < t1;
                for (int k = 0; k < (pair ? 4 : 2); k++) bases[k] = TapTable[Math.Min(ConvRowTile.KernelWidth * (2 * t + k), lastRow)];
                float* tile = sums + (long)t * Rows * ConvRowTile.Lanes;
                if (pair) ConvRowTile.RunWeights<TWidth, TVector, Two>(outputRows, _g.OutputWidth, PositionTable, source, bases, gradient, tile);
                else ConvRowTile.RunWeights<TWidth, TVector, One>(outputRows, _g.OutputWidth, PositionTable, source, bases, gradient, tile);
            }
        }

        /// <summary>sums[l] = sums[l] + gradient[s, l] for s in order (one addition chain per filter).</summary>
        private static void BiasSums<TWidth, TVector>(float* gradient, int steps, float* sums, bool two)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int w = TWidth.Count, width = two ? 2 * w : w;
            TVector s0 = TWidth.Load(ref sums[0]), s1 = two ? TWidth.Load(ref sums[w]) : TWidth.Zero;
            for (int s = 0; s < steps; s++, gradient += width)
            {
                s0 = TWidth.Add(s0, TWidth.Load(ref gradient[0]));
                if (two) s1 = TWidth.Add(s1, TWidth.Load(ref gradient[w]));
            }
            TWidth.Store(s0, ref sums[0]);
            if (two) TWidth.Store(s1, ref sums[w]);
        }
    }

    /// <summary>Part (i, j): the i-th range of filter blocks × the j-th range of tap groups; the tap ranges of i = 0 … also sum the biases.</summary>
    private ref struct Parts<TWidth, TVector>(Job job, int blocks, int groups, int filterParts, int tapParts) : IParallelBody
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        public readonly void Execute(int part, int worker)
        {
            int i = part / tapParts, j = part % tapParts;
            job.RunPart<TWidth, TVector>(blocks * i / filterParts, blocks * (i + 1) / filterParts, groups * j / tapParts, groups * (j + 1) / tapParts,
                biases: j == 0 && job.HasBias, worker);
        }
    }
}
