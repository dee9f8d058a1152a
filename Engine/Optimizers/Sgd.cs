using System.Globalization;
using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// Plain (stochastic) gradient descent: <c>w ← w − η·g</c>, where for weights <c>g</c> includes the L2 term <c>λ·w</c>.
/// Keeps no state.
/// </summary>
public sealed class Sgd : Optimizer
{
    private int _parameterCount = -1;

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

    internal override void Initialize(int parameterCount)
    {
        OptimizerKernels.CheckInitialize(Name, parameterCount);
        _parameterCount = parameterCount;
        StepCount = 0;
    }

    internal override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2)
    {
        OptimizerKernels.CheckStep(Name, _parameterCount, parameters.Length, gradients.Length, decayedCount, l2);
        OptimizerKernels.Sgd(parameters[..decayedCount], gradients[..decayedCount], Eta, l2);
        OptimizerKernels.Sgd(parameters[decayedCount..], gradients[decayedCount..], Eta, 0f);
        StepCount++;
    }
}
