using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// RMSprop with momentum: <c>s ← ρ·s + (1−ρ)·g²</c>; <c>v ← μ·v + η·g / (√s + ε)</c>; <c>w ← w − v</c>, where for
/// weights <c>g</c> includes the L2 term <c>λ·w</c>. Keeps a decaying mean of squared gradients and a velocity per
/// parameter, both zero after <c>Initialize</c>. Exact operations: <c>d = fma(λ, w, g)</c>;
/// <c>s = fma(ρ, s, (1−ρ)·(d·d))</c> with 1−ρ rounded once; <c>v = fma(μ, v, (η·d) / (√s + ε))</c>; <c>w = w − v</c>.
/// </summary>
public sealed class RmsPropMomentum : Optimizer
{
    /// <summary>Creates RMSprop with momentum.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="rho">Decay ρ of the mean square, in [0, 1).</param>
    /// <param name="momentum">Momentum coefficient μ, in [0, 1).</param>
    /// <param name="epsilon">ε added to √s in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public RmsPropMomentum(float eta, float rho = 0.9f, float momentum = 0.9f, float epsilon = 1e-8f)
        : base(eta, stateVectorCount: 2)
    {
        CheckCoefficient("rmsprop-momentum", nameof(rho), rho);
        CheckCoefficient("rmsprop-momentum", nameof(momentum), momentum);
        CheckEpsilon("rmsprop-momentum", nameof(epsilon), epsilon);
        Rho = rho;
        MomentumCoefficient = momentum;
        Epsilon = epsilon;
    }

    /// <summary>The decay ρ: the fraction of the previous mean square kept each step.</summary>
    public float Rho { get; }

    /// <summary>The momentum coefficient μ: the fraction of the previous velocity kept each step.</summary>
    public float MomentumCoefficient { get; }

    /// <summary>ε, added to √s in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "rmsprop-momentum";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Name}(eta={Eta}, rho={Rho}, momentum={MomentumCoefficient}, epsilon={Epsilon})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
        => slice.Apply(new RmsPropMomentumRule(slice.LearningRate, Rho, MomentumCoefficient, Epsilon));
}
