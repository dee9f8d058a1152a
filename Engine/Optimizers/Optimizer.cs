namespace Engine.Optimizers;

/// <summary>
/// An update rule applied to all of a network's parameters at once: they live in one contiguous
/// buffer (weights first, then biases) and their gradients in another, so a step is one flat loop.
/// L2 regularisation adds <c>λ·w</c> to the gradient of each weight (not of biases) before the rule.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Creates an optimizer with learning rate <paramref name="eta"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eta"/> is not a positive finite number.</exception>
    protected Optimizer(float eta)
    {
        if (!(eta > 0) || !float.IsFinite(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "The learning rate must be a positive finite number.");
        Eta = eta;
    }

    /// <summary>The learning rate η.</summary>
    public float Eta { get; }

    /// <summary>The rule's short name, e.g. <c>adam</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Steps taken since <see cref="Initialize"/> (Adam's bias correction uses it).</summary>
    public int StepCount { get; private protected set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}(eta={Eta})";

    /// <summary>Sizes the state (moments, accumulators) for <paramref name="parameterCount"/> parameters, zeroes it and the step count.</summary>
    internal abstract void Initialize(int parameterCount);

    /// <summary>
    /// One update of parameters[P] from gradients[P]: the first <paramref name="decayedCount"/> entries
    /// (the weights) use gradient + <paramref name="l2"/>·parameter, the rest the gradient alone.
    /// Increments <see cref="StepCount"/> once.
    /// </summary>
    internal abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2);
}
