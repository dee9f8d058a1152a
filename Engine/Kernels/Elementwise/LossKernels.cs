namespace Engine.Kernels;

/// <summary>
/// Reference loss values and gradients over network outputs <c>[N, K]</c> and integer labels <c>[N]</c>
/// (the target t is the one-hot vector of the label). Values are accumulated in double in index order;
/// each gradient is the exact derivative of its value, computed in double and rounded once to float.
/// Nothing here allocates.
/// </summary>
/// <remarks>
/// Every method throws <see cref="ArgumentOutOfRangeException"/> naming the offending index if a label is
/// outside 0..K−1, and <see cref="ArgumentException"/> if a span is shorter than the batch needs.
/// </remarks>
internal static class LossKernels
{
    /// <summary>ε added inside the logarithms of the log-loss and the cross-entropy so that log(0) is never taken.</summary>
    public const double Epsilon = 1e-9;

    /// <summary>L = (1/(N·K)) Σ_n Σ_k (y[n,k] − t[n,k])²: the mean over the batch AND the classes.</summary>
    public static double MeanSquaredError(ReadOnlySpan<float> outputs /*N,K*/, ReadOnlySpan<int> labels /*N*/, int batch, int classes)
    {
        Check(outputs.Length, labels, batch, classes, nameof(outputs));
        double sum = 0;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
            {
                double d = outputs[n * classes + k] - Target(labels[n], k);
                sum += d * d;
            }
        return batch == 0 ? 0 : sum / ((double)batch * classes);
    }

    /// <summary>dL/dy[n,k] = 2(y[n,k] − t[n,k]) / (N·K); <paramref name="gradient"/> is overwritten.</summary>
    public static void MeanSquaredErrorGradient(ReadOnlySpan<float> outputs /*N,K*/, ReadOnlySpan<int> labels /*N*/, Span<float> gradient /*N,K*/, int batch, int classes)
    {
        Check(outputs.Length, labels, batch, classes, nameof(outputs));
        CheckLength(batch * classes, gradient.Length, nameof(gradient));
        double scale = 2.0 / ((double)batch * classes);
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
            {
                int i = n * classes + k;
                gradient[i] = (float)((outputs[i] - Target(labels[n], k)) * scale);
            }
    }

    /// <summary>
    /// The binary log-loss of the report's Eq. 3, per sample summed over the classes and averaged over the batch:
    /// L = −(1/N) Σ_n Σ_k [t·log(y + ε) + (1 − t)·log(1 − y + ε)] with y = y[n,k], t = t[n,k], ε = <see cref="Epsilon"/>.
    /// Outputs are probabilities in [0, 1]; outside that a logarithm may be NaN.
    /// </summary>
    public static double LogLoss(ReadOnlySpan<float> outputs /*N,K*/, ReadOnlySpan<int> labels /*N*/, int batch, int classes)
    {
        Check(outputs.Length, labels, batch, classes, nameof(outputs));
        double sum = 0;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
            {
                double y = outputs[n * classes + k];
                sum += k == labels[n] ? Math.Log(y + Epsilon) : Math.Log(1.0 - y + Epsilon);
            }
        return batch == 0 ? 0 : -sum / batch;
    }

    /// <summary>
    /// dL/dy[n,k] = −(1/N)·[t/(y + ε) − (1 − t)/(1 − y + ε)], i.e. −1/(N(y + ε)) at the label and
    /// 1/(N(1 − y + ε)) elsewhere; <paramref name="gradient"/> is overwritten.
    /// </summary>
    public static void LogLossGradient(ReadOnlySpan<float> outputs /*N,K*/, ReadOnlySpan<int> labels /*N*/, Span<float> gradient /*N,K*/, int batch, int classes)
    {
        Check(outputs.Length, labels, batch, classes, nameof(outputs));
        CheckLength(batch * classes, gradient.Length, nameof(gradient));
        double scale = 1.0 / batch;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
            {
                int i = n * classes + k;
                double y = outputs[i];
                gradient[i] = (float)(k == labels[n] ? -scale / (y + Epsilon) : scale / (1.0 - y + Epsilon));
            }
    }

    /// <summary>
    /// Categorical cross-entropy on probabilities: L = −(1/N) Σ_n log(p[n, labels[n]] + ε), ε = <see cref="Epsilon"/>.
    /// </summary>
    public static double CrossEntropy(ReadOnlySpan<float> probabilities /*N,K*/, ReadOnlySpan<int> labels /*N*/, int batch, int classes)
    {
        Check(probabilities.Length, labels, batch, classes, nameof(probabilities));
        double sum = 0;
        for (int n = 0; n < batch; n++)
            sum += Math.Log((double)probabilities[n * classes + labels[n]] + Epsilon);
        return batch == 0 ? 0 : -sum / batch;
    }

    /// <summary>
    /// dL/dp[n,k] = −1/(N(p[n,k] + ε)) at k = labels[n], 0 elsewhere; <paramref name="gradient"/> is overwritten.
    /// </summary>
    public static void CrossEntropyGradient(ReadOnlySpan<float> probabilities /*N,K*/, ReadOnlySpan<int> labels /*N*/, Span<float> gradient /*N,K*/, int batch, int classes)
    {
        Check(probabilities.Length, labels, batch, classes, nameof(probabilities));
        CheckLength(batch * classes, gradient.Length, nameof(gradient));
        gradient[..(batch * classes)].Clear();
        double scale = 1.0 / batch;
        for (int n = 0; n < batch; n++)
        {
            int i = n * classes + labels[n];
            gradient[i] = (float)(-scale / ((double)probabilities[i] + Epsilon));
        }
    }

    /// <summary>Throws if a label among the first <paramref name="batch"/> is outside 0..classes−1, naming its index.</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than <paramref name="batch"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range.</exception>
    public static void CheckLabels(ReadOnlySpan<int> labels, int batch, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        CheckLength(batch, labels.Length, nameof(labels));
        for (int n = 0; n < batch; n++)
            if ((uint)labels[n] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[n], $"labels[{n}] = {labels[n]} is outside the classes 0..{classes - 1}.");
    }

    private static double Target(int label, int k) => k == label ? 1.0 : 0.0;

    private static void Check(int outputLength, ReadOnlySpan<int> labels, int batch, int classes, string outputName)
    {
        CheckLabels(labels, batch, classes);
        CheckLength(batch * classes, outputLength, outputName);
    }

    private static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Loss: {name} holds {actual} values but the batch needs {needed}.", name);
    }
}
