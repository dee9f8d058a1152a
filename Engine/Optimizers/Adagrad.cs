using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Adagrad: <c>G ← G + g²</c>; <c>w ← w − η·g / (√G + ε)</c>, where for weights <c>g</c> includes the L2 term
/// <c>λ·w</c>. Keeps one running sum of squared gradients per parameter, zero after <c>Initialize</c>.
/// Exact operations: <c>d = fma(λ, w, g)</c>; <c>G = fma(d, d, G)</c>; <c>w = w − (η·d) / (√G + ε)</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates Adagrad.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="epsilon">ε added to √G in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Adagrad(float eta, float epsilon = 1e-8f) : base(eta, stateVectorCount: 1)
    {
        CheckEpsilon("adagrad", nameof(epsilon), epsilon);
        Epsilon = epsilon;
    }

    /// <summary>ε, added to √G in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adagrad";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, epsilon={Epsilon})");

    /// <inheritdoc />
    protected override void Update(OptimizerSlice slice) => slice.Apply(new AdagradRule(slice.LearningRate, Epsilon));
}
