using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in every deep-learning framework) over NCHW batches,
/// computed per sample as one GEMM over the unrolled windows:
/// <c>y[n] = W·im2col(x[n]) + b</c>, with <c>W</c> viewed as a <c>[F, C·KH·KW]</c> matrix
/// (i.e. stored <c>[F, C, KH, KW]</c>); the forward pass packs im2col straight into the GEMM's panels.
/// </summary>
/// <remarks>
/// The <c>columns</c> scratch of the weight gradient holds one sample's <c>[C·KH·KW, OH·OW]</c> matrix
/// (<see cref="ConvGeometry.ColumnSize"/> elements); backward-data needs <see cref="ScratchSize"/>; contents on entry do
/// not matter. Forward runs samples on up to <see cref="Cpu.ThreadCount"/> threads, backward-data of layers too large to
/// group on up to min(<see cref="Cpu.ThreadCount"/>, column matrices in its scratch); each sample's result is computed by the same operations
/// whichever thread runs it. The weight gradient sums the samples in order on the calling thread, and grouped backward-data
/// runs its groups in order (only their GEMMs are threaded, never over the depth), so every result is the same for every
/// thread count.
/// </remarks>
internal static class Conv2DKernels
{
    /// <summary>y = W ⊛ x + b for <paramref name="batch"/> samples (y overwritten; an empty bias adds nothing).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, int threads)
    {
        // x: [N, C, H, W]   weights: [F, C*KH*KW]   bias: [F]   y: [N, F, OH, OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        if (!bias.IsEmpty) CheckLength(bias.Length, filters, "bias", "[F]");
        CheckLength(y.Length, (long)batch * outSize, "y", "[N, F, OH, OW]");
        RunSamples(g, batch, filters, x, weights, bias, y, Span<float>.Empty, threads, backwardData: false);
    }

    /// <summary>Floats of column matrices per group of <see cref="BackwardData"/>: a group holds max(1, ⌊budget / ColumnSize⌋) samples.</summary>
    public const int DefaultColumnBudget = 1 << 17;

    /// <summary>
    /// Samples per group of <see cref="BackwardData"/>: max(1, ⌊<paramref name="columnBudget"/> / ColumnSize⌋), a function
    /// of the layer shape only (never of the thread count or scratch size). Each element of dx is computed by the same
    /// operations whatever the grouping, so this affects speed only.
    /// </summary>
    public static int GroupSize(in ConvGeometry g, int columnBudget = DefaultColumnBudget) =>
        Math.Max(1, columnBudget / Math.Max(1, g.ColumnSize));

    /// <summary>
    /// Floats of <c>columns</c> scratch <see cref="BackwardData"/> needs for batches of
    /// up to <paramref name="maxBatch"/>: one group's <c>[C·KH·KW, G·OH·OW]</c> column matrix and its <c>[F, G·OH·OW]</c>
    /// output gradient, G = min(<see cref="GroupSize"/>, maxBatch).
    /// </summary>
    public static long ScratchSize(in ConvGeometry g, int filters, int maxBatch, int columnBudget = DefaultColumnBudget) =>
        (long)Math.Min(GroupSize(g, columnBudget), Math.Max(1, maxBatch)) * g.ColumnCols * (g.ColumnRows + filters);

    /// <summary>Floats of scratch <see cref="BackwardWeights"/> needs on up to <paramref name="threads"/> threads: the bias partial
    /// sums [F, 16] and one sample's column matrix per worker.</summary>
    public static long WeightGradientScratchSize(in ConvGeometry g, int filters, int threads = 1) =>
        (long)filters * Lanes16.Count + (long)WeightGradientWorkers(filters, threads) * g.ColumnSize;

    /// <summary>Workers of <see cref="BackwardWeights"/>: one per block of the GEMM's register-tile rows of filters, up to the threads.</summary>
    private static int WeightGradientWorkers(int filters, int threads)
    {
        int mr = GemmBlocking.For(Cpu.Tier).MR;
        return Math.Max(1, Math.Min(threads, (filters + mr - 1) / mr));
    }

    /// <summary>
    /// Floats of scratch <see cref="BackwardData"/> needs for batches of up to <paramref name="maxBatch"/> on up to
    /// <paramref name="threads"/> threads: one group's matrices (<see cref="ScratchSize"/>), and for layers too large to group
    /// at least one column matrix per thread.
    /// </summary>
    public static long DataGradientScratchSize(in ConvGeometry g, int filters, int maxBatch, int threads) =>
        Math.Max(ScratchSize(g, filters, maxBatch), GroupSize(g) > 1 ? 0 : (long)g.ColumnSize * Math.Clamp(Math.Min(threads, maxBatch), 1, int.MaxValue));

    /// <summary>dW += Σₙ dy[n]·im2col(x[n])ᵀ and db += Σₙ Σ dy[n, f, ·, ·] (both accumulated).</summary>
    /// <remarks>
    /// One GEMM per sample, samples in order. Grouping samples side by side (one GEMM of depth G·OH·OW) measured no faster
    /// here: for small layers the time goes to im2col, not to the GEMM calls. On several threads each worker takes a block
    /// of filters (whole register-tile rows of the GEMM) for every sample, with its own im2col: one hand-out per call instead
    /// of one per sample's small GEMM (a 3-channel first layer's 32×27×1024 product is a few microseconds). Each row of the
    /// product is computed by the same operations whatever the rows beside it, so the bits do not depend on the split.
    /// </remarks>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> scratch, int threads)
    {
        // x: [N, C, H, W]   dy: [N, F, OH, OW]   weightGradients: [F, C*KH*KW] (+=)   biasGradients: [F] (+=)
        // scratch: biasPartial [F, 16] | columns [C*KH*KW, OH*OW] per worker
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(weightGradients.Length, (long)filters * ckk, "weightGradients", "[F, C, KH, KW]");
        if (!biasGradients.IsEmpty) CheckLength(biasGradients.Length, filters, "biasGradients", "[F]");
        CheckLength(scratch.Length, WeightGradientScratchSize(g, filters), "scratch", "[F*16 + C*KH*KW*OH*OW]");
        var biasPartial = scratch[..(filters * Lanes16.Count)];
        biasPartial.Clear();
        int mr = GemmBlocking.For(Cpu.Tier).MR, tiles = (filters + mr - 1) / mr;
        int workers = (int)Math.Min(WeightGradientWorkers(filters, threads), (scratch.Length - biasPartial.Length) / g.ColumnSize);
        int parts = ParallelFor.PartsFor(2L * batch * outSize * ckk, tiles, workers, partsPerThread: 1);
        var body = new FilterBlocks(g, batch, filters, x, dy, weightGradients, biasGradients.IsEmpty ? default : biasPartial,
            scratch[biasPartial.Length..], tiles, parts, parts == 1 ? threads : 1, mr);
        ParallelFor.Run(ref body, parts, workers);
        if (!biasGradients.IsEmpty) FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

    /// <summary>Part p of <see cref="BackwardWeights"/>: filters of register-tile rows [tiles·p/parts, tiles·(p + 1)/parts), every
    /// sample in order, im2col into the running worker's column matrix; its GEMMs run on <paramref name="gemmThreads"/>.</summary>
    private readonly ref struct FilterBlocks(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasPartial, Span<float> columns, int tiles, int parts, int gemmThreads, int mr) : IParallelBody
    {
        private readonly ConvGeometry _g = g;
        private readonly ReadOnlySpan<float> _x = x, _dy = dy;
        private readonly Span<float> _weightGradients = weightGradients, _biasPartial = biasPartial, _columns = columns;

        public void Execute(int part, int worker)
        {
            ref readonly ConvGeometry g = ref _g;
            int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
            int f0 = Math.Min(filters, tiles * part / parts * mr), f1 = Math.Min(filters, tiles * (part + 1) / parts * mr), rows = f1 - f0;
            if (rows <= 0) return;
            var columns = _columns.Slice(worker * g.ColumnSize, g.ColumnSize);
            var weights = _weightGradients.Slice(f0 * ckk, rows * ckk);
            for (int n = 0; n < batch; n++)
            {
                Im2Col.Forward(g, _x.Slice(n * g.InputSize, g.InputSize), columns, spatial);
                ReadOnlySpan<float> dyn = _dy.Slice(n * outSize + f0 * spatial, rows * spatial);
                // dW[f0..f1) [rows, CKK] += dy[n, f0..f1) [rows, OH*OW] · columnsᵀ [OH*OW, CKK]
                Gemm.Multiply(false, true, rows, ckk, spatial, dyn, spatial, columns, spatial, 1f, weights, ckk, gemmThreads);
                if (!_biasPartial.IsEmpty)
                    FixedOrderReductions.AccumulateRowSums(rows, spatial, dyn, _biasPartial.Slice(f0 * Lanes16.Count, rows * Lanes16.Count));
            }
        }
    }

    /// <summary>dx[n] = col2im(Wᵀ·dy[n]) for every sample (dx overwritten).</summary>
    /// <remarks>
    /// Samples go in groups of G = <see cref="GroupSize"/> side by side: dcols_g [C·KH·KW, G·OH·OW] = Wᵀ·dY_g (dY_g the
    /// group's gradient laid out [F, G·OH·OW], sample s in columns s·OH·OW…), one GEMM threaded over its columns, then
    /// col2im per sample. The wide GEMM beats one small GEMM per sample (LeNet's second layer: 16×150×100) on one thread
    /// and the sample-threaded loop on two. Layers too large to group (G = 1) run samples on up to
    /// min(<see cref="Cpu.ThreadCount"/>, scratch / ColumnSize) threads instead, which measured faster on two threads.
    /// </remarks>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardData(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> columns, int threads, int columnBudget = DefaultColumnBudget)
    {
        // weights: [F, C*KH*KW]   dy: [N, F, OH, OW]   dx: [N, C, H, W] (overwritten)   columns: [C*KH*KW + F, G*OH*OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(dx.Length, (long)batch * g.InputSize, "dx", "[N, C, H, W]");
        CheckLength(columns.Length, ScratchSize(g, filters, batch, columnBudget), "columns", "[C*KH*KW + F, G*OH*OW]");
        int group = GroupSize(g, columnBudget);
        if (group == 1)
        {
            // One sample per group: threads take whole samples, as many as the scratch holds column matrices.
            RunSamples(g, batch, filters, dy, weights, default, dx, columns, threads, backwardData: true);
            return;
        }
        for (int n0 = 0; n0 < batch; n0 += group)
        {
            int samples = Math.Min(group, batch - n0), width = samples * spatial;
            Span<float> cols = columns[..(ckk * width)];
            ReadOnlySpan<float> dyGroup = GroupGradient(dy, n0, samples, filters, spatial, columns.Slice(ckk * width, filters * width));
            // cols_g [CKK, G*OH*OW] = Wᵀ [CKK, F] · dY_g [F, G*OH*OW]
            Gemm.Multiply(true, false, ckk, width, filters, weights, ckk, dyGroup, width, 0f, cols, width, threads);
            for (int s = 0; s < samples; s++)
                Im2Col.Backward(g, cols[(s * spatial)..], width, dx.Slice((n0 + s) * g.InputSize, g.InputSize));
        }
    }

    /// <summary>
    /// dY_g [F, samples·OH·OW] of samples n0… of dy [N, F, OH·OW] (sample s in columns s·OH·OW…): a copy in
    /// <paramref name="scratch"/>, or dy itself for a single sample.
    /// </summary>
    private static ReadOnlySpan<float> GroupGradient(ReadOnlySpan<float> dy, int n0, int samples, int filters, int spatial, Span<float> scratch)
    {
        int outSize = filters * spatial, width = samples * spatial;
        if (samples == 1) return dy.Slice(n0 * outSize, outSize);
        for (int s = 0; s < samples; s++)
        {
            ReadOnlySpan<float> dyn = dy.Slice((n0 + s) * outSize, outSize);
            for (int f = 0; f < filters; f++) dyn.Slice(f * spatial, spatial).CopyTo(scratch.Slice(f * width + s * spatial, spatial));
        }
        return scratch;
    }

    /// <summary>
    /// Forward (input x, output y) or backward-data (input dy, output dx) for every sample. Samples are independent,
    /// so with several threads and column scratch for several of them, threads take contiguous ranges of samples,
    /// each with its own slice of <paramref name="columns"/>; every sample is computed by the same operations as on one thread.
    /// </summary>
    private static void RunSamples(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> columns, int threads, bool backwardData)
    {
        if (batch == 0) return;
        // Backward-data needs one column matrix per worker; the forward pass packs im2col inside the GEMM and needs none.
        int workers = backwardData ? Math.Min(threads, columns.Length / g.ColumnSize) : threads;
        var body = new Samples(g, batch, filters, input, weights, bias, output, columns, workers, backwardData);
        body.Parts = ParallelFor.PartsFor(2L * batch * filters * g.ColumnSize, batch, workers);
        ParallelFor.Run(ref body, body.Parts, workers);
    }

    /// <summary>A contiguous range of samples of <see cref="RunSamples"/>, with the running worker's column matrix.</summary>
    private ref struct Samples(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> columns, int threads, bool backwardData) : IParallelBody
    {
        private readonly ConvGeometry _g = g;
        private readonly ReadOnlySpan<float> _input = input, _weights = weights, _bias = bias;
        private readonly Span<float> _output = output, _columns = columns;

        public int Parts { get; set; } = 1;

        public readonly void Execute(int part, int worker)
        {
            int first = (int)((long)part * batch / Parts), last = (int)((long)(part + 1) * batch / Parts);
            var columns = backwardData ? _columns.Slice(worker * _g.ColumnSize, _g.ColumnSize) : Span<float>.Empty;
            for (int n = first; n < last; n++) RunSample(_g, n, filters, _input, _weights, _bias, _output, columns, threads, backwardData);
        }
    }

    /// <summary>One sample: y[n] = W·im2col(x[n]) + b, or dx[n] = col2im(Wᵀ·dy[n]).</summary>
    private static void RunSample(in ConvGeometry g, int n, int filters, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> columns, int threads, bool backwardData)
    {
        // A sample's GEMM may use the threads itself when it runs alone (one part); inside a part of several it runs inline.
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        if (backwardData)
        {
            // columns [CKK, OH*OW] = Wᵀ [CKK, F] · dy[n] [F, OH*OW]
            Gemm.Multiply(true, false, ckk, spatial, filters, weights, ckk, input.Slice(n * outSize, outSize), spatial, 0f, columns, spatial, threads);
            Im2Col.Backward(g, columns, spatial, output.Slice(n * g.InputSize, g.InputSize));
            return;
        }
        Span<float> yn = output.Slice(n * outSize, outSize);
        // y[n] [F, OH*OW] = W [F, CKK] · im2col(x[n]) [CKK, OH*OW], the column matrix packed straight from x[n]
        Gemm.MultiplyIm2Col(filters, weights, ckk, g, input.Slice(n * g.InputSize, g.InputSize), yn, spatial, threads);
        if (!bias.IsEmpty)
            for (int f = 0; f < filters; f++) AddScalar(yn.Slice(f * spatial, spatial), bias[f]);
    }

    /// <summary>values[k] += b (element-wise, so every vector width gives the same bits).</summary>
    private static void AddScalar(Span<float> values, float b)
    {
        var kernel = new AddScalarKernel(values, b);
        TierDispatch.Run(ref kernel);
    }

    private readonly ref struct AddScalarKernel(Span<float> values, float b) : IWidthKernel
    {
        private readonly Span<float> _values = values;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int k = 0, n = _values.Length;
            ref float v = ref MemoryMarshal.GetReference(_values);
            var bv = TWidth.Broadcast(b);
            for (; k + TWidth.Count <= n; k += TWidth.Count)
                TWidth.Store(TWidth.Add(TWidth.Load(ref Unsafe.Add(ref v, k)), bv), ref Unsafe.Add(ref v, k));
            for (; k < n; k++) Unsafe.Add(ref v, k) += b;
        }
    }

    private static void CheckBatch(int batch, int filters)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Conv2D: the batch size cannot be negative.");
        if (filters < 1) throw new ArgumentOutOfRangeException(nameof(filters), filters, "Conv2D: there must be at least one filter.");
    }

    private static void CheckLength(int length, long needed, string name, string shape)
    {
        if (length < needed)
            throw new ArgumentException($"Conv2D: {name} {shape} needs {needed} elements, but the span has {length}.", name);
    }
}
