namespace Engine.Kernels;

/// <summary>
/// The fast softmax over rows of logits, its backward pass, and the fused softmax + cross-entropy gradient.
/// Layouts are <c>[N, K]</c> (N = batch rows of K = classes). Nothing here allocates.
/// </summary>
/// <remarks>
/// Rows are short here (10 classes), so only the exponential is vectorised, over the whole batch at once
/// (<see cref="ExpOperator"/> through the tier-dispatched <see cref="Activations"/> driver, identical bits on
/// every tier); the row maximum, the double-precision row sums (index order) and the quotients stay scalar, in
/// the same order as <see cref="SoftmaxReference"/>. So the result differs from the reference only by the few ulp
/// of <see cref="VectorExp"/> against <see cref="MathF.Exp"/>, and is the same on every tier.
/// </remarks>
internal static class SoftmaxKernels
{
    /// <summary>
    /// y[n, i] = e^(x[n,i] − m) / Σ_j e^(x[n,j] − m) with m the row maximum, so large logits (e.g. 1000)
    /// cannot overflow. e^(x − m) is <see cref="VectorExp"/> in float; the row sum is accumulated in double in
    /// index order and each quotient is taken in double, then rounded once to float.
    /// </summary>
    /// <remarks>
    /// A NaN logit, or +∞ (∞ − ∞ = NaN), makes the whole row NaN, so divergence stays visible.
    /// In place (y and x starting at the same address) is allowed.
    /// </remarks>
    public static void Forward(ReadOnlySpan<float> x /*N,K*/, Span<float> y /*N,K*/, int batch, int classes)
    {
        int length = CheckSizes(batch, classes);
        CheckLength(length, x.Length, nameof(x));
        CheckLength(length, y.Length, nameof(y));
        // Pass 1: shift each row by its maximum (the same comparison order as the reference).
        for (int row = 0; row < batch; row++)
        {
            var xr = x.Slice(row * classes, classes);
            var yr = y.Slice(row * classes, classes);
            float max = xr[0];
            for (int i = 1; i < classes; i++)
                if (xr[i] > max) max = xr[i];
            for (int i = 0; i < classes; i++)
                yr[i] = xr[i] - max;
        }
        // Pass 2: the exponential of the whole batch, vectorised.
        var all = y[..length];
        Activations.Forward(new ExpOperator(), all, all);
        // Pass 3: normalise each row.
        for (int row = 0; row < batch; row++)
        {
            var yr = y.Slice(row * classes, classes);
            double sum = 0;
            for (int i = 0; i < classes; i++)
                sum += yr[i];
            for (int i = 0; i < classes; i++)
                yr[i] = (float)(yr[i] / sum);
        }
    }

    /// <summary>
    /// The full Jacobian-vector product of softmax: dx[n,i] = y[n,i]·(dy[n,i] − Σ_j dy[n,j]·y[n,j]),
    /// the dot product accumulated in double in index order, with y the output of <see cref="Forward"/>.
    /// dx is overwritten.
    /// </summary>
    /// <remarks>No exponential and rows of 10: this is <see cref="SoftmaxReference.Backward"/> itself.</remarks>
    public static void Backward(ReadOnlySpan<float> y /*N,K*/, ReadOnlySpan<float> dy /*N,K*/, Span<float> dx /*N,K*/, int batch, int classes)
        => SoftmaxReference.Backward(y, dy, dx, batch, classes);

    /// <summary>
    /// The gradient of the mean cross-entropy with respect to the logits that fed a softmax:
    /// dLogits[n,i] = (p[n,i] − [i = labels[n]]) / batch, computed in double and rounded once.
    /// </summary>
    /// <remarks>One subtraction per element: this is <see cref="SoftmaxReference.FusedCrossEntropyGradient"/> itself.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside 0..classes−1 (the message names its index).</exception>
    public static void FusedCrossEntropyGradient(ReadOnlySpan<float> probabilities /*N,K*/, ReadOnlySpan<int> labels /*N*/, Span<float> dLogits /*N,K*/, int batch, int classes)
        => SoftmaxReference.FusedCrossEntropyGradient(probabilities, labels, dLogits, batch, classes);

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
