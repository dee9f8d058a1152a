using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// RMSprop: <c>s ← ρ·s + (1−ρ)·g²</c>; <c>w ← w − η·g / (√s + ε)</c>, where for weights <c>g</c> includes the
/// L2 term <c>λ·w</c>. Keeps one decaying mean of squared gradients per parameter, zero after <c>Initialize</c>.
/// Exact operations: <c>d = fma(λ, w, g)</c>; <c>s = fma(ρ, s, (1−ρ)·(d·d))</c> with 1−ρ rounded once;
/// <c>w = w − (η·d) / (√s + ε)</c>.
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Creates RMSprop.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="rho">Decay ρ of the mean square, in [0, 1).</param>
    /// <param name="epsilon">ε added to √s in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public RmsProp(float eta, float rho = 0.9f, float epsilon = 1e-8f) : base(eta, stateVectorCount: 1)
    {
        CheckCoefficient("rmsprop", nameof(rho), rho);
        CheckEpsilon("rmsprop", nameof(epsilon), epsilon);
        Rho = rho;
        Epsilon = epsilon;
    }

    /// <summary>The decay ρ: the fraction of the previous mean square kept each step.</summary>
    public float Rho { get; }

    /// <summary>ε, added to √s in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "rmsprop";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, rho={Rho}, epsilon={Epsilon})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice) => slice.Apply(new RmsPropRule(slice.LearningRate, Rho, Epsilon));
}
