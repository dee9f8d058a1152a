using Engine.Kernels;

namespace Engine.Losses;

/// <summary>
/// Categorical cross-entropy on class probabilities p (the output of a softmax):
/// <c>L = −(1/N) Σ_n log(p[n, label_n] + ε)</c> with ε = 1e−9, and gradient
/// <c>−1/(N(p + ε))</c> at each label, 0 elsewhere.
/// </summary>
/// <remarks>
/// When the network ends in a <c>Softmax</c> layer it skips that layer's backward pass
/// and uses <see cref="FusedSoftmaxGradient"/>, the gradient with respect to the logits: <c>(p − onehot)/N</c>.
/// </remarks>
public sealed class CrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    public CrossEntropy() { }

    /// <summary><c>cross-entropy</c>.</summary>
    public override string Name => "cross-entropy";

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes) =>
        LossKernels.CrossEntropy(outputs, labels, batch, classes);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes) =>
        LossKernels.CrossEntropyGradient(outputs, labels, gradient, batch, classes);

    /// <summary>
    /// The gradient of this loss with respect to the logits z of a softmax whose output is
    /// <paramref name="probabilities"/>: <c>dLogits[n,k] = (p[n,k] − [k = label_n]) / N</c>, overwritten.
    /// Equal (up to ε) to the softmax backward pass applied to <see cref="Gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    internal void FusedSoftmaxGradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dLogits, int batch, int classes) =>
        SoftmaxKernels.FusedCrossEntropyGradient(probabilities, labels, dLogits, batch, classes);
}
