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
/// several windows receives the sum of their gradients. The argmax indices are kept in a buffer allocated once
/// by <c>Prepare</c> for the largest batch.
/// </remarks>
public sealed class MaxPool2D : Pool2D
{
    private int[] _argmax = [];

    /// <summary>A square <paramref name="size"/>×<paramref name="size"/> window.</summary>
    /// <param name="size">Window height and width, at least 1.</param>
    /// <param name="stride">Step in both directions, at least 1; defaults to <paramref name="size"/> (windows tile the input).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "The square and the rectangular constructors are the designed API (DESIGN §6); they differ in arity, so named arguments never clash.")]
    public MaxPool2D(int size, int? stride = null) : this(size, size, stride ?? size, stride ?? size) { }

    /// <summary>A rectangular window with separate strides.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is less than 1.</exception>
    public MaxPool2D(int sizeHeight, int sizeWidth, int strideHeight, int strideWidth)
        : base(sizeHeight, sizeWidth, strideHeight, strideWidth) { }

    internal override void Prepare(int maxBatch, bool training = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        int needed = checked(maxBatch * OutputShape.Size);
        if (_argmax.Length < needed) _argmax = new int[needed];
    }

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        if (!IsBuilt || batch * Geometry.OutputSize > _argmax.Length)
            throw new InvalidOperationException($"{(IsBuilt ? Name : Kind)}: a batch of {batch} needs Prepare({batch}) (or larger) before Forward.");
        Pooling.MaxForward(Geometry, batch, x, y, _argmax);
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        Pooling.MaxBackward(Geometry, batch, dy, _argmax, dx);
    }

    /// <summary>Reads what <see cref="Pool2D.WriteConfiguration"/> wrote.</summary>
    /// <exception cref="InvalidDataException">A size or stride is less than 1.</exception>
    internal static MaxPool2D ReadConfiguration(BinaryReader reader)
    {
        var (sizeHeight, sizeWidth, strideHeight, strideWidth) = ReadWindow(reader, "MaxPool2D");
        return new MaxPool2D(sizeHeight, sizeWidth, strideHeight, strideWidth);
    }
}
