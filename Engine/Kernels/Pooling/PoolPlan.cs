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
/// <see cref="Pooling"/>) and what it keeps between the passes: max pooling's argmax, one int per output. Immutable.
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

    /// <summary>y = pool(x) for <paramref name="batch"/> samples; max pooling records each window's argmax in <paramref name="argmax"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch, Span<float> scratch = default)
    {
        // x: [N, C, H, W]   y: [N, C, OH, OW]   argmax: [N, C, OH, OW] (max pooling; indices into the padded planes when padded)
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

    /// <summary>dx from dy (dx overwritten), using the argmax of the latest <see cref="Forward"/> for max pooling.</summary>
    public void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch, Span<float> scratch = default)
    {
        // dy: [N, C, OH, OW]   argmax: [N, C, OH, OW]   dx: [N, C, H, W]
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

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Geometry}{(IsTwoByTwo ? " (2×2 row loop)" : "")}";
}
