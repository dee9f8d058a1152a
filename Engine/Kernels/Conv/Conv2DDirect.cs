using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// Direct convolution for layers with few input channels and stride 1 (the report's first layers: 1×28×28
/// with 3×3 kernels, 3×32×32 with 4×4, LeNet's 1×28×28 with 5×5 and padding 2), where im2col + GEMM spends
/// most of its time copying. Vectorised over output columns, four filters at a time sharing each input load.
/// </summary>
/// <remarks>
/// Each output is <c>acc = 0; acc = fma(w[f,c,i,j], x[c,oh+i,ow+j], acc)</c> over (c, i, j) in increasing
/// order, then <c>acc + bias[f]</c> — the same operations in the same order as the packed GEMM path for a
/// reduction of one K block, so both give the same bits on every tier (<see cref="Supports"/> keeps the
/// reduction within one block).
/// </remarks>
internal static class Conv2DDirect
{
    /// <summary>The largest C·KH·KW handled, so that the packed GEMM would also sum it in one K block.</summary>
    public const int MaxReduction = 256;

    private const int FilterBlock = 4;

    /// <summary>Whether the direct kernel handles geometry <paramref name="g"/> (stride 1, small reduction).</summary>
    public static bool Supports(in ConvGeometry g) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.ColumnRows <= MaxReduction;

    /// <summary>
    /// Floats of scratch <see cref="Forward"/> needs: one zero-padded sample plus slack for the over-reads of a
    /// vector's tail (16) and, in the weight gradient, of a window row (KW).
    /// </summary>
    public static int ScratchSize(in ConvGeometry g) =>
        g.Channels * (g.Height + g.PadTop + g.PadBottom) * (g.Width + g.PadLeft + g.PadRight) + Slack(g);

    private static int Slack(in ConvGeometry g) => 16 + g.KernelWidth;

    /// <summary>y = conv(x, w) + bias for <paramref name="batch"/> samples.</summary>
    /// <param name="g">The geometry; must satisfy <see cref="Supports"/>.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="x">Input, [N, C, H, W].</param>
    /// <param name="weights">Kernels, [F, C, KH, KW].</param>
    /// <param name="bias">Per-filter bias, [F].</param>
    /// <param name="y">Output, [N, F, OH, OW] (overwritten).</param>
    /// <param name="padded">Scratch of at least <see cref="ScratchSize"/> floats; k times that lets k threads work on the batch.</param>
    public static unsafe void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> padded)
    {
        if (!Supports(g)) throw new ArgumentException($"Direct convolution needs stride 1 and C·KH·KW ≤ {MaxReduction}.", nameof(g));
        int outSize = g.OutputHeight * g.OutputWidth;
        if (x.Length < batch * g.InputSize) throw new ArgumentException($"x needs {batch}×{g.InputSize} values.", nameof(x));
        if (weights.Length < filters * g.ColumnRows) throw new ArgumentException($"weights needs {filters}×{g.ColumnRows} values.", nameof(weights));
        if (bias.Length < filters) throw new ArgumentException($"bias needs {filters} values.", nameof(bias));
        if (y.Length < batch * filters * outSize) throw new ArgumentException($"y needs {batch}×{filters}×{outSize} values.", nameof(y));
        if (padded.Length < ScratchSize(g)) throw new ArgumentException($"padded needs {ScratchSize(g)} values.", nameof(padded));
        var tier = Cpu.Tier;
        int threads = Math.Min(Cpu.ThreadCount, padded.Length / ScratchSize(g));
        long flops = 2L * batch * filters * outSize * g.ColumnRows;
        if (threads < 2 || batch < 2 || flops < ParallelThreshold)
        {
            ForwardSamples(tier, g, batch, filters, x, weights, bias, y, padded);
            return;
        }
        // Samples are independent: split the batch, one padded scratch per part (no shared reduction).
        fixed (float* px = x, pw = weights, pb = bias, py = y, pp = padded)
        {
            var job = _forwardJob ??= new ForwardJob();
            job.Set(tier, g, batch, filters, px, pw, pb, py, pp, parts: Math.Min(batch, threads));
            WorkerPool.Shared.Run(job, job.Parts, threads);
        }
    }

    /// <summary>Products below this many flops stay on one thread (waking a worker costs a few microseconds).</summary>
    private const long ParallelThreshold = 1_000_000;

    [ThreadStatic] private static ForwardJob? _forwardJob;

    private sealed unsafe class ForwardJob : ParallelJob
    {
        private ComputeTier _tier;
        private ConvGeometry _g;
        private int _batch, _filters;
        private float* _x, _w, _b, _y, _padded;

        public int Parts { get; private set; }

        public void Set(ComputeTier tier, in ConvGeometry g, int batch, int filters, float* x, float* w, float* b, float* y, float* padded, int parts)
        {
            _tier = tier; _g = g; _batch = batch; _filters = filters; Parts = parts;
            _x = x; _w = w; _b = b; _y = y; _padded = padded;
        }

        public override void Execute(int part)
        {
            int start = (int)((long)_batch * part / Parts), end = (int)((long)_batch * (part + 1) / Parts);
            int inSize = _g.InputSize, outSize = _filters * _g.OutputHeight * _g.OutputWidth, scratch = ScratchSize(_g);
            ForwardSamples(_tier, _g, end - start, _filters,
                new ReadOnlySpan<float>(_x + (long)start * inSize, (end - start) * inSize),
                new ReadOnlySpan<float>(_w, _filters * _g.ColumnRows), new ReadOnlySpan<float>(_b, _filters),
                new Span<float>(_y + (long)start * outSize, (end - start) * outSize),
                new Span<float>(_padded + (long)part * scratch, scratch));
        }
    }

    private static void ForwardSamples(ComputeTier tier, in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, Span<float> padded)
    {
        switch (tier)
        {
            case ComputeTier.Avx512: Forward<Width512, Vector512<float>>(g, batch, filters, x, weights, bias, y, padded); break;
            case ComputeTier.Avx2: Forward<Width256, Vector256<float>>(g, batch, filters, x, weights, bias, y, padded); break;
            case ComputeTier.Vector128: Forward<Width128, Vector128<float>>(g, batch, filters, x, weights, bias, y, padded); break;
            default: Forward<Width1, float>(g, batch, filters, x, weights, bias, y, padded); break;
        }
    }

    private static void Forward<TWidth, TVector>(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, Span<float> padded)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int ph = g.Height + g.PadTop + g.PadBottom, pw = g.Width + g.PadLeft + g.PadRight;
        int oh = g.OutputHeight, ow = g.OutputWidth, kh = g.KernelHeight, kw = g.KernelWidth, k = g.ColumnRows;
        int outSize = oh * ow;
        ref float xp = ref MemoryMarshal.GetReference(padded);
        ref float w = ref MemoryMarshal.GetReference(weights);
        for (int n = 0; n < batch; n++)
        {
            Pad(g, x.Slice(n * g.InputSize, g.InputSize), padded, ph, pw);
            ref float yn = ref MemoryMarshal.GetReference(y.Slice(n * filters * outSize));
            for (int f0 = 0; f0 < filters; f0 += FilterBlock)
            {
                int count = Math.Min(FilterBlock, filters - f0);
                // Missing filters of the last block reuse the block's first row; their results are not stored.
                ref float w0 = ref Unsafe.Add(ref w, f0 * k);
                ref float w1 = ref Unsafe.Add(ref w, (count > 1 ? f0 + 1 : f0) * k);
                ref float w2 = ref Unsafe.Add(ref w, (count > 2 ? f0 + 2 : f0) * k);
                ref float w3 = ref Unsafe.Add(ref w, (count > 3 ? f0 + 3 : f0) * k);
                for (int r = 0; r < oh; r++)
                {
                    for (int col = 0; col < ow; col += TWidth.Count)
                    {
                        TVector a0 = TWidth.Zero, a1 = TWidth.Zero, a2 = TWidth.Zero, a3 = TWidth.Zero;
                        int tap = 0;
                        for (int c = 0; c < g.Channels; c++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                ref float row = ref Unsafe.Add(ref xp, (c * ph + r + i) * pw + col);
                                for (int j = 0; j < kw; j++, tap++)
                                {
                                    TVector v = TWidth.Load(ref Unsafe.Add(ref row, j));
                                    a0 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref w0, tap)), v, a0);
                                    a1 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref w1, tap)), v, a1);
                                    a2 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref w2, tap)), v, a2);
                                    a3 = TWidth.MultiplyAdd(TWidth.Broadcast(Unsafe.Add(ref w3, tap)), v, a3);
                                }
                            }
                        }
                        int lanes = Math.Min(TWidth.Count, ow - col);
                        int at = f0 * outSize + r * ow + col;
                        TWidth.StorePartial(TWidth.Add(a0, TWidth.Broadcast(bias[f0])), ref Unsafe.Add(ref yn, at), lanes);
                        if (count > 1) TWidth.StorePartial(TWidth.Add(a1, TWidth.Broadcast(bias[f0 + 1])), ref Unsafe.Add(ref yn, at + outSize), lanes);
                        if (count > 2) TWidth.StorePartial(TWidth.Add(a2, TWidth.Broadcast(bias[f0 + 2])), ref Unsafe.Add(ref yn, at + 2 * outSize), lanes);
                        if (count > 3) TWidth.StorePartial(TWidth.Add(a3, TWidth.Broadcast(bias[f0 + 3])), ref Unsafe.Add(ref yn, at + 3 * outSize), lanes);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether <see cref="BackwardWeights"/> handles geometry <paramref name="g"/> with <paramref name="filters"/> filters:
    /// few weights per filter (paper-mnist: 9), or few filters (paper-cifar, LeNet's first layer: 6), where
    /// the packed GEMM's 12×32 tiles would mostly hold padding.
    /// </summary>
    public static bool SupportsWeightGradient(in ConvGeometry g, int filters) =>
        g.ColumnRows <= 16 || (filters <= 8 && g.ColumnRows <= 64);

    /// <summary>
    /// Floats of scratch <see cref="BackwardWeights"/> needs: the partial sums plus, per thread, a padded copy of a sample and
    /// its dy with padded rows. Room for one thread suffices; room for more lets stride-1 layers split the weights over threads.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="threads">Threads to make room for (1 for the one-thread path).</param>
    public static int WeightGradientScratchSize(in ConvGeometry g, int filters, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int slots = g.StrideHeight == 1 && g.StrideWidth == 1 ? threads : 1;
        long size = filters * (g.ColumnRows + 1L) * Lanes16.Count + (long)slots * (GradientRowsSize(g, filters) + ScratchSize(g));
        if (size > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(threads), $"The weight-gradient scratch of {size} floats is too large.");
        return (int)size;
    }

    /// <summary>
    /// dW[f, k] += Σ over samples and output positions of dy[n, f, p]·x[n at window k of p] and db[f] += Σ dy[n, f, p],
    /// both as <see cref="FixedOrderReductions"/> (the same bits on every tier). For stride 1 the windows are read
    /// straight from a zero-padded copy of the sample: dy is laid out with the padded row width (zeros in the
    /// extra columns), so the input row of weight (c, i, j) is the padded image from offset (c·PH + i)·PW + j.
    /// Other strides unroll the windows with im2col first.
    /// </summary>
    /// <param name="g">The geometry.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="filters">Output channels F.</param>
    /// <param name="x">Input, [N, C, H, W].</param>
    /// <param name="dy">Output gradient, [N, F, OH, OW].</param>
    /// <param name="weightGradients">[F, C·KH·KW], accumulated.</param>
    /// <param name="biasGradients">[F], accumulated.</param>
    /// <param name="columns">Scratch for one sample's im2col matrix (strides other than 1), [C·KH·KW, OH·OW].</param>
    /// <param name="scratch">Scratch of <see cref="WeightGradientScratchSize"/> floats; room for k threads lets a stride-1
    /// layer split the weights (never a sum) over up to k threads.</param>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> columns, Span<float> scratch)
    {
        int rows = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        if (x.Length < batch * g.InputSize) throw new ArgumentException($"x needs {batch}×{g.InputSize} values.", nameof(x));
        if (dy.Length < batch * outSize) throw new ArgumentException($"dy needs {batch}×{outSize} values.", nameof(dy));
        if (weightGradients.Length < filters * rows) throw new ArgumentException($"weightGradients needs {filters}×{rows} values.", nameof(weightGradients));
        if (biasGradients.Length < filters) throw new ArgumentException($"biasGradients needs {filters} values.", nameof(biasGradients));
        if (scratch.Length < WeightGradientScratchSize(g, filters)) throw new ArgumentException($"scratch needs {WeightGradientScratchSize(g, filters)} values.", nameof(scratch));
        bool direct = g.StrideHeight == 1 && g.StrideWidth == 1;
        if (!direct && columns.Length < g.ColumnSize) throw new ArgumentException($"columns needs {g.ColumnSize} values.", nameof(columns));

        var tier = Cpu.Tier;
        int slot = GradientRowsSize(g, filters) + ScratchSize(g), partialSize = filters * (rows + 1) * Lanes16.Count;
        int threads = direct ? Math.Min(Cpu.ThreadCount, (scratch.Length - partialSize) / slot) : 1;
        if (threads > 1 && 2L * batch * filters * rows * GradientRowsSize(g, 1) >= ParallelThreshold)
        {
            BackwardWeightsInParallel(tier, g, batch, filters, x, dy, weightGradients, biasGradients, scratch, threads);
            return;
        }
        var weightPartial = scratch[..(filters * rows * Lanes16.Count)];
        var biasPartial = scratch.Slice(weightPartial.Length, filters * Lanes16.Count);
        var gradientRows = scratch.Slice(weightPartial.Length + biasPartial.Length, GradientRowsSize(g, filters));
        var padded = scratch.Slice(weightPartial.Length + biasPartial.Length + gradientRows.Length, ScratchSize(g));
        weightPartial.Clear();
        biasPartial.Clear();
        int ph = g.Height + g.PadTop + g.PadBottom, pw = g.Width + g.PadLeft + g.PadRight;
        Span<int> rowStarts = stackalloc int[rows];
        for (int c = 0, k = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, k++)
                    rowStarts[k] = direct ? (c * ph + i) * pw + j : k * spatial;
        if (direct) gradientRows.Clear();
        for (int n = 0; n < batch; n++)
        {
            var xn = x.Slice(n * g.InputSize, g.InputSize);
            var dyn = dy.Slice(n * outSize, outSize);
            if (direct)
            {
                Pad(g, xn, padded, ph, pw);
                for (int f = 0; f < filters; f++)
                    for (int r = 0; r < g.OutputHeight; r++)
                        dyn.Slice(f * spatial + r * g.OutputWidth, g.OutputWidth).CopyTo(gradientRows.Slice((f * g.OutputHeight + r) * pw));
                FixedOrderReductions.AccumulateDots(tier, filters, g.OutputHeight * pw, gradientRows, padded, rowStarts, weightPartial);
            }
            else
            {
                Im2Col.Forward(g, xn, columns);
                FixedOrderReductions.AccumulateDots(tier, filters, spatial, dyn, columns, rowStarts, weightPartial);
            }
            FixedOrderReductions.AccumulateRowSums(tier, filters, spatial, dyn, biasPartial);
        }
        FixedOrderReductions.AddTotals(weightPartial, weightGradients);
        FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

    [ThreadStatic] private static WeightGradientJob? _weightGradientJob;

    /// <summary>
    /// The stride-1 weight gradient on several threads, split by output: filter ranges (whole blocks of four) when there
    /// are enough filters, else ranges of weights k. Each part pads every sample in order into its own scratch, lays out
    /// its filters' dy with padded rows and accumulates its (f, k) partial sums exactly as the one-thread loop does — every
    /// (f, k, lane) sum sees the same elements in the same order — plus a share of its filters' bias sums.
    /// </summary>
    private static unsafe void BackwardWeightsInParallel(ComputeTier tier, in ConvGeometry g, int batch, int filters,
        ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> weightGradients, Span<float> biasGradients, Span<float> scratch, int threads)
    {
        int rows = g.ColumnRows, blocks = (filters + FilterBlock - 1) / FilterBlock;
        // Filter ranges read only their own filters' dy, but come only in whole blocks: use them when the blocks share out
        // within about one block of evenly (paper-mnist's 20 filters on 2 threads); else every part takes all filters
        // and a range of weights (paper-cifar's and LeNet's 6 filters: one part would otherwise get 4 of the 6).
        int filterParts = blocks >= 2 * threads - 1 ? threads : 1, rowParts = filterParts == 1 ? Math.Min(threads, rows) : 1;
        fixed (float* px = x, pdy = dy, pscratch = scratch)
        {
            var job = _weightGradientJob ??= new WeightGradientJob();
            job.Set(tier, g, batch, filters, px, pdy, pscratch, filterParts, rowParts);
            WorkerPool.Shared.Run(job, filterParts * rowParts, threads);
        }
        var biasPartial = scratch.Slice(filters * rows * Lanes16.Count, filters * Lanes16.Count);
        for (int a = 0; a < filterParts; a++)
        {
            var (f0, fc) = FilterRange(filters, a, filterParts);
            for (int b = 0; b < rowParts; b++)
            {
                var (k0, kc) = RowRange(rows, b, rowParts);
                var partial = scratch.Slice(PartialOffset(f0, fc, k0, rows), fc * kc * Lanes16.Count);
                for (int f = 0; f < fc; f++)
                    for (int k = 0; k < kc; k++)
                        weightGradients[(f0 + f) * rows + k0 + k] += Lanes16.Sum(partial.Slice((f * kc + k) * Lanes16.Count, Lanes16.Count));
            }
        }
        FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

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
    private static int PartialOffset(int f0, int fc, int k0, int rows) => (f0 * rows + fc * k0) * Lanes16.Count;

    /// <summary>One (filter range × weight range) part of <see cref="BackwardWeightsInParallel"/>.</summary>
    private sealed unsafe class WeightGradientJob : ParallelJob
    {
        private ComputeTier _tier;
        private ConvGeometry _g;
        private int _batch, _filters, _filterParts, _rowParts;
        private float* _x, _dy, _scratch;

        public void Set(ComputeTier tier, in ConvGeometry g, int batch, int filters, float* x, float* dy, float* scratch, int filterParts, int rowParts)
        {
            _tier = tier; _g = g; _batch = batch; _filters = filters; _x = x; _dy = dy; _scratch = scratch;
            _filterParts = filterParts; _rowParts = rowParts;
        }

        public override void Execute(int part)
        {
            int rows = _g.ColumnRows, spatial = _g.ColumnCols, outSize = _filters * spatial;
            int oh = _g.OutputHeight, ow = _g.OutputWidth;
            int ph = _g.Height + _g.PadTop + _g.PadBottom, pw = _g.Width + _g.PadLeft + _g.PadRight;
            var (f0, fc) = FilterRange(_filters, part / _rowParts, _filterParts);
            var (k0, kc) = RowRange(rows, part % _rowParts, _rowParts);
            // Bias sums: this part's filters, shared out among the parts of its filter range.
            int b0 = f0 + fc * (part % _rowParts) / _rowParts, bc = f0 + fc * (part % _rowParts + 1) / _rowParts - b0;
            int gradientSize = GradientRowsSize(_g, _filters), paddedSize = ScratchSize(_g);
            float* slot = _scratch + _filters * (rows + 1L) * Lanes16.Count + (long)part * (gradientSize + paddedSize);
            var gradientRows = new Span<float>(slot, fc * oh * pw);
            var padded = new Span<float>(slot + gradientSize, paddedSize);
            var weightPartial = new Span<float>(_scratch + PartialOffset(f0, fc, k0, rows), fc * kc * Lanes16.Count);
            var biasPartial = new Span<float>(_scratch + ((long)_filters * rows + b0) * Lanes16.Count, bc * Lanes16.Count);
            weightPartial.Clear();
            biasPartial.Clear();
            gradientRows.Clear();
            Span<int> rowStarts = stackalloc int[kc];
            for (int k = 0; k < kc; k++)
            {
                int c = (k0 + k) / (_g.KernelHeight * _g.KernelWidth), i = (k0 + k) / _g.KernelWidth % _g.KernelHeight, j = (k0 + k) % _g.KernelWidth;
                rowStarts[k] = (c * ph + i) * pw + j;
            }
            for (int n = 0; n < _batch; n++)
            {
                var dyn = new ReadOnlySpan<float>(_dy + (long)n * outSize, outSize);
                Pad(_g, new ReadOnlySpan<float>(_x + (long)n * _g.InputSize, _g.InputSize), padded, ph, pw);
                for (int f = 0; f < fc; f++)
                    for (int r = 0; r < oh; r++)
                        dyn.Slice((f0 + f) * spatial + r * ow, ow).CopyTo(gradientRows.Slice((f * oh + r) * pw));
                FixedOrderReductions.AccumulateDots(_tier, fc, oh * pw, gradientRows, padded, rowStarts, weightPartial);
                if (bc > 0) FixedOrderReductions.AccumulateRowSums(_tier, bc, spatial, dyn.Slice(b0 * spatial, bc * spatial), biasPartial);
            }
        }
    }

    /// <summary>dy of one sample with rows of the padded width PW (stride 1), [F, OH, PW]; the extra columns stay zero.</summary>
    private static int GradientRowsSize(in ConvGeometry g, int filters) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 ? filters * g.OutputHeight * (g.Width + g.PadLeft + g.PadRight) : 0;

    /// <summary>Copies one sample [C, H, W] into the zero-padded [C, PH, PW] scratch (slack after it zeroed too).</summary>
    private static void Pad(in ConvGeometry g, ReadOnlySpan<float> sample, Span<float> padded, int ph, int pw)
    {
        bool anyPadding = g.PadTop + g.PadBottom + g.PadLeft + g.PadRight > 0;
        if (anyPadding) padded[..(g.Channels * ph * pw)].Clear();
        padded.Slice(g.Channels * ph * pw, Slack(g)).Clear();
        for (int c = 0; c < g.Channels; c++)
            for (int r = 0; r < g.Height; r++)
                sample.Slice((c * g.Height + r) * g.Width, g.Width)
                      .CopyTo(padded.Slice((c * ph + r + g.PadTop) * pw + g.PadLeft, g.Width));
    }
}
