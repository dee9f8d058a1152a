namespace Engine.Kernels;

/// <summary>
/// The weight and bias gradients of small convolutions as <see cref="FixedOrderReductions"/>: few weights per filter
/// (paper-mnist: 9) or few filters (paper-cifar, LeNet's first layer: 6), where the packed GEMM's register tiles would
/// mostly hold padding. Every (filter, weight, lane) partial sum sees the same elements in the same order on every tier
/// and for every split, so the result is the same bits everywhere.
/// </summary>
/// <remarks>
/// Scratch layout (<see cref="ScratchSize"/>): the partial sums [F, K, 16] of the weights and [F, 16] of the biases
/// (split into disjoint tiles when threaded), then per worker a slot: for stride 1 the sample's dy laid out with padded
/// rows [F, OH, PW] and a zero-padded copy of the sample; for other strides one sample's im2col matrix [K, OH·OW].
/// </remarks>
internal static class Conv2DDirectWeights
{
    private const int L = Lanes16.Count;
    private const int FilterBlock = Conv2DDirect.FilterBlock;

    /// <summary>Whether <see cref="BackwardWeights"/> is the path for geometry <paramref name="g"/> with <paramref name="filters"/> filters.</summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        g.ColumnRows <= 16 || (filters <= 8 && g.ColumnRows <= 64);

    /// <summary>
    /// Floats of scratch <see cref="BackwardWeights"/> needs: the partial sums plus one slot per worker (stride 1; other strides
    /// run on one thread with one slot). Room for one worker suffices; room for more lets a stride-1 layer split over threads.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="threads">Workers to make room for.</param>
    public static long ScratchSize(in ConvGeometry g, int filters, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return PartialSize(g, filters) + (long)(IsStrideOne(g) ? threads : 1) * SlotSize(g, filters);
    }

    /// <summary>
    /// dW[f, k] += Σ over samples and output positions of dy[n, f, p]·x[n at window k of p] and db[f] += Σ dy[n, f, p].
    /// For stride 1 the windows are read straight from a zero-padded copy of the sample: dy is laid out with the padded row
    /// width (zeros in the extra columns), so the input row of weight (c, i, j) is the padded image from offset (c·PH + i)·PW + j.
    /// Other strides unroll the windows with im2col first.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="x">Input, [N, C, H, W].</param>
    /// <param name="dy">Output gradient, [N, F, OH, OW].</param>
    /// <param name="weightGradients">[F, C·KH·KW], accumulated.</param>
    /// <param name="biasGradients">[F], accumulated; empty for a layer without biases.</param>
    /// <param name="scratch">At least <see cref="ScratchSize"/>(g, F, 1) floats; room for k workers lets a stride-1 layer split
    /// the weights (never a sum) over up to k threads.</param>
    /// <param name="threads">Threads the work may be split over.</param>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> scratch, int threads)
    {
        int rows = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        if (x.Length < batch * g.InputSize) throw new ArgumentException($"x needs {batch}×{g.InputSize} values.", nameof(x));
        if (dy.Length < batch * outSize) throw new ArgumentException($"dy needs {batch}×{outSize} values.", nameof(dy));
        if (weightGradients.Length < filters * rows) throw new ArgumentException($"weightGradients needs {filters}×{rows} values.", nameof(weightGradients));
        if (!biasGradients.IsEmpty && biasGradients.Length < filters) throw new ArgumentException($"biasGradients needs {filters} values (or none).", nameof(biasGradients));
        if (scratch.Length < ScratchSize(g, filters)) throw new ArgumentException($"scratch needs {ScratchSize(g, filters)} values.", nameof(scratch));

        int partialSize = PartialSize(g, filters), slot = SlotSize(g, filters);
        int workers = IsStrideOne(g) ? Math.Min(threads, (scratch.Length - partialSize) / slot) : 1;
        int blocks = (filters + FilterBlock - 1) / FilterBlock;
        long work = 2L * batch * filters * rows * GradientRowsSize(g, 1);
        // One part per worker: every part pads all samples again and, split by weights, reads all of dy (two per worker
        // made paper-mnist ~10 % slower on 2 threads).
        int parts = ParallelFor.PartsFor(work, Math.Max(blocks, rows), workers, partsPerThread: 1);
        // Filter ranges read only their own filters' dy, but come only in whole blocks: use them when the blocks share out
        // within about one block of evenly (paper-mnist's 20 filters on 2 parts); else every part takes all filters and a
        // range of weights (paper-cifar's and LeNet's 6 filters: one part would otherwise get 4 of the 6).
        int filterParts = blocks >= 2 * parts - 1 ? parts : 1, rowParts = filterParts == 1 ? Math.Min(parts, rows) : 1;
        var body = new Parts(g, batch, filters, x, dy, scratch, filterParts, rowParts, !biasGradients.IsEmpty);
        ParallelFor.Run(ref body, filterParts * rowParts, workers);

        var biasPartial = scratch.Slice(filters * rows * L, filters * L);
        for (int a = 0; a < filterParts; a++)
        {
            var (f0, fc) = FilterRange(filters, a, filterParts);
            for (int b = 0; b < rowParts; b++)
            {
                var (k0, kc) = RowRange(rows, b, rowParts);
                var partial = scratch.Slice(PartialOffset(f0, fc, k0, rows), fc * kc * L);
                for (int f = 0; f < fc; f++)
                    for (int k = 0; k < kc; k++)
                        weightGradients[(f0 + f) * rows + k0 + k] += Lanes16.Sum(partial.Slice((f * kc + k) * L, L));
            }
        }
        if (!biasGradients.IsEmpty) FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

    /// <summary>
    /// One (filter range × weight range) part: pads every sample in order into the worker's slot (stride 1) or unrolls it
    /// (other strides), and accumulates the part's (f, k) partial sums exactly as one thread would, plus a share of its
    /// filters' bias sums.
    /// </summary>
    private readonly ref struct Parts(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> scratch, int filterParts, int rowParts, bool biases) : IParallelBody
    {
        private readonly ConvGeometry _g = g;
        private readonly ReadOnlySpan<float> _x = x, _dy = dy;
        private readonly Span<float> _scratch = scratch;

        public void Execute(int part, int worker)
        {
            var g = _g;
            int rows = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
            int oh = g.OutputHeight, ow = g.OutputWidth;
            int ph = g.Height + g.PadTop + g.PadBottom, pw = g.Width + g.PadLeft + g.PadRight;
            bool direct = IsStrideOne(g);
            var (f0, fc) = FilterRange(filters, part / rowParts, filterParts);
            var (k0, kc) = RowRange(rows, part % rowParts, rowParts);
            // Bias sums: this part's filters, shared out among the parts of its filter range.
            int b0 = f0 + fc * (part % rowParts) / rowParts, bc = f0 + fc * (part % rowParts + 1) / rowParts - b0;
            int slotSize = SlotSize(g, filters);
            var slot = _scratch.Slice(PartialSize(g, filters) + worker * slotSize, slotSize);
            var weightPartial = _scratch.Slice(PartialOffset(f0, fc, k0, rows), fc * kc * L);
            var biasPartial = _scratch.Slice((filters * rows + b0) * L, bc * L);
            weightPartial.Clear();
            biasPartial.Clear();
            Span<int> rowStarts = stackalloc int[kc];
            for (int k = 0; k < kc; k++)
            {
                int c = (k0 + k) / (g.KernelHeight * g.KernelWidth), i = (k0 + k) / g.KernelWidth % g.KernelHeight, j = (k0 + k) % g.KernelWidth;
                rowStarts[k] = direct ? (c * ph + i) * pw + j : (k0 + k) * spatial;
            }
            var gradientRows = direct ? slot[..(fc * oh * pw)] : default;
            var padded = direct ? slot.Slice(GradientRowsSize(g, filters), Conv2DDirect.ScratchSize(g)) : default;
            gradientRows.Clear();
            for (int n = 0; n < batch; n++)
            {
                var dyn = _dy.Slice(n * outSize, outSize);
                var xn = _x.Slice(n * g.InputSize, g.InputSize);
                if (direct)
                {
                    Conv2DDirect.Pad(g, xn, padded, ph, pw);
                    for (int f = 0; f < fc; f++)
                        for (int r = 0; r < oh; r++)
                            dyn.Slice((f0 + f) * spatial + r * ow, ow).CopyTo(gradientRows.Slice((f * oh + r) * pw));
                    FixedOrderReductions.AccumulateDots(fc, oh * pw, gradientRows, padded, rowStarts, weightPartial);
                }
                else
                {
                    Im2Col.Forward(g, xn, slot);
                    FixedOrderReductions.AccumulateDots(fc, spatial, dyn.Slice(f0 * spatial, fc * spatial), slot, rowStarts, weightPartial);
                }
                if (biases && bc > 0) FixedOrderReductions.AccumulateRowSums(bc, spatial, dyn.Slice(b0 * spatial, bc * spatial), biasPartial);
            }
        }
    }

    private static bool IsStrideOne(in ConvGeometry g) => g.StrideHeight == 1 && g.StrideWidth == 1;

    /// <summary>The partial sums [F, K + 1, 16]: weights [F, K, 16], then biases [F, 16].</summary>
    private static int PartialSize(in ConvGeometry g, int filters) => filters * (g.ColumnRows + 1) * L;

    /// <summary>One worker's slot: padded-row dy [F, OH, PW] and a padded sample (stride 1), or one im2col matrix.</summary>
    private static int SlotSize(in ConvGeometry g, int filters) =>
        IsStrideOne(g) ? GradientRowsSize(g, filters) + Conv2DDirect.ScratchSize(g) : g.ColumnSize;

    /// <summary>dy of one sample with rows of the padded width PW (stride 1), [F, OH, PW]; the extra columns stay zero.</summary>
    private static int GradientRowsSize(in ConvGeometry g, int filters) =>
        IsStrideOne(g) ? filters * g.OutputHeight * (g.Width + g.PadLeft + g.PadRight) : 0;

    /// <summary>Filters [start, start + count) of filter part <paramref name="part"/>: whole blocks of four, as evenly as they go.</summary>
    private static (int Start, int Count) FilterRange(int filters, int part, int parts)
    {
        int blocks = (filters + FilterBlock - 1) / FilterBlock;
        int start = Math.Min(filters, blocks * part / parts * FilterBlock), end = Math.Min(filters, blocks * (part + 1) / parts * FilterBlock);
        return (start, end - start);
    }

    private static (int Start, int Count) RowRange(int rows, int part, int parts) =>
        (rows * part / parts, rows * (part + 1) / parts - rows * part / parts);

    /// <summary>Where the partial sums [fc, kc, 16] of filters f0.. and weights k0.. start: the parts tile [F, K, 16].</summary>
    private static int PartialOffset(int f0, int fc, int k0, int rows) => (f0 * rows + fc * k0) * L;
}
