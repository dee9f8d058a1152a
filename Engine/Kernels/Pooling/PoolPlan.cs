namespace Engine.Kernels;

/// <summary>Which window operation a <see cref="PoolPlan"/> runs.</summary>
internal enum PoolKind
{
    /// <summary>The window's largest value; backward routes the gradient to it (one argmax per window).</summary>
    Max,
    /// <summary>The window's mean.</summary>
    Average,
}

/// <summary>
/// The pooling family's strategy for one geometry: the kernel (the 2×2 stride-2 windows run a specialised row loop inside
/// <see cref="Pooling"/>), the split over threads (whole samples; every window is computed the same way wherever the cut
/// falls, so the bits do not depend on it) and what it keeps between the passes: max pooling's argmax, one int per output.
/// Immutable.
/// </summary>
internal sealed class PoolPlan
{
    private PoolPlan(PoolKind kind, in PoolGeometry geometry, int padHeight, int padWidth) =>
        (Kind, Geometry, PadHeight, PadWidth) = (kind, geometry, padHeight, padWidth);

    /// <summary>The plan for <paramref name="kind"/> pooling over <paramref name="geometry"/> (of the padded input when padded).</summary>
    /// <exception cref="ArgumentException">Average pooling with padding (not supported).</exception>
    public static PoolPlan Create(PoolKind kind, in PoolGeometry geometry, int padHeight = 0, int padWidth = 0)
    {
        if (kind == PoolKind.Average && padHeight + padWidth > 0)
            throw new ArgumentException("Average pooling with padding is not supported.");
        return new(kind, geometry, padHeight, padWidth);
    }

    /// <summary>Rows of −∞ padding above and below the input (max pooling).</summary>
    public int PadHeight { get; }

    /// <summary>Columns of −∞ padding left and right.</summary>
    public int PadWidth { get; }

    private bool Padded => PadHeight + PadWidth > 0;

    /// <summary>Floats of scratch: the padded batch (and, backward, its gradient) when padded.</summary>
    public long ScratchSize(int maxBatch) => Padded ? (long)maxBatch * Geometry.InputSize : 0;

    /// <summary>Max or average.</summary>
    public PoolKind Kind { get; }

    /// <summary>The window sweep.</summary>
    public PoolGeometry Geometry { get; }

    /// <summary>Whether the specialised 2×2 stride-2 row loop runs.</summary>
    public bool IsTwoByTwo => Geometry is { SizeHeight: 2, SizeWidth: 2, StrideHeight: 2, StrideWidth: 2 };

    /// <summary>Ints kept from forward to backward per batch of <paramref name="maxBatch"/>: max pooling's argmax [N, C, OH, OW].</summary>
    public long SavedSize(int maxBatch) => Kind == PoolKind.Max ? (long)maxBatch * Geometry.OutputSize : 0;

    /// <summary>
    /// How many parts a pass over <paramref name="batch"/> samples takes on up to <paramref name="threads"/> threads: whole
    /// samples each, sized by the values the pass moves, two operations' worth each (pooling is bound by memory; paper-mnist's
    /// 507K values a batch of 30 split in two and gain 21 % on 2 threads). Forward and backward of one batch split alike, so a
    /// part's argmax (counted from its first sample) is read back by the same part.
    /// </summary>
    public int Parts(int batch, int threads) =>
        ParallelFor.PartsFor(2L * batch * (Geometry.InputSize + Geometry.OutputSize), batch, threads);

    /// <summary>y = pool(x) for <paramref name="batch"/> samples on up to <paramref name="threads"/> threads; max pooling records
    /// each window's argmax in <paramref name="argmax"/>, counted from the first sample of the window's part.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch, Span<float> scratch = default, int threads = 1)
    {
        // x: [N, C, H, W]   y: [N, C, OH, OW]   argmax: [N, C, OH, OW] (max pooling; indices into the padded planes when padded)
        int parts = Parts(batch, threads);
        if (parts <= 1) ForwardRange(x, y, argmax, batch, scratch);
        else Split(forward: true, x, y, argmax, scratch, batch, parts, threads);
    }

    /// <summary>dx from dy (dx overwritten) on up to <paramref name="threads"/> threads, using the argmax of the latest
    /// <see cref="Forward"/> (with the same batch and threads) for max pooling.</summary>
    public void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch, Span<float> scratch = default, int threads = 1)
    {
        // dy: [N, C, OH, OW]   argmax: [N, C, OH, OW]   dx: [N, C, H, W]
        int parts = Parts(batch, threads);
        if (parts <= 1) BackwardRange(dy, argmax, dx, batch, scratch);
        else Split(forward: false, dx, dy, argmax, scratch, batch, parts, threads);
    }

    /// <summary>
    /// Runs a pass in <paramref name="parts"/> parts of whole samples. The spans are only pinned here: forward, the parts
    /// write y (<paramref name="output"/>) and argmax; backward, dx (<paramref name="input"/>); each its own samples' range.
    /// </summary>
    private unsafe void Split(bool forward, ReadOnlySpan<float> input /*x or dx*/, ReadOnlySpan<float> output /*y or dy*/, ReadOnlySpan<int> argmax,
        Span<float> scratch, int batch, int parts, int threads)
    {
        fixed (float* ip = input, op = output, sp = scratch)
        fixed (int* ap = argmax)
        {
            var body = new RangeBody(this, forward, ip, input.Length, op, output.Length, ap, argmax.Length, sp, scratch.Length, batch, parts);
            ParallelFor.Run(ref body, parts, threads);
        }
    }

    /// <summary>The forward pass of <paramref name="batch"/> samples whose spans start at the first of them.</summary>
    private void ForwardRange(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch, Span<float> scratch)
    {
        if (Kind == PoolKind.Average) { Pooling.AverageForward(Geometry, batch, x, y); return; }
        if (!Padded) { Pooling.MaxForward(Geometry, batch, x, y, argmax); return; }
        var padded = scratch[..(batch * Geometry.InputSize)];
        padded.Fill(float.NegativeInfinity);
        int h = Geometry.Height - 2 * PadHeight, w = Geometry.Width - 2 * PadWidth;
        for (int plane = 0; plane < batch * Geometry.Channels; plane++)
            for (int r = 0; r < h; r++)
                x.Slice((plane * h + r) * w, w).CopyTo(padded.Slice((plane * Geometry.Height + r + PadHeight) * Geometry.Width + PadWidth, w));
        Pooling.MaxForward(Geometry, batch, padded, y, argmax);
    }

    /// <summary>The backward pass of <paramref name="batch"/> samples whose spans start at the first of them.</summary>
    private void BackwardRange(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch, Span<float> scratch)
    {
        if (Kind == PoolKind.Average) { Pooling.AverageBackward(Geometry, batch, dy, dx); return; }
        if (!Padded) { Pooling.MaxBackward(Geometry, batch, dy, argmax, dx); return; }
        // A padded cell is never an argmax (−∞ never wins, unless a whole window is padding, which the padding bound excludes).
        var padded = scratch[..(batch * Geometry.InputSize)];
        Pooling.MaxBackward(Geometry, batch, dy, argmax, padded);
        int h = Geometry.Height - 2 * PadHeight, w = Geometry.Width - 2 * PadWidth;
        for (int plane = 0; plane < batch * Geometry.Channels; plane++)
            for (int r = 0; r < h; r++)
                padded.Slice((plane * Geometry.Height + r + PadHeight) * Geometry.Width + PadWidth, w).CopyTo(dx.Slice((plane * h + r) * w, w));
    }

    /// <summary>
    /// Part p of a pass: samples [N·p/parts, N·(p + 1)/parts), every span sliced at the part's first sample (the unpadded
    /// input and its gradient at <c>(H − 2·padH)·(W − 2·padW)·C</c> per sample, the padded scratch at <see cref="PoolGeometry.InputSize"/>).
    /// </summary>
    private readonly unsafe struct RangeBody : IParallelBody
    {
        private readonly PoolPlan _plan;
        private readonly bool _forward;
        private readonly float* _input, _output, _scratch; // forward: x, y; backward: dx, dy
        private readonly int* _argmax;
        private readonly int _inputLength, _outputLength, _argmaxLength, _scratchLength, _batch, _parts;

        public RangeBody(PoolPlan plan, bool forward, float* input, int inputLength, float* output, int outputLength, int* argmax, int argmaxLength,
            float* scratch, int scratchLength, int batch, int parts)
        {
            (_plan, _forward, _inputLength, _outputLength, _argmaxLength, _scratchLength) = (plan, forward, inputLength, outputLength, argmaxLength, scratchLength);
            (_batch, _parts) = (batch, parts);
            _input = input;
            _output = output;
            _argmax = argmax;
            _scratch = scratch;
        }

        public void Execute(int part, int worker)
        {
            var g = _plan.Geometry;
            int first = (int)((long)_batch * part / _parts), count = (int)((long)_batch * (part + 1) / _parts) - first;
            int inSize = (g.Height - 2 * _plan.PadHeight) * (g.Width - 2 * _plan.PadWidth) * g.Channels, outSize = g.OutputSize;
            var input = Range(_input, _inputLength, first * inSize);
            var output = Range(_output, _outputLength, first * outSize);
            var argmax = _argmax == null ? default : new Span<int>(_argmax + Math.Min(first * outSize, _argmaxLength), Math.Max(0, _argmaxLength - first * outSize));
            var scratch = Range(_scratch, _scratchLength, first * g.InputSize);
            if (_forward) _plan.ForwardRange(input, output, argmax, count, scratch);
            else _plan.BackwardRange(output, argmax, input, count, scratch);
        }

        private static Span<float> Range(float* start, int length, int offset) =>
            start == null ? default : new Span<float>(start + Math.Min(offset, length), Math.Max(0, length - offset));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Geometry}{(IsTwoByTwo ? " (2×2 row loop)" : "")}";
}
