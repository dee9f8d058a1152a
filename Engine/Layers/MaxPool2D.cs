using System.Diagnostics.CodeAnalysis;
using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// 2-D max pooling over each channel of a <c>channels×height×width</c> input, without padding: every
/// window of <see cref="Pool2D.SizeHeight"/>×<see cref="Pool2D.SizeWidth"/>, moved by the strides, gives its maximum.
/// Output size per axis is floor((input − size) / stride) + 1; rows or columns no window reaches are dropped
/// (29 → 14 for size 2, stride 2).
/// </summary>
/// <remarks>
/// The gradient goes to one argmax per window; the first maximum in row-major order wins (a NaN in a window
/// counts as its maximum, so it propagates). With stride &lt; size windows overlap and an input chosen by
/// several windows receives the sum of their gradients. The argmax indices live in the caller's saved memory
/// (<see cref="Pool2D.SavedSize"/>), so the layer itself holds no per-call state.
/// </remarks>
public sealed class MaxPool2D : Pool2D
{
    /// <summary>A square <paramref name="size"/>×<paramref name="size"/> window.</summary>
    /// <param name="size">Window height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1; defaults to <paramref name="size"/> (windows tile the input).</param>
    /// <param name="padding">Rows and columns of padding on every side (never chosen as a maximum), at most half the window.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1, or the padding more than half the window.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API; they differ in arity, so named arguments never clash.")]
    [SuppressMessage("ApiDesign", "RS0027", Justification = "The square and the rectangular constructors are the designed API; they differ in arity, so named arguments never clash.")]
    public MaxPool2D(int size, int? stride = null, int padding = 0) : this(size, size, stride ?? size, stride ?? size, padding, padding) { }

    /// <summary>A rectangular window with separate strides.</summary>
    /// <param name="sizeHeight">Window rows.</param>
    /// <param name="sizeWidth">Window columns.</param>
    /// <param name="strideHeight">Vertical step.</param>
    /// <param name="strideWidth">Horizontal step.</param>
    /// <param name="paddingHeight">Rows of padding above and below.</param>
    /// <param name="paddingWidth">Columns of padding left and right.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1, or the padding more than half the window.</exception>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "The square and the rectangular constructors are the designed API; they differ in arity, so named arguments never clash.")]
    public MaxPool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth, int paddingHeight = 0, int paddingWidth = 0)
        : base(sizeHeight, sizeWidth, strideHeight, strideWidth, paddingHeight, paddingWidth) { }

    private protected override PoolKind PoolKind => PoolKind.Max;
}
