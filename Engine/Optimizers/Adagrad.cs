using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Adagrad: <c>G ← G + g²</c>; <c>w ← w − η·g / (√G + ε)</c>, where for weights <c>g</c> includes the L2 term
/// <c>λ·w</c>. Keeps one running sum of squared gradients per parameter, zero after <c>Initialize</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private float[]? _sumOfSquares;

    /// <summary>Creates Adagrad.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="epsilon">ε added to √G in the denominator, a positive finite number.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Adagrad(float eta, float epsilon = 1e-8f) : base(eta)
    {
        OptimizerKernels.CheckEpsilon("adagrad", nameof(epsilon), epsilon);
        Epsilon = epsilon;
    }

    /// <summary>ε, added to √G in the denominator so it is never zero.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override string Name => "adagrad";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, epsilon={Epsilon})");

    internal override void Initialize(int parameterCount)
    {
        OptimizerKernels.CheckInitialize(Name, parameterCount);
        _sumOfSquares = new float[parameterCount];
        StepCount = 0;
    }

    internal override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2)
    {
        OptimizerKernels.CheckStep(Name, _sumOfSquares?.Length ?? -1, parameters.Length, gradients.Length, decayedCount, l2);
        Span<float> sumOfSquares = _sumOfSquares!;
        int k = decayedCount;
        OptimizerKernels.Adagrad(parameters[..k], gradients[..k], sumOfSquares[..k], Eta, Epsilon, l2);
        OptimizerKernels.Adagrad(parameters[k..], gradients[k..], sumOfSquares[k..], Eta, Epsilon, 0f);
        StepCount++;
    }
}
