using Engine.Kernels;

namespace Engine.Losses;

/// <summary>
/// Categorical cross-entropy on class probabilities p (the output of a softmax):
/// <c>L = −(1/N) Σ_n log(p[n, label_n] + ε)</c> with ε = 1e−9, and gradient
/// <c>−1/(N(p + ε))</c> at each label, 0 elsewhere. With label smoothing s the target is q = (1 − s)·onehot + s/K instead:
/// <c>L = −(1/N) Σ_n Σ_k q log(p + ε)</c>.
/// </summary>
/// <remarks>
/// When the network ends in a <c>Softmax</c> layer it skips that layer's backward pass
/// and uses <see cref="FusedSoftmaxGradient"/>, the gradient with respect to the logits: <c>(p − q)/N</c>.
/// </remarks>
public sealed class CrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="labelSmoothing">s in [0, 1): the share of each target spread evenly over all classes (0: plain one-hot).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1).</exception>
    public CrossEntropy(float labelSmoothing = 0f)
    {
        if (!(labelSmoothing is >= 0f and < 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The label smoothing s.</summary>
    public float LabelSmoothing { get; }

    /// <summary><c>cross-entropy</c>.</summary>
    public override string Name => "cross-entropy";

    /// <inheritdoc />
    public override string ToString() => LabelSmoothing == 0f ? Name : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Name}(smoothing={LabelSmoothing})");

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes) =>
        LabelSmoothing == 0f ? LossKernels.CrossEntropy(outputs, labels, batch, classes)
            : SmoothedCrossEntropy.Loss(outputs, labels, batch, classes, LabelSmoothing);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes)
    {
        if (LabelSmoothing == 0f) LossKernels.CrossEntropyGradient(outputs, labels, gradient, batch, classes);
        else SmoothedCrossEntropy.Gradient(outputs, labels, gradient, batch, classes, LabelSmoothing);
    }

    /// <summary>
    /// The gradient of this loss with respect to the logits z of a softmax whose output is
    /// <paramref name="probabilities"/>: <c>dLogits[n,k] = (p[n,k] − [k = label_n]) / N</c>, overwritten.
    /// Equal (up to ε) to the softmax backward pass applied to <see cref="Gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    internal void FusedSoftmaxGradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dLogits, int batch, int classes)
    {
        if (LabelSmoothing == 0f) SoftmaxKernels.FusedCrossEntropyGradient(probabilities, labels, dLogits, batch, classes);
        else SmoothedCrossEntropy.FusedSoftmaxGradient(probabilities, labels, dLogits, batch, classes, LabelSmoothing);
    }
}
