namespace Engine.Optimizers;

/// <summary>
/// What one <see cref="Optimizer.Step(Span{float}, ReadOnlySpan{float}, in OptimizerStep)"/> applies besides the
/// rule: which leading parameters are weights, the coupled L2 coefficients, the learning rate of this step and the
/// decoupled weight decay. <c>default</c> is: no weights, no L2, no decay, the optimizer's own <see cref="Optimizer.Eta"/>.
/// </summary>
/// <example>
/// <code>
/// optimizer.Step(parameters, gradients, new OptimizerStep
/// {
///     DecayedCount = weightCount,             // parameters[..weightCount] are weights, the rest biases etc.
///     WeightDecay = 5e-4f,                    // w ← w − lr·wd·w on the weights (AdamW / SGDW meaning)
///     LearningRate = optimizer.Eta * factor,  // a schedule's factor for this step
/// });
/// </code>
/// </example>
public readonly struct OptimizerStep
{
    /// <summary>How many leading parameters are weights (0 ≤ count ≤ P); the rest are the other parameters (biases, …).</summary>
    public int DecayedCount { get; init; }

    /// <summary>Coupled L2 coefficient λ for the weights: λ·w is added to each weight's gradient before the rule. Finite, ≥ 0.</summary>
    public float WeightL2 { get; init; }

    /// <summary>Coupled L2 coefficient for the other parameters (usually 0). Finite, ≥ 0.</summary>
    public float OtherL2 { get; init; }

    /// <summary>
    /// The learning rate of this step (e.g. <see cref="Optimizer.Eta"/> × a schedule factor), finite and ≥ 0;
    /// null (the default) uses <see cref="Optimizer.Eta"/>. 0 is a real learning rate (warm-up from zero), not "unset".
    /// </summary>
    public float? LearningRate { get; init; }

    /// <summary>
    /// Decoupled weight decay wd for the weights only: before the rule each weight becomes <c>w·(1 − lr·wd)</c>
    /// (PyTorch's AdamW/SGDW meaning; lr is this step's learning rate). Finite, ≥ 0; 0 (the default) is none and
    /// leaves the update bit-identical to one without decay.
    /// </summary>
    public float WeightDecay { get; init; }
}
