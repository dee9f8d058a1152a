using Engine.Losses;

namespace Engine.Extensions.Tests;

/// <summary>
/// A user's loss: the focal loss on class probabilities, L = −(1/N) Σ (1 − p_y)^γ · log(p_y + ε) (γ = 2, ε = 1e−9),
/// which down-weights images the network already classifies well.
/// </summary>
public sealed class FocalLoss(float gamma = 2f) : Loss
{
    private const double Epsilon = 1e-9;

    /// <inheritdoc />
    public override string Name => "focal";

    /// <inheritdoc />
    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double sum = 0;
        for (int n = 0; n < batch; n++)
        {
            double p = outputs[n * classes + labels[n]];
            sum -= Math.Pow(1 - p, gamma) * Math.Log(p + Epsilon);
        }
        return sum / batch;
    }

    /// <inheritdoc />
    public override void Gradient(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes)
    {
        gradient[..(batch * classes)].Clear();
        for (int n = 0; n < batch; n++)
        {
            double p = outputs[n * classes + labels[n]];
            // d/dp of −(1 − p)^γ log(p + ε) = γ(1 − p)^(γ−1) log(p + ε) − (1 − p)^γ / (p + ε)
            double d = gamma * Math.Pow(1 - p, gamma - 1) * Math.Log(p + Epsilon) - Math.Pow(1 - p, gamma) / (p + Epsilon);
            gradient[n * classes + labels[n]] = (float)(d / batch);
        }
    }
}
