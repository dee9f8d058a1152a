namespace Engine.Losses;

/// <summary>
/// A loss over a batch of network outputs and integer class labels. The value is the mean over the
/// batch of the per-sample loss; the gradient is that of the mean.
/// </summary>
public abstract class Loss
{
    /// <summary>The loss's short name, e.g. <c>cross-entropy</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Mean loss of outputs[N, K] against labels[N] (each in 0..K-1), accumulated in double.</summary>
    internal abstract double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes);

    /// <summary>gradient[N, K] = d(mean loss)/d(outputs), overwritten.</summary>
    internal abstract void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes);
}
