namespace Engine.Layers;

/// <summary>Whether a layer runs for training (batch statistics, dropout on, backward to follow) or for evaluation.</summary>
public enum LayerMode
{
    /// <summary>Inference and validation: running statistics, no dropout; no backward pass follows.</summary>
    Evaluation,
    /// <summary>A training step: <see cref="Layer.Backward"/> follows <see cref="Layer.Forward"/> with the same context memory.</summary>
    Training,
}

/// <summary>
/// What one call of <see cref="Layer.Forward"/> or <see cref="Layer.Backward"/> may use besides its inputs: the mode, the
/// caller's memory for the layer, and the limits that memory was sized for. The network makes one per layer and call from
/// the caller's workspace, so two callers never share memory and a layer keeps no per-call state of its own.
/// </summary>
/// <remarks>
/// <para><see cref="Saved"/> holds <see cref="Layer.SavedSize"/> floats that survive from a training Forward to the Backward of
/// the same step (e.g. max pooling's argmax, batch statistics); in evaluation mode it is temporary memory of the same size.</para>
/// <para><see cref="Scratch"/> holds <see cref="Layer.ScratchSize"/> floats of temporary memory, shared with other layers:
/// its contents are undefined on entry and gone after the call.</para>
/// </remarks>
public readonly ref struct LayerContext
{
    /// <summary>A context over the given memory.</summary>
    /// <param name="mode">Training or evaluation.</param>
    /// <param name="maxBatch">The largest batch <paramref name="saved"/> and <paramref name="scratch"/> were sized for.</param>
    /// <param name="threads">The most threads the layer may use (the sizes assumed this many workers).</param>
    /// <param name="saved">At least <see cref="Layer.SavedSize"/>(maxBatch) floats.</param>
    /// <param name="scratch">At least <see cref="Layer.ScratchSize"/>(maxBatch, threads, mode) floats.</param>
    /// <param name="seed">The seed of this layer's randomness for this step (e.g. a dropout mask).</param>
    public LayerContext(LayerMode mode, int maxBatch, int threads, Span<float> saved, Span<float> scratch, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Mode = mode;
        MaxBatch = maxBatch;
        Threads = threads;
        Saved = saved;
        Scratch = scratch;
        Seed = seed;
    }

    /// <summary>Training or evaluation.</summary>
    public LayerMode Mode { get; }

    /// <summary>Whether this is a training step.</summary>
    public bool IsTraining => Mode == LayerMode.Training;

    /// <summary>The largest batch the memory was sized for.</summary>
    public int MaxBatch { get; }

    /// <summary>The most threads the layer may use.</summary>
    public int Threads { get; }

    /// <summary>Memory kept from Forward to Backward of one training step (temporary in evaluation).</summary>
    public Span<float> Saved { get; }

    /// <summary>Temporary memory for this call only.</summary>
    public Span<float> Scratch { get; }

    /// <summary>This layer's seed for this step: the same network seed, step and layer give the same value on every run.</summary>
    public ulong Seed { get; }
}
