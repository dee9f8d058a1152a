using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Gradient descent with momentum: <c>v ← μ·v + η·g</c>; <c>w ← w − v</c>, where for weights <c>g</c> includes
/// the L2 term <c>λ·w</c>. Keeps one velocity per parameter, zero after <c>Initialize</c>.
/// </summary>
public sealed class Momentum : Optimizer
{
    private float[]? _velocity;

    /// <summary>Creates gradient descent with momentum.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="momentum">Momentum coefficient μ, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Momentum(float eta, float momentum = 0.9f) : base(eta)
    {
        OptimizerKernels.CheckCoefficient("momentum", nameof(momentum), momentum);
        MomentumCoefficient = momentum;
    }

    /// <summary>The momentum coefficient μ: the fraction of the previous velocity kept each step.</summary>
    public float MomentumCoefficient { get; }

    /// <inheritdoc />
    public override string Name => "momentum";

    /// <inheritdoc />
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta}, momentum={MomentumCoefficient})");

    internal override void Initialize(int parameterCount)
    {
        OptimizerKernels.CheckInitialize(Name, parameterCount);
        _velocity = new float[parameterCount];
        StepCount = 0;
    }

    internal override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2)
    {
        OptimizerKernels.CheckStep(Name, _velocity?.Length ?? -1, parameters.Length, gradients.Length, decayedCount, l2);
        Span<float> v = _velocity!;
        int k = decayedCount;
        OptimizerKernels.Momentum(parameters[..k], gradients[..k], v[..k], Eta, MomentumCoefficient, l2);
        OptimizerKernels.Momentum(parameters[k..], gradients[k..], v[k..], Eta, MomentumCoefficient, 0f);
        StepCount++;
    }
}
