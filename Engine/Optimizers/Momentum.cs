using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Gradient descent with momentum, one velocity per parameter (zero after <c>Initialize</c>); for weights the
/// gradient <c>g</c> includes the L2 term <c>λ·w</c>, <c>d = fma(λ, w, g)</c>.
/// <list type="bullet">
/// <item>Classic (<c>nesterov: false</c>, name <c>momentum</c>): <c>v ← μ·v + η·d</c>; <c>w ← w − v</c>; exactly
/// <c>v = fma(μ, v, η·d)</c>, <c>w = w − v</c>.</item>
/// <item>Nesterov (<c>nesterov: true</c>, name <c>nesterov</c>), PyTorch's <c>SGD(nesterov=True)</c> without
/// dampening: <c>v ← μ·v + d</c>; <c>w ← w − η·(d + μ·v)</c>; exactly <c>v = fma(μ, v, d)</c>,
/// <c>n = fma(μ, v, d)</c>, <c>w = fma(−η, n, w)</c>. Its velocity does not hold η, so a learning-rate
/// schedule scales every step the same way.</item>
/// </list>
/// </summary>
public sealed class Momentum : Optimizer
{
    /// <summary>Creates gradient descent with classic or Nesterov momentum.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="momentum">Momentum coefficient μ, in [0, 1).</param>
    /// <param name="nesterov">True for Nesterov momentum (name <c>nesterov</c>), false for classic momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Momentum(float eta, float momentum = 0.9f, bool nesterov = false) : base(eta, stateVectorCount: 1)
    {
        CheckCoefficient(nesterov ? "nesterov" : "momentum", nameof(momentum), momentum);
        MomentumCoefficient = momentum;
        Nesterov = nesterov;
    }

    /// <summary>The momentum coefficient μ: the fraction of the previous velocity kept each step.</summary>
    public float MomentumCoefficient { get; }

    /// <summary>True for Nesterov momentum, false for classic momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override string Name => Nesterov ? "nesterov" : "momentum";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, momentum={MomentumCoefficient})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice)
    {
        if (Nesterov) slice.Apply(new NesterovRule(slice.LearningRate, MomentumCoefficient));
        else slice.Apply(new MomentumRule(slice.LearningRate, MomentumCoefficient));
    }
}
