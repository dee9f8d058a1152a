using Engine.Kernels;

namespace Engine.Losses;

/// <summary>
/// Mean squared error against the one-hot target t of each label, averaged over the batch AND the classes:
/// <c>L = (1/(N·K)) Σ_n Σ_k (y[n,k] − t[n,k])²</c>, with gradient <c>2(y − t)/(N·K)</c>.
/// </summary>
public sealed class MeanSquaredError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanSquaredError() { }

    /// <summary><c>mse</c>.</summary>
    public override string Name => "mse";

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes) =>
        LossKernels.MeanSquaredError(outputs, labels, batch, classes);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..K−1 (the message names its index).</exception>
    public override void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes) =>
        LossKernels.MeanSquaredErrorGradient(outputs, labels, gradient, batch, classes);
}
