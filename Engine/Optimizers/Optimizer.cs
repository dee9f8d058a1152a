using System.Globalization;

namespace Engine.Optimizers;

/// <summary>
/// An update rule applied to all of a network's parameters at once: they live in one contiguous buffer (weights
/// first, then biases and the other parameters) and their gradients in another, so a step is one flat pass.
/// </summary>
/// <remarks>
/// <para>
/// The base does everything but the rule: it checks the arguments of <see cref="Step(Span{float}, ReadOnlySpan{float}, in OptimizerStep)"/>
/// (a rejected step changes nothing), splits the buffer into the weights (the first
/// <see cref="OptimizerStep.DecayedCount"/> parameters) and the rest, owns the per-parameter state vectors, counts
/// steps and saves and loads the state. A subclass declares how many state vectors it needs in its constructor and
/// implements <see cref="Update"/>, which the base calls once for the weights and once for the other parameters
/// (skipping an empty run) with that run's slices and coefficients.
/// </para>
/// <para>
/// To write your own: derive, pass the learning rate and the number of state vectors to the constructor, check the
/// hyper-parameters with <see cref="CheckCoefficient"/> / <see cref="CheckEpsilon"/> / <see cref="CheckNonNegative"/>,
/// and update <see cref="OptimizerSlice.Parameters"/> in place from <see cref="OptimizerSlice.Gradients"/> and
/// <see cref="OptimizerSlice.State"/>, honouring <see cref="OptimizerSlice.L2"/> (add λ·w to the gradient) and
/// <see cref="OptimizerSlice.WeightDecay"/> (multiply w by 1 − lr·wd before the rule).
/// </para>
/// </remarks>
public abstract class Optimizer
{
    private float[]? _state;          // [StateVectorCount, P]; null until Initialize or LoadState
    private int _parameterCount = -1; // P, or −1 before Initialize / LoadState

    /// <summary>Creates a stateless optimizer with learning rate <paramref name="eta"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eta"/> is not a positive finite number.</exception>
    protected Optimizer(float eta) : this(eta, 0)
    {
    }

    /// <summary>Creates an optimizer with learning rate <paramref name="eta"/> that keeps <paramref name="stateVectorCount"/> values per parameter.</summary>
    /// <param name="eta">Learning rate η, a positive finite number.</param>
    /// <param name="stateVectorCount">State vectors the rule keeps (moments, accumulators, velocities), ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    protected Optimizer(float eta, int stateVectorCount)
    {
        if (!(eta > 0) || !float.IsFinite(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "The learning rate must be a positive finite number.");
        ArgumentOutOfRangeException.ThrowIfNegative(stateVectorCount);
        Eta = eta;
        StateVectorCount = stateVectorCount;
    }

    /// <summary>The learning rate η, used by every step that does not set <see cref="OptimizerStep.LearningRate"/>.</summary>
    public float Eta { get; }

    /// <summary>The rule's short name, e.g. <c>adam</c>; it also tags saved state.</summary>
    public abstract string Name { get; }

    /// <summary>Steps taken since <see cref="Initialize"/> (or the count restored by <see cref="LoadState"/>).</summary>
    public int StepCount { get; private set; }

    /// <summary>How many values the optimizer keeps per parameter (0 for plain gradient descent, 2 for Adam).</summary>
    public int StateVectorCount { get; }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}(eta={Eta})");

    /// <summary>Sizes the state for <paramref name="parameterCount"/> parameters and zeroes it and the step count.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parameterCount"/> is negative, or the state would not fit in one array.</exception>
    public void Initialize(int parameterCount)
    {
        if (parameterCount < 0)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount,
                $"The {Name} optimizer: the parameter count must not be negative.");
        long length = (long)StateVectorCount * parameterCount;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount,
                $"The {Name} optimizer: {StateVectorCount} state vectors of {parameterCount} parameters do not fit in one array.");
        if (_state is { } existing && existing.Length == length) Array.Clear(existing);
        else _state = new float[length];
        _parameterCount = parameterCount;
        StepCount = 0;
    }

    /// <summary>
    /// One update of parameters[P] from gradients[P]: the first <paramref name="decayedCount"/> entries (the
    /// weights) use gradient + <paramref name="l2"/>·parameter, the rest the gradient alone; learning rate
    /// <see cref="Eta"/>, no decoupled decay. Same as <see cref="Step(Span{float}, ReadOnlySpan{float}, in OptimizerStep)"/>
    /// with <c>DecayedCount = decayedCount, WeightL2 = l2</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The optimizer was not initialized.</exception>
    /// <exception cref="ArgumentException">A length differs from the initialized parameter count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decayedCount"/> is outside 0..P, or <paramref name="l2"/> is negative or not finite.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, int decayedCount, float l2)
        => Step(parameters, gradients, new OptimizerStep { DecayedCount = decayedCount, WeightL2 = l2 },
                nameof(decayedCount), nameof(l2));

    /// <summary>
    /// One update of parameters[P] from gradients[P] as <paramref name="step"/> describes (weights, L2, learning rate,
    /// decoupled decay). Checks everything first, so a rejected step changes nothing; then calls <see cref="Update"/>
    /// for the weights and for the other parameters and increments <see cref="StepCount"/> once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The optimizer was not initialized.</exception>
    /// <exception cref="ArgumentException">A length differs from the initialized parameter count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A field of <paramref name="step"/> is outside its range.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, in OptimizerStep step)
        => Step(parameters, gradients, step, nameof(step), nameof(step));

    private void Step(Span<float> parameters, ReadOnlySpan<float> gradients, in OptimizerStep step,
                      string decayedCountName, string weightL2Name)
    {
        int p = _parameterCount;
        if (p < 0)
            throw new InvalidOperationException(
                $"The {Name} optimizer has not been initialized: call Initialize(parameterCount) before Step.");
        if (parameters.Length != p)
            throw new ArgumentException(
                $"The {Name} optimizer was initialized for {p} parameters but Step was given {parameters.Length}.",
                nameof(parameters));
        if (gradients.Length != p)
            throw new ArgumentException(
                $"The {Name} optimizer was given {p} parameters but {gradients.Length} gradients; they must match.",
                nameof(gradients));
        int k = step.DecayedCount;
        if ((uint)k > (uint)p)
            throw new ArgumentOutOfRangeException(decayedCountName, k,
                $"The {Name} optimizer: the decayed (weight) count must be between 0 and the parameter count {p}.");
        CheckStepCoefficient(weightL2Name, step.WeightL2, "the L2 coefficient");
        CheckStepCoefficient(nameof(step), step.OtherL2, "the L2 coefficient of the other parameters");
        CheckStepCoefficient(nameof(step), step.WeightDecay, "the weight decay");
        float learningRate = step.LearningRate ?? Eta;
        CheckStepCoefficient(nameof(step), learningRate, "the learning rate");

        int t = StepCount + 1;
        if (k > 0)
            Update(new OptimizerSlice(parameters[..k], gradients[..k], _state, StateVectorCount, p, 0,
                                      learningRate, step.WeightL2, step.WeightDecay, t, isWeights: true));
        if (k < p)
            Update(new OptimizerSlice(parameters[k..], gradients[k..], _state, StateVectorCount, p, k,
                                      learningRate, step.OtherL2, 0f, t, isWeights: false));
        StepCount = t;
    }

    private void CheckStepCoefficient(string parameterName, float value, string what)
        => ThrowUnlessNonNegative(Name, parameterName, what, value);

    private static void ThrowUnlessNonNegative(string optimizerName, string parameterName, string what, float value)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(parameterName, value,
                $"The {optimizerName} optimizer: {what} must be a finite number >= 0.");
    }

    /// <summary>
    /// The rule, on one slice: update <see cref="OptimizerSlice.Parameters"/> and the state slices in place. Called by
    /// <see cref="Step(Span{float}, ReadOnlySpan{float}, in OptimizerStep)"/> after all checks, once for the weights
    /// and once for the other parameters (never for an empty run), both with the same step number.
    /// </summary>
    /// <param name="slice">The run to update, its state and its coefficients; see <see cref="OptimizerSlice"/> for the span contract.</param>
    protected abstract void Update(OptimizerSlice slice);

    /// <summary>A copy of the step count and the state vectors, to persist in a checkpoint.</summary>
    /// <exception cref="InvalidOperationException">The optimizer was not initialized.</exception>
    public OptimizerState SaveState()
    {
        if (_parameterCount < 0)
            throw new InvalidOperationException(
                $"The {Name} optimizer has not been initialized: there is no state to save.");
        return new OptimizerState(Name, StepCount, _parameterCount, StateVectorCount, _state);
    }

    /// <summary>
    /// Restores a state saved by <see cref="SaveState"/> (by this optimizer or one of the same name and
    /// hyper-parameters): the next step continues exactly as the saved optimizer's would have. An optimizer that was
    /// never initialized takes the state's parameter count; an initialized one must have the same count.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">The state belongs to another optimizer, or its sizes do not match.</exception>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.OptimizerName != Name)
            throw new ArgumentException(
                $"The {Name} optimizer cannot load the state of a {state.OptimizerName} optimizer.", nameof(state));
        if (state.VectorCount != StateVectorCount)
            throw new ArgumentException(
                $"The {Name} optimizer keeps {StateVectorCount} state vectors but the state holds {state.VectorCount}.", nameof(state));
        if (_parameterCount >= 0 && state.ParameterCount != _parameterCount)
            throw new ArgumentException(
                $"The {Name} optimizer was initialized for {_parameterCount} parameters but the state is for {state.ParameterCount}.",
                nameof(state));
        _state = state.Values.ToArray();
        _parameterCount = state.ParameterCount;
        StepCount = state.StepCount;
    }

    /// <summary>Checks a decay or momentum coefficient (μ, ρ, β): it must lie in [0, 1).</summary>
    /// <param name="optimizerName">The optimizer's name, for the message.</param>
    /// <param name="parameterName">The constructor argument, reported as the exception's parameter name.</param>
    /// <param name="value">The value to check.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside [0, 1) or NaN.</exception>
    protected static void CheckCoefficient(string optimizerName, string parameterName, float value)
    {
        if (!(value >= 0f && value < 1f))
            throw new ArgumentOutOfRangeException(parameterName, value,
                $"The {optimizerName} optimizer: {parameterName} must be in [0, 1).");
    }

    /// <summary>Checks an ε: it must be a positive finite number.</summary>
    /// <param name="optimizerName">The optimizer's name, for the message.</param>
    /// <param name="parameterName">The constructor argument, reported as the exception's parameter name.</param>
    /// <param name="value">The value to check.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not a positive finite number.</exception>
    protected static void CheckEpsilon(string optimizerName, string parameterName, float value)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(parameterName, value,
                $"The {optimizerName} optimizer: {parameterName} must be a positive finite number.");
    }

    /// <summary>Checks a coefficient that may be zero (e.g. a weight decay): it must be a finite number ≥ 0.</summary>
    /// <param name="optimizerName">The optimizer's name, for the message.</param>
    /// <param name="parameterName">The constructor argument, reported as the exception's parameter name.</param>
    /// <param name="value">The value to check.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative, infinite or NaN.</exception>
    protected static void CheckNonNegative(string optimizerName, string parameterName, float value)
        => ThrowUnlessNonNegative(optimizerName, parameterName, parameterName, value);
}
