namespace Engine.Kernels;

/// <summary>
/// Reference softmax over rows of logits, its backward pass, and the fused softmax + cross-entropy
/// gradient. Layouts are <c>[N, K]</c> (N = batch rows of K = classes). Nothing here allocates.
/// Kept as the oracle of <see cref="SoftmaxKernels"/>, whose forward pass differs only in its exponential.
/// </summary>
internal static class SoftmaxReference
{
    /// <summary>
    /// y[n, i] = e^(x[n,i] − m) / Σ_j e^(x[n,j] − m) with m the row maximum, so large logits (e.g. 1000)
    /// cannot overflow. Each e^(x − m) is computed in float (<see cref="MathF.Exp"/>); the row sum is
    /// accumulated in double in index order and each quotient is taken in double, then rounded once to float.
    /// </summary>
    /// <remarks>A NaN logit, or +∞ (∞ − ∞ = NaN), makes the whole row NaN, so divergence stays visible.</remarks>
    public static void Forward(ReadOnlySpan<float> x /*N,K*/, Span<float> y /*N,K*/, int batch, int classes)
    {
        int length = CheckSizes(batch, classes);
        CheckLength(length, x.Length, nameof(x));
        CheckLength(length, y.Length, nameof(y));
        for (int row = 0; row < batch; row++)
        {
            var xr = x.Slice(row * classes, classes);
            var yr = y.Slice(row * classes, classes);
            float max = xr[0];
            for (int i = 1; i < classes; i++)
                if (xr[i] > max) max = xr[i];
            double sum = 0;
            for (int i = 0; i < classes; i++)
            {
                float e = MathF.Exp(xr[i] - max);
                yr[i] = e;
                sum += e;
            }
            for (int i = 0; i < classes; i++)
                yr[i] = (float)(yr[i] / sum);
        }
    }

    /// <summary>
    /// The full Jacobian-vector product of softmax: dx[n,i] = y[n,i]·(dy[n,i] − Σ_j dy[n,j]·y[n,j]),
    /// the dot product accumulated in double in index order, with y the output of <see cref="Forward"/>.
    /// dx is overwritten.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> y /*N,K*/, ReadOnlySpan<float> dy /*N,K*/, Span<float> dx /*N,K*/, int batch, int classes)
    {
        int length = CheckSizes(batch, classes);
        CheckLength(length, y.Length, nameof(y));
        CheckLength(length, dy.Length, nameof(dy));
        CheckLength(length, dx.Length, nameof(dx));
        for (int row = 0; row < batch; row++)
        {
            int start = row * classes;
            double dot = 0;
            for (int i = 0; i < classes; i++)
                dot += (double)dy[start + i] * y[start + i];
            for (int i = 0; i < classes; i++)
                dx[start + i] = (float)(y[start + i] * (dy[start + i] - dot));
        }
    }

    /// <summary>
    /// The gradient of the mean cross-entropy with respect to the logits that fed a softmax:
    /// dLogits[n,i] = (p[n,i] − [i = labels[n]]) / batch, computed in double and rounded once.
    /// It equals <see cref="Backward"/> applied to the cross-entropy gradient on probabilities,
    /// up to the ε of <see cref="LossKernels.Epsilon"/>, and is cheaper and exact near p = 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..classes−1 (the message names its index).</exception>
    public static void FusedCrossEntropyGradient(ReadOnlySpan<float> probabilities /*N,K*/, ReadOnlySpan<int> labels /*N*/, Span<float> dLogits /*N,K*/, int batch, int classes)
    {
        int length = CheckSizes(batch, classes);
        CheckLength(length, probabilities.Length, nameof(probabilities));
        CheckLength(length, dLogits.Length, nameof(dLogits));
        LossKernels.CheckLabels(labels, batch, classes);
        double scale = 1.0 / batch;
        for (int row = 0; row < batch; row++)
        {
            int start = row * classes, label = labels[row];
            for (int i = 0; i < classes; i++)
            {
                double target = i == label ? 1.0 : 0.0;
                dLogits[start + i] = (float)((probabilities[start + i] - target) * scale);
            }
        }
    }

    private static int CheckSizes(int batch, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        return batch * classes;
    }

    private static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Softmax: {name} holds {actual} values but the batch needs {needed}.", name);
    }
}
