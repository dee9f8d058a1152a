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
    private PoolPlan(PoolKind kind, in PoolGeometry geometry) => (Kind, Geometry) = (kind, geometry);

    /// <summary>The plan for <paramref name="kind"/> pooling over <paramref name="geometry"/>.</summary>
    public static PoolPlan Create(PoolKind kind, in PoolGeometry geometry) => new(kind, geometry);

    /// <summary>Max or average.</summary>
    public PoolKind Kind { get; }

    /// <summary>The window sweep.</summary>
    public PoolGeometry Geometry { get; }

    /// <summary>Whether the specialised 2×2 stride-2 row loop runs.</summary>
    public bool IsTwoByTwo => Geometry is { SizeHeight: 2, SizeWidth: 2, StrideHeight: 2, StrideWidth: 2 };

    /// <summary>Ints kept from forward to backward per batch of <paramref name="maxBatch"/>: max pooling's argmax [N, C, OH, OW].</summary>
    public long SavedSize(int maxBatch) => Kind == PoolKind.Max ? (long)maxBatch * Geometry.OutputSize : 0;

    /// <summary>y = pool(x) for <paramref name="batch"/> samples; max pooling records each window's argmax in <paramref name="argmax"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch)
    {
        // x: [N, C, H, W]   y: [N, C, OH, OW]   argmax: [N, C, OH, OW] (max pooling)
        if (Kind == PoolKind.Max) Pooling.MaxForward(Geometry, batch, x, y, argmax);
        else Pooling.AverageForward(Geometry, batch, x, y);
    }

    /// <summary>dx from dy (dx overwritten), using the argmax of the latest <see cref="Forward"/> for max pooling.</summary>
    public void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch)
    {
        // dy: [N, C, OH, OW]   argmax: [N, C, OH, OW]   dx: [N, C, H, W]
        if (Kind == PoolKind.Max) Pooling.MaxBackward(Geometry, batch, dy, argmax, dx);
        else Pooling.AverageBackward(Geometry, batch, dy, dx);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Geometry}{(IsTwoByTwo ? " (2×2 row loop)" : "")}";
}
