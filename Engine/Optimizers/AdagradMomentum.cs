using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Adagrad with momentum: <c>G ← G + g²</c>; <c>v ← μ·v + η·g / (√G + ε)</c>; <c>w ← w − v</c>, where for weights
/// <c>g</c> includes the L2 term <c>λ·w</c>. Keeps a running sum of squared gradients and a velocity per parameter,
/// both zero after <c>Initialize</c>. Exact operations: <c>d = fma(λ, w, g)</c>; <c>G = fma(d, d, G)</c>;
/// <c>v = fma(μ, v, (η·d) / (√G + ε))</c>; <c>w = w − v</c>.
/// </summary>
public sealed class AdagradMomentum : Optimizer
{
    /// <summary>Creates Adagrad with momentum.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="momentum">Momentum coefficient μ, in [0, 1).</param>
    /// <param name="epsilon">ε added to √G in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public AdagradMomentum(float eta, float momentum = 0.9f, float epsilon = 1e-8f) : base(eta, stateVectorCount: 2)
    {
        CheckCoefficient("adagrad-momentum", nameof(momentum), momentum);
        CheckEpsilon("adagrad-momentum", nameof(epsilon), epsilon);
        MomentumCoefficient = momentum;
        Epsilon = epsilon;
    }

    /// <summary>The momentum coefficient μ: the fraction of the previous velocity kept each step.</summary>
    public float MomentumCoefficient { get; }

    /// <summary>ε, added to √G in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adagrad-momentum";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, momentum={MomentumCoefficient}, epsilon={Epsilon})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
        => slice.Apply(new AdagradMomentumRule(slice.LearningRate, MomentumCoefficient, Epsilon));
}
