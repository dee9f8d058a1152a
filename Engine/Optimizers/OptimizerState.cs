namespace Engine.Optimizers;

/// <summary>
/// A copy of an optimizer's state, for checkpoints: its name, step count and state vectors
/// (<see cref="Optimizer.SaveState"/>, <see cref="Optimizer.LoadState"/>). A writer persists the four properties
/// (e.g. name, three integers and <see cref="Values"/> as raw floats) and rebuilds the state with the constructor;
/// loading it restores the optimizer bit-exactly. Immutable.
/// </summary>
public sealed class OptimizerState
{
    private readonly float[] _values;

    /// <summary>Creates a state from its parts, copying <paramref name="values"/>.</summary>
    /// <param name="optimizerName">The <see cref="Optimizer.Name"/> of the optimizer it belongs to.</param>
    /// <param name="stepCount">Steps taken, ≥ 0.</param>
    /// <param name="parameterCount">Parameters P, ≥ 0.</param>
    /// <param name="vectorCount">State vectors V, ≥ 0.</param>
    /// <param name="values">The state vectors one after another, [V, P].</param>
    /// <exception cref="ArgumentException"><paramref name="optimizerName"/> is empty, or <paramref name="values"/> does not hold V·P floats.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public OptimizerState(string optimizerName, int stepCount, int parameterCount, int vectorCount, ReadOnlySpan<float> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(optimizerName);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegative(vectorCount);
        if (values.Length != (long)vectorCount * parameterCount)
            throw new ArgumentException(
                $"The {optimizerName} optimizer state: {vectorCount} vectors of {parameterCount} parameters need {(long)vectorCount * parameterCount} values, not {values.Length}.",
                nameof(values));
        OptimizerName = optimizerName;
        StepCount = stepCount;
        ParameterCount = parameterCount;
        VectorCount = vectorCount;
        _values = values.ToArray();
    }

    /// <summary>The <see cref="Optimizer.Name"/> of the optimizer the state belongs to.</summary>
    public string OptimizerName { get; }

    /// <summary>Steps taken when the state was saved.</summary>
    public int StepCount { get; }

    /// <summary>P, the number of parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>V, the number of state vectors (moments, accumulators, velocities).</summary>
    public int VectorCount { get; }

    /// <summary>All state vectors one after another: [V, P].</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>State vector <paramref name="index"/>: [P].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, V).</exception>
    public ReadOnlySpan<float> Vector(int index)
    {
        if ((uint)index >= (uint)VectorCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The state has {VectorCount} vectors.");
        return _values.AsSpan(index * ParameterCount, ParameterCount);
    }
}
