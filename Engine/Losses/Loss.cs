namespace Engine.Losses;

/// <summary>
/// A loss over a batch of network outputs and integer class labels. The value is the mean over the
/// batch of the per-sample loss; the gradient is that of the mean. Subclass it for a custom loss: override
/// <see cref="Name"/>, <see cref="Compute"/> and <see cref="Gradient"/>.
/// </summary>
public abstract class Loss
{
    /// <summary>The loss's short name, e.g. <c>cross-entropy</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Mean loss of outputs[N, K] against labels[N] (each in 0..K-1), accumulated in double.</summary>
    /// <param name="outputs">The network's outputs [N, K] (the first N·K values are read).</param>
    /// <param name="labels">The class of each sample [N].</param>
    /// <param name="batch">N.</param>
    /// <param name="classes">K.</param>
    public abstract double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes);

    /// <summary>gradient[N, K] = d(mean loss)/d(outputs), overwritten.</summary>
    /// <param name="outputs">The network's outputs [N, K].</param>
    /// <param name="labels">The class of each sample [N].</param>
    /// <param name="gradient">[N, K], overwritten.</param>
    /// <param name="batch">N.</param>
    /// <param name="classes">K.</param>
    public abstract void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes);
}
