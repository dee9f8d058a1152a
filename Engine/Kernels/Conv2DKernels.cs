using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in every deep-learning framework) over NCHW batches,
/// computed per sample as im2col followed by one GEMM:
/// <c>y[n] = W·im2col(x[n]) + b</c>, with <c>W</c> viewed as a <c>[F, C·KH·KW]</c> matrix
/// (i.e. stored <c>[F, C, KH, KW]</c>).
/// </summary>
/// <remarks>
/// The <c>columns</c> scratch holds one or more samples' <c>[C·KH·KW, OH·OW]</c> matrices (<see cref="ConvGeometry.ColumnSize"/>
/// elements each); its contents on entry do not matter. Forward and backward-data run samples on up to
/// min(<see cref="Cpu.ThreadCount"/>, scratch matrices) threads; each sample's result is computed by the same operations
/// whichever thread runs it. The weight gradient sums the samples in order on the calling thread (only its GEMM is threaded,
/// never over the depth), so every result is the same for every thread count.
/// </remarks>
internal static class Conv2DKernels
{
    /// <summary>y = W ⊛ x + b for <paramref name="batch"/> samples (y overwritten).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> columns)
    {
        // x: [N, C, H, W]   weights: [F, C*KH*KW]   bias: [F]   y: [N, F, OH, OW]   columns: [C*KH*KW, OH*OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        CheckLength(bias.Length, filters, "bias", "[F]");
        CheckLength(y.Length, (long)batch * outSize, "y", "[N, F, OH, OW]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        RunSamples(g, batch, filters, x, weights, bias, y, columns, backwardData: false);
    }

    /// <summary>dW += Σₙ dy[n]·im2col(x[n])ᵀ and db += Σₙ Σ dy[n, f, ·, ·] (both accumulated).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> columns, Span<float> biasPartial)
    {
        // x: [N, C, H, W]   dy: [N, F, OH, OW]   weightGradients: [F, C*KH*KW] (+=)   biasGradients: [F] (+=)
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(weightGradients.Length, (long)filters * ckk, "weightGradients", "[F, C, KH, KW]");
        CheckLength(biasGradients.Length, filters, "biasGradients", "[F]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        CheckLength(biasPartial.Length, filters * Lanes16.Count, "biasPartial", "[F, 16]");
        var tier = Cpu.Tier;
        biasPartial = biasPartial[..(filters * Lanes16.Count)];
        biasPartial.Clear();
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Forward(g, x.Slice(n * g.InputSize, g.InputSize), columns);
            ReadOnlySpan<float> dyn = dy.Slice(n * outSize, outSize);
            // dW [F, CKK] += dy[n] [F, OH*OW] · columnsᵀ [OH*OW, CKK]
            Gemm.Multiply(false, true, filters, ckk, spatial, dyn, spatial, columns, spatial, 1f, weightGradients, ckk);
            FixedOrderReductions.AccumulateRowSums(tier, filters, spatial, dyn, biasPartial);
        }
        FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

    /// <summary>dx[n] = col2im(Wᵀ·dy[n]) for every sample (dx overwritten).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardData(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> columns)
    {
        // weights: [F, C*KH*KW]   dy: [N, F, OH, OW]   dx: [N, C, H, W] (overwritten)   columns: [C*KH*KW, OH*OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(dx.Length, (long)batch * g.InputSize, "dx", "[N, C, H, W]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        RunSamples(g, batch, filters, dy, weights, default, dx, columns, backwardData: true);
    }

    /// <summary>
    /// Forward (input x, output y) or backward-data (input dy, output dx) for every sample. Samples are independent,
    /// so with several threads and column scratch for several of them, threads take contiguous ranges of samples,
    /// each with its own slice of <paramref name="columns"/>; every sample is computed by the same operations as on one thread.
    /// </summary>
    private static unsafe void RunSamples(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> columns, bool backwardData)
    {
        if (batch == 0) return;
        int parts = Math.Min(Math.Min(Cpu.ThreadCount, columns.Length / g.ColumnSize), batch);
        if (parts <= 1)
        {
            for (int n = 0; n < batch; n++) RunSample(g, n, filters, input, weights, bias, output, columns, backwardData);
            return;
        }
        var job = _samples ??= new SampleJob();
        fixed (float* inputPointer = input, weightPointer = weights, biasPointer = bias, outputPointer = output, columnPointer = columns)
        {
            job.Set(g, batch, filters, parts, inputPointer, input.Length, weightPointer, weights.Length, biasPointer, bias.Length,
                outputPointer, output.Length, columnPointer, backwardData);
            try { WorkerPool.Shared.Run(job, parts, parts); }
            finally { job.Clear(); }
        }
    }

    /// <summary>One sample: y[n] = W·im2col(x[n]) + b, or dx[n] = col2im(Wᵀ·dy[n]).</summary>
    private static void RunSample(in ConvGeometry g, int n, int filters, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> output, Span<float> columns, bool backwardData)
    {
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        columns = columns[..g.ColumnSize];
        if (backwardData)
        {
            // columns [CKK, OH*OW] = Wᵀ [CKK, F] · dy[n] [F, OH*OW]
            Gemm.Multiply(true, false, ckk, spatial, filters, weights, ckk, input.Slice(n * outSize, outSize), spatial, 0f, columns, spatial);
            Im2Col.Backward(g, columns, output.Slice(n * g.InputSize, g.InputSize));
            return;
        }
        Span<float> yn = output.Slice(n * outSize, outSize);
        // y[n] [F, OH*OW] = W [F, CKK] · im2col(x[n]) [CKK, OH*OW], the column matrix packed straight from x[n]
        Gemm.MultiplyIm2Col(filters, weights, ckk, g, input.Slice(n * g.InputSize, g.InputSize), yn, spatial);
        for (int f = 0; f < filters; f++) AddScalar(yn.Slice(f * spatial, spatial), bias[f]);
    }

    /// <summary>values[k] += b (element-wise, so every vector width gives the same bits).</summary>
    private static void AddScalar(Span<float> values, float b)
    {
        int k = 0, n = values.Length;
        ref float v = ref MemoryMarshal.GetReference(values);
        if (Vector512.IsHardwareAccelerated)
        {
            var b16 = Vector512.Create(b);
            for (; k + 16 <= n; k += 16) (Vector512.LoadUnsafe(ref v, (nuint)k) + b16).StoreUnsafe(ref v, (nuint)k);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var b8 = Vector256.Create(b);
            for (; k + 8 <= n; k += 8) (Vector256.LoadUnsafe(ref v, (nuint)k) + b8).StoreUnsafe(ref v, (nuint)k);
        }
        for (; k < n; k++) Unsafe.Add(ref v, k) += b;
    }

    [ThreadStatic] private static SampleJob? _samples;

    /// <summary>The arguments of one threaded <see cref="RunSamples"/> call, kept per calling thread so it allocates nothing.</summary>
    private sealed unsafe class SampleJob : ParallelJob
    {
        private ConvGeometry _geometry;
        private int _batch, _filters, _parts, _inputLength, _weightLength, _biasLength, _outputLength;
        private float* _input, _weights, _bias, _output, _columns;
        private bool _backwardData;

        public void Set(in ConvGeometry g, int batch, int filters, int parts, float* input, int inputLength, float* weights, int weightLength,
            float* bias, int biasLength, float* output, int outputLength, float* columns, bool backwardData)
        {
            (_geometry, _batch, _filters, _parts, _backwardData) = (g, batch, filters, parts, backwardData);
            (_inputLength, _weightLength, _biasLength, _outputLength) = (inputLength, weightLength, biasLength, outputLength);
            _input = input;
            _weights = weights;
            _bias = bias;
            _output = output;
            _columns = columns;
        }

        public void Clear() => _input = _weights = _bias = _output = _columns = null;

        public override void Execute(int part)
        {
            int first = (int)((long)part * _batch / _parts), last = (int)((long)(part + 1) * _batch / _parts);
            var columns = new Span<float>(_columns + (long)part * _geometry.ColumnSize, _geometry.ColumnSize);
            var input = new ReadOnlySpan<float>(_input, _inputLength);
            var weights = new ReadOnlySpan<float>(_weights, _weightLength);
            var bias = new ReadOnlySpan<float>(_bias, _biasLength);
            var output = new Span<float>(_output, _outputLength);
            for (int n = first; n < last; n++) RunSample(_geometry, n, _filters, input, weights, bias, output, columns, _backwardData);
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
