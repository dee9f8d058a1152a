using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// What the 2-D pooling layers share: a <see cref="SizeHeight"/>×<see cref="SizeWidth"/> window moved by
/// the strides over each channel of a <c>channels×height×width</c> input, optionally padded (max pooling: padded cells never
/// win). Output size per axis is floor((input + 2·padding − size) / stride) + 1; rows or columns no window reaches are dropped
/// (29 → 14 for size 2, stride 2).
/// </summary>
public abstract class Pool2D : Layer
{
    private protected Pool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth, int paddingHeight = 0, int paddingWidth = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(paddingHeight);
        ArgumentOutOfRangeException.ThrowIfNegative(paddingWidth);
        if (2 * paddingHeight > sizeHeight || 2 * paddingWidth > sizeWidth)
            throw new ArgumentOutOfRangeException(nameof(paddingHeight), $"{GetType().Name}: padding must be at most half the window ({paddingHeight}×{paddingWidth} for {sizeHeight}×{sizeWidth}).");
        PaddingHeight = paddingHeight; PaddingWidth = paddingWidth;
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWidth, 1);
        SizeHeight = sizeHeight; SizeWidth = sizeWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
    }

    /// <summary>Window height in rows.</summary>
    public int SizeHeight { get; }

    /// <summary>Window width in columns.</summary>
    public int SizeWidth { get; }

    /// <summary>Rows between the tops of vertically neighbouring windows.</summary>
    public int StrideHeight { get; }

    /// <summary>Columns between the left edges of horizontally neighbouring windows.</summary>
    public int StrideWidth { get; }

    /// <summary>Rows of padding above and below the input.</summary>
    public int PaddingHeight { get; }

    /// <summary>Columns of padding left and right of the input.</summary>
    public int PaddingWidth { get; }

    /// <summary>The kernel plan of this layer's geometry (set when the layer is built).</summary>
    private protected PoolPlan Plan { get; private set; } = null!;

    private protected abstract PoolKind PoolKind { get; }

    /// <inheritdoc />
    protected sealed override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 3 || input[1] + 2 * PaddingHeight < SizeHeight || input[2] + 2 * PaddingWidth < SizeWidth)
            throw ShapeError(input, $"needs channels×height×width with height ≥ {SizeHeight - 2 * PaddingHeight} and width ≥ {SizeWidth - 2 * PaddingWidth} for its {SizeHeight}×{SizeWidth} window");
        Plan = PoolPlan.Create(PoolKind, PoolGeometry.Create(input[0], input[1] + 2 * PaddingHeight, input[2] + 2 * PaddingWidth,
            SizeHeight, SizeWidth, StrideHeight, StrideWidth), PaddingHeight, PaddingWidth);
        var g = Plan.Geometry;
        return new Shape(g.Channels, g.OutputHeight, g.OutputWidth);
    }

    /// <inheritdoc />
    protected sealed override string Describe() =>
        (SizeHeight == SizeWidth && StrideHeight == StrideWidth
            ? $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight}"
            : $"{Kind}({SizeHeight}×{SizeWidth}, stride {StrideHeight}×{StrideWidth}")
        + (PaddingHeight + PaddingWidth == 0 ? ")" : PaddingHeight == PaddingWidth ? $", padding {PaddingHeight})" : $", padding {PaddingHeight}×{PaddingWidth})");

    /// <summary>Padded layers keep a padded copy of the batch and its gradient.</summary>
    public sealed override long ScratchSize(int maxBatch, int threads, LayerMode mode) => Plan.ScratchSize(maxBatch);

    /// <summary>Max pooling keeps each window's argmax (one int per output, stored in float slots) from Forward to Backward.</summary>
    public sealed override long SavedSize(int maxBatch) => Plan.SavedSize(maxBatch);

    /// <inheritdoc />
    protected sealed override void OnForward(ReadOnlySpan<float> x, Span<float> y, int batch, in LayerContext context) =>
        Plan.Forward(x, y, Argmax(context, batch), batch, context.Scratch, context.Threads);

    /// <inheritdoc />
    protected sealed override void OnBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch, in LayerContext context)
    {
        if (dx.IsEmpty) return;
        Plan.Backward(dy, Argmax(context, batch), dx, batch, context.Scratch, context.Threads);
    }

    /// <summary>The argmax [N, C, OH, OW] of max pooling in the context's saved memory (empty for average pooling).</summary>
    private Span<int> Argmax(in LayerContext context, int batch)
    {
        long needed = Plan.SavedSize(batch);
        if (context.Saved.Length < needed)
            throw new ArgumentException($"{Name}: the context's saved memory holds {context.Saved.Length} values, the batch needs {needed}.", nameof(context));
        return System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(context.Saved[..(int)needed]);
    }
}
