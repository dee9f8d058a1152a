namespace Engine.Kernels;

/// <summary>How a <see cref="ConvPlan"/> computes the forward pass.</summary>
internal enum ConvForwardPath
{
    /// <summary><see cref="Conv2DDirect"/>: few-channel stride-1 layers, vectorised over output columns.</summary>
    Direct,
    /// <summary><see cref="Conv2DKernels.Forward"/>: packed GEMM with im2col fused into the packing of B.</summary>
    Im2ColGemm,
    /// <summary><see cref="Conv2DBlocked.Forward"/>: direct convolution register-blocked over filters (many channels, 3×3 or 1×1).</summary>
    Blocked,
}

/// <summary>How a <see cref="ConvPlan"/> computes the weight and bias gradients.</summary>
internal enum ConvWeightGradientPath
{
    /// <summary><see cref="Conv2DDirectWeights"/>: fixed-order dot products (few weights or few filters).</summary>
    FixedOrderDots,
    /// <summary><see cref="Conv2DKernels.BackwardWeights"/>: im2col per sample, then a packed GEMM.</summary>
    Im2ColGemm,
    /// <summary><see cref="Conv2DReference"/>: plain loops, for shapes whose column matrix would be too large to hold.</summary>
    Reference,
    /// <summary><see cref="Conv2DBlockedWeights"/>: register-blocked over filters, threads owning whole filter and tap blocks.</summary>
    Blocked,
}

/// <summary>How a <see cref="ConvPlan"/> computes the input gradient.</summary>
internal enum ConvDataGradientPath
{
    /// <summary><see cref="Conv2DKernels.BackwardData"/>: GEMM then col2im, samples side by side in groups or one per worker.</summary>
    GemmCol2Im,
    /// <summary><see cref="Conv2DReference"/>: plain loops, for shapes whose column matrix would be too large to hold.</summary>
    Reference,
    /// <summary><see cref="Conv2DBlocked.BackwardData"/>: the transposed direct convolution, register-blocked over input channels.</summary>
    Blocked,
}

/// <summary>
/// The convolution family's strategy for one (geometry, filters, maximum batch, threads): which kernel runs each pass and
/// how much scratch it needs. Computed once and immutable, so a layer keeps its plan and its scratch and nothing else of the
/// kernels' internals. Every path gives the same bits on every tier and for every thread count; the choice depends only on
/// the shape (never on the thread count), so a layer's results never depend on the threads either.
/// </summary>
internal sealed class ConvPlan
{
    /// <summary>Column matrices larger than this (floats) are not held: such layers run the reference kernels backward.</summary>
    public const long MaxColumnScratch = 1L << 27;

    private ConvPlan(in ConvGeometry g, int filters, int maxBatch, int threads)
    {
        Geometry = g;
        Filters = filters;
        MaxBatch = maxBatch;
        Threads = threads;
        bool blocked = IsBlocked(g, filters);
        ForwardPath = blocked ? ConvForwardPath.Blocked : Conv2DDirect.Supports(g) ? ConvForwardPath.Direct : ConvForwardPath.Im2ColGemm;
        bool columnsFit = g.ColumnSize <= MaxColumnScratch;
        WeightGradientPath = blocked ? ConvWeightGradientPath.Blocked
            : Conv2DDirectWeights.Supports(g, filters) && (IsStrideOne(g) || columnsFit) ? ConvWeightGradientPath.FixedOrderDots
            : columnsFit ? ConvWeightGradientPath.Im2ColGemm : ConvWeightGradientPath.Reference;
        DataGradientPath = blocked ? ConvDataGradientPath.Blocked : columnsFit ? ConvDataGradientPath.GemmCol2Im : ConvDataGradientPath.Reference;
        int workers = Math.Max(1, Math.Min(threads, maxBatch));
        ForwardScratch = ForwardPath switch
        {
            ConvForwardPath.Direct => (long)Conv2DDirect.ScratchSize(g) * workers,
            ConvForwardPath.Blocked => Conv2DBlocked.ForwardScratchSize(g, filters, threads),
            _ => 0,
        };
        long weights = WeightGradientPath switch
        {
            ConvWeightGradientPath.FixedOrderDots => Conv2DDirectWeights.ScratchSize(g, filters, threads),
            ConvWeightGradientPath.Im2ColGemm => Conv2DKernels.WeightGradientScratchSize(g, filters, threads),
            ConvWeightGradientPath.Blocked => Conv2DBlockedWeights.ScratchSize(g, filters, maxBatch, threads),
            _ => 0,
        };
        long data = DataGradientPath switch
        {
            ConvDataGradientPath.GemmCol2Im => Conv2DKernels.DataGradientScratchSize(g, filters, maxBatch, threads),
            ConvDataGradientPath.Blocked => Conv2DBlocked.DataGradientScratchSize(g, filters, threads),
            _ => 0,
        };
        BackwardScratch = Math.Max(weights, data);
    }

    /// <summary>The plan for <paramref name="filters"/> filters over <paramref name="geometry"/>, batches of up to
    /// <paramref name="maxBatch"/> and up to <paramref name="threads"/> threads.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is less than 1.</exception>
    public static ConvPlan Create(in ConvGeometry geometry, int filters, int maxBatch, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return new ConvPlan(geometry, filters, maxBatch, threads);
    }

    /// <summary>The convolution's geometry.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>Output channels F.</summary>
    public int Filters { get; }

    /// <summary>The largest batch the scratch sizes cover.</summary>
    public int MaxBatch { get; }

    /// <summary>The most threads the passes split over (scratch holds one slot per worker).</summary>
    public int Threads { get; }

    /// <summary>The forward kernel.</summary>
    public ConvForwardPath ForwardPath { get; }

    /// <summary>The weight-gradient kernel.</summary>
    public ConvWeightGradientPath WeightGradientPath { get; }

    /// <summary>The data-gradient kernel.</summary>
    public ConvDataGradientPath DataGradientPath { get; }

    /// <summary>Floats of scratch the forward pass needs.</summary>
    public long ForwardScratch { get; }

    /// <summary>Floats of scratch the backward pass needs (weight gradient, then data gradient, in the same scratch).</summary>
    public long BackwardScratch { get; }

    /// <summary>Scratch for inference (forward only) or training (the larger of the passes; they run one after the other).</summary>
    public long ScratchSize(bool training) => training ? Math.Max(ForwardScratch, BackwardScratch) : ForwardScratch;

    /// <summary>y = epilogue(W ⊛ x + b) for <paramref name="batch"/> ≤ <see cref="MaxBatch"/> samples (y overwritten; no epilogue: W ⊛ x + b): the blocked
    /// path applies the epilogue in registers, the others in one pass over y afterwards (the same bits either way).</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, int batch, Span<float> scratch,
        in ConvEpilogue epilogue = default)
    {
        // x: [N, C, H, W]   weights: [F, C, KH, KW]   bias: [F]   y: [N, F, OH, OW]   epilogue scale, shift: [F] or empty, residual: as y or empty
        CheckBatch(batch);
        epilogue.Check(Filters, (long)batch * Filters * Geometry.ColumnCols);
        switch (ForwardPath)
        {
            case ConvForwardPath.Direct:
                Conv2DDirect.Forward(Geometry, batch, Filters, x, weights, bias, y, scratch, Threads);
                break;
            case ConvForwardPath.Blocked:
                Conv2DBlocked.Forward(Geometry, batch, Filters, x, weights, bias, y, scratch, Threads, epilogue);
                return;
            default:
                Conv2DKernels.Forward(Geometry, batch, Filters, x, weights, bias, y, Threads);
                break;
        }
        if (!epilogue.IsNone) epilogue.Apply(y[..(batch * Filters * Geometry.ColumnCols)], batch, Filters, Geometry.ColumnCols, Threads);
    }

    /// <summary>Whether <see cref="BackwardData"/> can add the data gradient to dx (the blocked path: each plane added while in
    /// cache), so that a value read by several stages gets its gradients summed without a temporary and a pass over it.</summary>
    public bool AccumulatesDataGradient => DataGradientPath == ConvDataGradientPath.Blocked;

    /// <summary>Whether <see cref="Forward"/> applies an epilogue inside the kernel for this shape (the blocked path), so that
    /// fusing one saves a pass over the output; the other paths apply it as passes afterwards. By shape only, like the paths.</summary>
    public static bool FusesEpilogue(in ConvGeometry geometry, int filters) => IsBlocked(geometry, filters);

    /// <summary>dW += Σₙ dy[n] ⊛ x[n] and db += Σ dy (both accumulated).</summary>
    public void BackwardWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> weightGradients, Span<float> biasGradients,
        int batch, Span<float> scratch)
    {
        // x: [N, C, H, W]   dy: [N, F, OH, OW]   weightGradients: [F, C, KH, KW] (+=)   biasGradients: [F] (+=)
        CheckBatch(batch);
        switch (WeightGradientPath)
        {
            case ConvWeightGradientPath.FixedOrderDots:
                Conv2DDirectWeights.BackwardWeights(Geometry, batch, Filters, x, dy, weightGradients, biasGradients, scratch, Threads);
                break;
            case ConvWeightGradientPath.Im2ColGemm:
                Conv2DKernels.BackwardWeights(Geometry, batch, Filters, x, dy, weightGradients, biasGradients, scratch, Threads);
                break;
            case ConvWeightGradientPath.Blocked:
                Conv2DBlockedWeights.BackwardWeights(Geometry, batch, Filters, x, dy, weightGradients, biasGradients, scratch, Threads);
                break;
            default:
                Conv2DReference.BackwardWeights(Geometry, batch, Filters, x, dy, weightGradients, biasGradients);
                break;
        }
    }

    /// <summary>
    /// dx = Wᵀ ⊛ dy (dx overwritten); with a <paramref name="gate"/> (the input of a ReLU whose output this convolution read),
    /// the gradient through that ReLU too: dx = (Wᵀ ⊛ dy) · [gate &gt; 0], as the ReLU layer's backward pass computes it. The
    /// blocked path applies the gate to each plane while it is in cache, the others in one pass over dx afterwards (the same bits).
    /// With <paramref name="accumulate"/> (<see cref="AccumulatesDataGradient"/> paths only) dx += that gradient instead.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="accumulate"/> on a path that does not accumulate.</exception>
    public void BackwardData(ReadOnlySpan<float> weights, ReadOnlySpan<float> dy, Span<float> dx, int batch, Span<float> scratch,
        ReadOnlySpan<float> gate = default, bool accumulate = false)
    {
        // weights: [F, C, KH, KW]   dy: [N, F, OH, OW]   dx: [N, C, H, W] (overwritten, or +=)   gate: [N, C, H, W] or empty
        CheckBatch(batch);
        if (accumulate && !AccumulatesDataGradient)
            throw new InvalidOperationException($"The {DataGradientPath} data gradient overwrites dx; only the blocked one adds to it.");
        long length = (long)batch * Geometry.InputSize;
        if (!gate.IsEmpty && gate.Length < length)
            throw new ArgumentException($"The gate needs {length} floats ([N, C, H, W]) but has {gate.Length}.", nameof(gate));
        switch (DataGradientPath)
        {
            case ConvDataGradientPath.GemmCol2Im:
                Conv2DKernels.BackwardData(Geometry, batch, Filters, weights, dy, dx, scratch, Threads);
                break;
            case ConvDataGradientPath.Blocked:
                Conv2DBlocked.BackwardData(Geometry, batch, Filters, weights, dy, dx, scratch, Threads, gate.IsEmpty ? default : gate[..(int)length], accumulate);
                return;
            default:
                Conv2DReference.BackwardData(Geometry, batch, Filters, weights, dy, dx);
                break;
        }
        if (gate.IsEmpty) return;
        var gradient = dx[..(int)length];
        var g = gate[..(int)length];
        Activations.Backward(new ReluOperator(), g, g, gradient, gradient, Threads);
    }

    /// <inheritdoc />
    public override string ToString() => $"forward {ForwardPath}, weight gradient {WeightGradientPath}, data gradient {DataGradientPath}";

    private static bool IsStrideOne(in ConvGeometry g) => g.StrideHeight == 1 && g.StrideWidth == 1;

    /// <summary>The smallest channel counts (in and out) the blocked kernels take: below, a register block would be mostly padding.</summary>
    public const int BlockedMinimumChannels = 16;

    /// <summary>
    /// Whether the blocked direct kernels (<see cref="Conv2DBlocked"/>, <see cref="Conv2DBlockedWeights"/>) take all three passes:
    /// at least <see cref="BlockedMinimumChannels"/> input channels and filters, a square 3×3 or 1×1 kernel and equal strides of 1 or 2
    /// (any padding). By shape only.
    /// </summary>
    public static bool IsBlocked(in ConvGeometry g, int filters) =>
        g.Channels >= BlockedMinimumChannels && filters >= BlockedMinimumChannels
        && g.KernelHeight == g.KernelWidth && g.KernelHeight is 1 or 3
        && g.StrideHeight == g.StrideWidth && g.StrideHeight is 1 or 2;

    private void CheckBatch(int batch)
    {
        if ((uint)batch > (uint)MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"This convolution plan covers batches of up to {MaxBatch}.");
    }
}
