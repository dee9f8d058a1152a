using Engine.Kernels;

namespace Engine.Optimizers;

/// <summary>
/// One run of parameters that <see cref="Optimizer.Update"/> updates in place: either the weights (the first
/// <see cref="OptimizerStep.DecayedCount"/> parameters) or the others, with their gradients, their slices of the
/// optimizer's state vectors and the coefficients that apply to them. Valid only during the call.
/// </summary>
/// <remarks>
/// Span contract: <see cref="Parameters"/>, <see cref="Gradients"/> and every <see cref="State"/> have the same
/// length n (= <see cref="Length"/>, at least 1) and do not overlap. The update reads <see cref="Gradients"/>, reads
/// and writes <see cref="Parameters"/> and the state slices element by element, and must not keep any of them.
/// </remarks>
public readonly ref struct OptimizerSlice
{
    private readonly float[]? _state;   // all state vectors, [StateVectorCount, parameterCount]
    private readonly int _parameterCount;
    private readonly int _start;

    internal OptimizerSlice(Span<float> parameters, ReadOnlySpan<float> gradients, float[]? state, int stateVectorCount,
                            int parameterCount, int start, float learningRate, float l2, float weightDecay,
                            int stepNumber, bool isWeights)
    {
        Parameters = parameters;
        Gradients = gradients;
        _state = state;
        StateVectorCount = stateVectorCount;
        _parameterCount = parameterCount;
        _start = start;
        LearningRate = learningRate;
        L2 = l2;
        WeightDecay = weightDecay;
        StepNumber = stepNumber;
        IsWeights = isWeights;
    }

    /// <summary>w[n]: the parameters of this slice, to update in place.</summary>
    public Span<float> Parameters { get; }

    /// <summary>g[n]: their gradients (read only).</summary>
    public ReadOnlySpan<float> Gradients { get; }

    /// <summary>n: the number of parameters in the slice.</summary>
    public int Length => Parameters.Length;

    /// <summary>The number of state vectors the optimizer declared (its constructor's <c>stateVectorCount</c>).</summary>
    public int StateVectorCount { get; }

    /// <summary>
    /// s[n]: this slice of state vector <paramref name="index"/> (0 ≤ index &lt; <see cref="StateVectorCount"/>),
    /// zero after <see cref="Optimizer.Initialize"/>, to update in place. It persists across steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a declared state vector.</exception>
    public Span<float> State(int index)
    {
        if ((uint)index >= (uint)StateVectorCount)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"The optimizer declared {StateVectorCount} state vectors; index must be in [0, {StateVectorCount}).");
        return _state.AsSpan(index * _parameterCount + _start, Parameters.Length);
    }

    /// <summary>η of this step: <see cref="OptimizerStep.LearningRate"/>, or <see cref="Optimizer.Eta"/> when that is null.</summary>
    public float LearningRate { get; }

    /// <summary>The coupled L2 coefficient λ of this slice: add λ·w to each gradient before the rule.</summary>
    public float L2 { get; }

    /// <summary>
    /// The decoupled weight decay wd of this slice (0 for the other parameters): before the rule each parameter
    /// becomes <c>w·(1 − lr·wd)</c>, the L2 term using the parameter before the decay.
    /// </summary>
    public float WeightDecay { get; }

    /// <summary>The step number t, 1 on the first step after <see cref="Optimizer.Initialize"/> (e.g. for bias corrections).</summary>
    public int StepNumber { get; }

    /// <summary>True for the weights (the first <see cref="OptimizerStep.DecayedCount"/> parameters), false for the others.</summary>
    public bool IsWeights { get; }

    /// <summary>
    /// Runs a built-in rule over the slice with its L2 term and decay, adding <paramref name="extraWeightDecay"/>
    /// to <see cref="WeightDecay"/> (an optimizer's own decoupled decay, e.g. AdamW's).
    /// </summary>
    internal void Apply<TRule>(TRule rule, float extraWeightDecay = 0f) where TRule : struct, IUpdateRule
    {
        Span<float> s0 = TRule.StateCount > 0 ? State(0) : default;
        Span<float> s1 = TRule.StateCount > 1 ? State(1) : default;
        float decay = WeightDecay + extraWeightDecay;
        OptimizerKernels.Apply(rule, Parameters, Gradients, s0, s1, L2, OptimizerKernels.DecayFactor(LearningRate, decay));
    }
}
