using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Plain (stochastic) gradient descent: <c>w ← w − η·g</c>, where for weights <c>g</c> includes the L2 term <c>λ·w</c>.
/// Keeps no state. Exact operations: <c>d = fma(λ, w, g)</c>; <c>w = fma(−η, d, w)</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates plain gradient descent with learning rate <paramref name="eta"/>.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eta"/> is not a positive finite number.</exception>
    public Sgd(float eta) : base(eta)
    {
    }

    /// <inheritdoc />
    public override string Name => "sgd";

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice) => slice.Apply(new SgdRule(slice.LearningRate));
}
