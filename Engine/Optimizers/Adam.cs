using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with bias correction by step number t (1 on the first step):
/// <c>m ← β1·m + (1−β1)·g</c>; <c>v ← β2·v + (1−β2)·g²</c>; <c>m̂ = m / (1−β1^t)</c>; <c>v̂ = v / (1−β2^t)</c>;
/// <c>w ← w − η·m̂ / (√v̂ + ε)</c>, where for weights <c>g</c> includes the L2 term <c>λ·w</c> (classic L2; see
/// <see cref="AdamW"/> for decoupled decay). Keeps two moments per parameter, both zero after <c>Initialize</c>.
/// </summary>
/// <remarks>
/// Exact operations: <c>d = fma(λ, w, g)</c>; <c>m = fma(β1, m, (1−β1)·d)</c>; <c>v = fma(β2, v, (1−β2)·(d·d))</c>
/// with 1−β1 and 1−β2 rounded once; <c>m̂ = m / c1</c>, <c>v̂ = v / c2</c> where <c>c = 1 − β^t</c> is evaluated
/// in double once per step and rounded to float; <c>w = w − (η·m̂) / (√v̂ + ε)</c>.
/// </remarks>
public sealed class Adam : Optimizer
{
    /// <summary>Creates Adam.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="beta1">Decay β1 of the first moment (mean of gradients), in [0, 1).</param>
    /// <param name="beta2">Decay β2 of the second moment (mean of squared gradients), in [0, 1).</param>
    /// <param name="epsilon">ε added to √v̂ in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Adam(float eta, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) : base(eta, stateVectorCount: 2)
    {
        CheckHyperParameters("adam", beta1, beta2, epsilon);
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

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
        => slice.Apply(AdamRule.ForStep(slice.LearningRate, Beta1, Beta2, Epsilon, slice.StepNumber));

    /// <summary>The constructor checks of Adam and AdamW, naming <paramref name="name"/>.</summary>
    internal static void CheckHyperParameters(string name, float beta1, float beta2, float epsilon)
    {
        CheckCoefficient(name, nameof(beta1), beta1);
        CheckCoefficient(name, nameof(beta2), beta2);
        CheckEpsilon(name, nameof(epsilon), epsilon);
    }
}
