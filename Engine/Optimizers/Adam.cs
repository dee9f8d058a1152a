using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with bias correction by step number t (1 on the first step):
/// <c>m ← β1·m + (1−β1)·g</c>; <c>v ← β2·v + (1−β2)·g²</c>; <c>m̂ = m / (1−β1^t)</c>; <c>v̂ = v / (1−β2^t)</c>;
/// <c>w ← w − η·m̂ / (√v̂ + ε)</c>, where for weights <c>g</c> includes the L2 term <c>λ·w</c> (classic L2, not
/// AdamW's decoupled decay). Keeps two moments per parameter, both zero after <c>Initialize</c>.
/// </summary>
public sealed class Adam : Optimizer
{
    private float[]? _firstMoment;
    private float[]? _secondMoment;

    /// <summary>Creates Adam.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="beta1">Decay β1 of the first moment (mean of gradients), in [0, 1).</param>
    /// <param name="beta2">Decay β2 of the second moment (mean of squared gradients), in [0, 1).</param>
    /// <param name="epsilon">ε added to √v̂ in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Adam(float eta, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) : base(eta)
    {
        OptimizerKernels.CheckCoefficient("adam", nameof(beta1), beta1);
        OptimizerKernels.CheckCoefficient("adam", nameof(beta2), beta2);
        OptimizerKernels.CheckEpsilon("adam", nameof(epsilon), epsilon);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The decay β1 of the first moment m.</summary>
    public float Beta1 { get; }

    /// <summary>The decay β2 of the second moment v.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to √v̂ in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adam";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Name}(eta={Eta}, beta1={Beta1}, beta2={Beta2}, epsilon={Epsilon})");

    internal override void Initialize(int parameterCount)
    {
        OptimizerKernels.CheckInitialize(Name, parameterCount);
        _firstMoment = new float[parameterCount];
        _secondMoment = new float[parameterCount];
        StepCount = 0;
    }

    internal override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2)
    {
        OptimizerKernels.CheckStep(Name, _firstMoment?.Length ?? -1, parameters.Length, gradients.Length, decayedCount, l2);
        int t = StepCount + 1;
        // The bias corrections 1 − β^t, once per step in double; both lie in (0, 1] for β in [0, 1) and t ≥ 1.
        float biasCorrection1 = (float)(1.0 - Math.Pow(Beta1, t));
        float biasCorrection2 = (float)(1.0 - Math.Pow(Beta2, t));
        Span<float> m = _firstMoment!;
        Span<float> v = _secondMoment!;
        int k = decayedCount;
        OptimizerKernels.Adam(parameters[..k], gradients[..k], m[..k], v[..k],
                              Eta, Beta1, Beta2, Epsilon, biasCorrection1, biasCorrection2, l2);
        OptimizerKernels.Adam(parameters[k..], gradients[k..], m[k..], v[k..],
                              Eta, Beta1, Beta2, Epsilon, biasCorrection1, biasCorrection2, 0f);
        StepCount = t;
    }
}
