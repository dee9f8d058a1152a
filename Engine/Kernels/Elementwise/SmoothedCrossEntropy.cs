namespace Engine.Kernels;

/// <summary>
/// Cross-entropy against smoothed targets q = (1 − s)·onehot + s/K (label smoothing s): the loss
/// −(1/N) Σ_n Σ_k q[n, k]·log(p[n, k] + ε) in double, its gradient −q/(N·(p + ε)), and with a softmax the fused gradient with
/// respect to the logits, (p − q)/N. Element by element, so every tier gives the same bits.
/// </summary>
internal static class SmoothedCrossEntropy
{
    private const double Epsilon = 1e-9;

    /// <summary>The smoothed target of class <paramref name="k"/> for label <paramref name="label"/>.</summary>
    private static float Target(int k, int label, float smoothing, int classes) =>
        (k == label ? 1f - smoothing : 0f) + smoothing / classes;

    /// <summary>The mean loss of p [N, K] against labels [N].</summary>
    public static double Loss(ReadOnlySpan<float> p, ReadOnlySpan<int> labels, int batch, int classes, float smoothing)
    {
        LossKernels.CheckLabels(labels, batch, classes);
        double sum = 0;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
            {
                float q = Target(k, labels[n], smoothing, classes);
                if (q != 0f) sum -= q * Math.Log(p[n * classes + k] + Epsilon);
            }
        return sum / batch;
    }

    /// <summary>gradient [N, K] = −q / (N·(p + ε)), overwritten.</summary>
    public static void Gradient(ReadOnlySpan<float> p, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes, float smoothing)
    {
        LossKernels.CheckLabels(labels, batch, classes);
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
                gradient[n * classes + k] = (float)(-Target(k, labels[n], smoothing, classes) / (batch * (p[n * classes + k] + Epsilon)));
    }

    /// <summary>dLogits [N, K] = (p − q)/N for a softmax output p, overwritten.</summary>
    public static void FusedSoftmaxGradient(ReadOnlySpan<float> p, ReadOnlySpan<int> labels, Span<float> dLogits, int batch, int classes, float smoothing)
    {
        LossKernels.CheckLabels(labels, batch, classes);
        float inverse = 1f / batch;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < classes; k++)
                dLogits[n * classes + k] = (p[n * classes + k] - Target(k, labels[n], smoothing, classes)) * inverse;
    }
}
