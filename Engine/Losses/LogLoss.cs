using Engine.Kernels;

namespace Engine.Losses;

/// <summary>
/// The binary log-loss of the report's Eq. 3 applied to every class output against the one-hot target t,
/// summed over the classes and averaged over the batch:
/// <c>L = −(1/N) Σ_n Σ_k [t·log(y + ε) + (1 − t)·log(1 − y + ε)]</c> with ε = 1e−9,
/// and gradient <c>−(1/N)·[t/(y + ε) − (1 − t)/(1 − y + ε)]</c>.
/// </summary>
/// <remarks>The outputs must be probabilities in [0, 1] (after a sigmoid or a softmax).</remarks>
public sealed class LogLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    public LogLoss() { }

    /// <summary><c>log-loss</c>.</summary>
    public override string Name => "log-loss";

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes) =>
        LossKernels.LogLoss(outputs, labels, batch, classes);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes) =>
        LossKernels.LogLossGradient(outputs, labels, gradient, batch, classes);
}
