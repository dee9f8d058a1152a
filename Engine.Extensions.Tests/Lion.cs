using Engine.Optimizers;

namespace Engine.Extensions.Tests;

/// <summary>
/// A user's optimizer: Lion (Chen et al. 2023) — u = sign(β1·m + (1 − β1)·d); w ← w·(1 − lr·wd) − lr·u;
/// m ← β2·m + (1 − β2)·d, with d = g + λ·w. One state vector (m) per parameter, kept by the base class.
/// </summary>
public sealed class Lion : Optimizer
{
    /// <summary>Creates Lion.</summary>
    public Lion(float eta, float beta1 = 0.9f, float beta2 = 0.99f) : base(eta, stateVectorCount: 1)
    {
        CheckCoefficient("lion", nameof(beta1), beta1);
        CheckCoefficient("lion", nameof(beta2), beta2);
        (Beta1, Beta2) = (beta1, beta2);
    }

    /// <summary>β1, the interpolation of the update's direction.</summary>
    public float Beta1 { get; }

    /// <summary>β2, the decay of the momentum.</summary>
    public float Beta2 { get; }

    /// <inheritdoc />
    public override string Name => "lion";

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
    {
        Span<float> w = slice.Parameters, m = slice.State(0);
        ReadOnlySpan<float> g = slice.Gradients;
        float lr = slice.LearningRate;
        for (int i = 0; i < w.Length; i++)
        {
            float d = g[i] + slice.L2 * w[i];
            float u = MathF.Sign(Beta1 * m[i] + (1 - Beta1) * d);
            w[i] = w[i] * (1 - lr * slice.WeightDecay) - lr * u;
            m[i] = Beta2 * m[i] + (1 - Beta2) * d;
        }
    }
}
