using Engine.Layers;

namespace Engine.Training;

/// <summary>
/// All memory one caller needs to run an <see cref="ExecutionPlan"/> on batches of up to <see cref="MaxBatch"/> samples with up to
/// <see cref="Threads"/> threads, allocated once and reused by every batch — what keeps a steady-state step allocation-free and
/// lets many callers run one network at once (each with its own workspace).
/// </summary>
/// <remarks>
/// Training keeps every value (backward reads them all), each stage's saved memory, and gradient buffers shared between values
/// whose gradients are never alive at once (a chain uses two, in turn). Inference shares value buffers the same way in forward
/// order (a chain uses two besides the input) and keeps no gradients; saved memory is then temporary, one region for all stages.
/// </remarks>
internal sealed class Workspace
{
    private readonly float[][] _values;
    private readonly float[]?[] _gradients;
    private readonly float[][] _regions;
    private readonly long[][] _layerOffsets;
    private readonly float[] _scratch, _temporary, _accumulate;

    /// <summary>Sizes and allocates the memory.</summary>
    /// <exception cref="InsufficientMemoryException">A buffer would exceed the largest array, or the memory is not there; the
    /// message names the layer, the batch and the size, and suggests a smaller batch.</exception>
    public Workspace(ExecutionPlan plan, int maxBatch, int threads, bool training)
    {
        Plan = plan;
        MaxBatch = maxBatch;
        Threads = threads;
        Training = training;
        var mode = training ? LayerMode.Training : LayerMode.Evaluation;
        var stages = plan.Stages;
        var sizes = new Sizes(plan, maxBatch, training ? "training" : "inference");
        try
        {
            _values = AllocateValues(plan, sizes, training);
            _gradients = training ? AllocateGradients(plan, sizes) : new float[]?[plan.ValueShapes.Length];
            _layerOffsets = new long[stages.Length][];
            var regionSizes = new long[stages.Length];
            for (int s = 0; s < stages.Length; s++)
            {
                var offsets = _layerOffsets[s] = new long[stages[s].Layers.Length];
                long size = stages[s].SavedSize(maxBatch);
                for (int j = 0; j < offsets.Length; j++)
                {
                    offsets[j] = size;
                    size += plan.Layers[stages[s].Layers[j]].SavedSize(maxBatch);
                }
                regionSizes[s] = size;
            }
            if (training)
            {
                _regions = new float[stages.Length][];
                for (int s = 0; s < stages.Length; s++) _regions[s] = sizes.Array(regionSizes[s], s, "saved memory");
            }
            else
            {
                // No backward follows: every stage's saved memory is temporary, so one region serves them all.
                int largest = regionSizes.Length == 0 ? 0 : Array.IndexOf(regionSizes, regionSizes.Max());
                var shared = sizes.Array(regionSizes.Length == 0 ? 0 : regionSizes[largest], largest, "temporary memory");
                _regions = Enumerable.Repeat(shared, stages.Length).ToArray();
            }
            long scratch = 0, temporary = 0, accumulate = 0;
            int scratchStage = 0;
            for (int s = 0; s < stages.Length; s++)
            {
                foreach (int l in stages[s].Layers)
                {
                    long need = plan.Layers[l].ScratchSize(maxBatch, threads, mode);
                    if (need > scratch) (scratch, scratchStage) = (need, s);
                }
                temporary = Math.Max(temporary, stages[s].TemporarySize(maxBatch));
            }
            if (training)
                for (int v = 1; v < plan.ValueShapes.Length; v++)
                    if (plan.ConsumerCount[v] > 1) accumulate = Math.Max(accumulate, (long)maxBatch * plan.ValueShapes[v].Size);
            _scratch = sizes.Array(scratch, scratchStage, "scratch");
            _temporary = sizes.Array(temporary, 0, "temporary memory");
            _accumulate = sizes.Array(accumulate, 0, "gradient memory");
        }
        catch (OutOfMemoryException e) when (e is not InsufficientMemoryException)
        {
            throw new InsufficientMemoryException(
                $"The {sizes.What} memory for batches of {maxBatch} ({sizes.Describe()}) is not available; use a smaller batch size.", e);
        }
        Labels = new int[maxBatch];
    }

    /// <summary>The plan this workspace runs.</summary>
    public ExecutionPlan Plan { get; }

    /// <summary>The largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>The most threads the layers may use.</summary>
    public int Threads { get; }

    /// <summary>Whether the workspace holds training memory (saved values, gradients).</summary>
    public bool Training { get; }

    /// <summary>Labels of the current batch [N].</summary>
    public int[] Labels { get; }

    /// <summary>
    /// The memory of CutMix for batches of up to <see cref="MaxBatch"/> images of <paramref name="imageSize"/> floats and
    /// <paramref name="classes"/> outputs, made on the first batch that pastes (not on every step).
    /// </summary>
    public CutMixMemory CutMix(int imageSize, int classes) =>
        _cutMix ??= new CutMixMemory(new int[MaxBatch], new float[MaxBatch], new float[imageSize], new float[MaxBatch * classes]);

    private CutMixMemory? _cutMix;

    /// <summary>The seed of the current training step's randomness (dropout); each layer derives its own from it.</summary>
    public ulong StepSeed { get; set; }

    /// <summary>Value <paramref name="value"/> of the first <paramref name="batch"/> samples, [N, shape].</summary>
    public Span<float> Value(int value, int batch) => _values[value].AsSpan(0, batch * Plan.ValueShapes[value].Size);

    /// <summary>The gradient of value <paramref name="value"/>, [N, shape] (training only).</summary>
    public Span<float> Gradient(int value, int batch) => _gradients[value].AsSpan(0, batch * Plan.ValueShapes[value].Size);

    /// <summary>
    /// Where stage <paramref name="stage"/> writes the gradient of its input <paramref name="input"/>: empty for the network's input
    /// (no stage needs it), the value's gradient for the first stage to write it in backward order, else a temporary that
    /// <see cref="FinishInputGradient"/> adds in (a value read by several stages gets the sum of their gradients).
    /// Empty for values whose gradient is of no use (the input, the normalised input).
    /// </summary>
    public Span<float> InputGradient(int stage, int input, int batch)
    {
        int v = Plan.Stages[stage].Inputs[input];
        if (!Plan.NeedsGradient[v]) return Span<float>.Empty;
        return Plan.LastConsumer[v] == stage ? Gradient(v, batch) : _accumulate.AsSpan(0, batch * Plan.ValueShapes[v].Size);
    }

    /// <summary>
    /// <see cref="InputGradient"/> for a stage that adds to a value's gradient itself: the value's gradient (empty when none is
    /// needed), with <paramref name="accumulate"/> false for the first stage to write it in backward order (it overwrites) and
    /// true for the others (they add to it, in place of the temporary and <see cref="FinishInputGradient"/>: total + gradient,
    /// the same operation).
    /// </summary>
    public Span<float> AccumulatingInputGradient(int stage, int input, int batch, out bool accumulate)
    {
        int v = Plan.Stages[stage].Inputs[input];
        accumulate = Plan.NeedsGradient[v] && Plan.LastConsumer[v] != stage;
        return Plan.NeedsGradient[v] ? Gradient(v, batch) : Span<float>.Empty;
    }

    /// <summary>Adds a gradient written to the temporary of <see cref="InputGradient"/> into the value's gradient.</summary>
    public void FinishInputGradient(int stage, int input, int batch)
    {
        int v = Plan.Stages[stage].Inputs[input];
        if (!Plan.NeedsGradient[v] || Plan.LastConsumer[v] == stage) return;
        var total = Gradient(v, batch);
        Engine.Kernels.VectorOps.Add(total, _accumulate.AsSpan(0, total.Length), total, Threads);
    }

    /// <summary>Stage <paramref name="stage"/>'s own saved memory, its first <paramref name="length"/> floats.</summary>
    public Span<float> StageSaved(int stage, int length) => _regions[stage].AsSpan(0, length);

    /// <summary>Temporary memory for stage <paramref name="stage"/>'s own use within one call, disjoint from layer scratch.</summary>
    public Span<float> StageTemporary(int stage, int length) => _temporary.AsSpan(0, length);

    /// <summary>The context of the <paramref name="position"/>-th layer of stage <paramref name="stage"/>.</summary>
    public LayerContext Context(int stage, int position, LayerMode mode)
    {
        int layer = Plan.Stages[stage].Layers[position];
        long offset = _layerOffsets[stage][position];
        var region = _regions[stage];
        long saved = Plan.Layers[layer].SavedSize(MaxBatch);
        ulong seed = SeededRandom.Mix(StepSeed, (ulong)layer);
        return new LayerContext(mode, MaxBatch, Threads, region.AsSpan((int)offset, (int)saved), _scratch, seed);
    }

    /// <summary>Value buffers: one per value for training; for inference shared by values never alive at once.</summary>
    private static float[][] AllocateValues(ExecutionPlan plan, Sizes sizes, bool training)
    {
        var assigner = new BufferAssigner();
        var buffer = new int[plan.ValueShapes.Length];
        // In forward order a value lives from the stage producing it (−1: the input) to its last consumer.
        for (int v = 0; v < buffer.Length; v++)
            buffer[v] = assigner.Assign(training ? int.MinValue : plan.Producer[v], plan.LastConsumer[v], sizes.Values(v));
        var arrays = assigner.Allocate(sizes, plan, buffer, "activations");
        return buffer.Select(b => arrays[b]).ToArray();
    }

    /// <summary>Gradient buffers, assigned in backward order and shared by values whose gradients are never alive at once.</summary>
    private static float[]?[] AllocateGradients(ExecutionPlan plan, Sizes sizes)
    {
        var stages = plan.Stages;
        int count = plan.ValueShapes.Length, last = stages.Length - 1;
        // Which values need a gradient: the loss's, and the inputs of every stage whose output needs one.
        var needs = new bool[count];
        needs[plan.LossGradientValue] = plan.NeedsGradient[plan.LossGradientValue];
        for (int s = last; s >= 0; s--)
            if (stages[s] is not SoftmaxCrossEntropyStage && needs[stages[s].Output])
                foreach (int v in stages[s].Inputs) needs[v] |= plan.NeedsGradient[v];
        // In backward time t = last − s, a value's gradient lives from its first writer (its last consumer; −1 for the loss's)
        // to its producer's backward, which reads it.
        var assigner = new BufferAssigner();
        var buffer = Enumerable.Repeat(-1, count).ToArray();
        int Until(int v) => last - plan.Producer[v];
        if (needs[plan.LossGradientValue])
            buffer[plan.LossGradientValue] = assigner.Assign(-1, Until(plan.LossGradientValue), sizes.Values(plan.LossGradientValue));
        for (int s = last; s >= 0; s--)
            foreach (int v in stages[s].Inputs)
                if (needs[v] && buffer[v] < 0) buffer[v] = assigner.Assign(last - s, Until(v), sizes.Values(v));
        var arrays = assigner.Allocate(sizes, plan, buffer, "gradients");
        return buffer.Select(b => b < 0 ? null : arrays[b]).ToArray();
    }

    /// <summary>Greedy interval assignment: a value takes a buffer whose occupants all died before it is born, else a new one.</summary>
    private sealed class BufferAssigner
    {
        private readonly List<int> _busyUntil = new();
        private readonly List<long> _sizes = new();

        public int Assign(int born, int dies, long size)
        {
            int b = _busyUntil.FindIndex(until => until < born);
            if (b < 0) { _busyUntil.Add(dies); _sizes.Add(size); return _sizes.Count - 1; }
            _busyUntil[b] = dies;
            _sizes[b] = Math.Max(_sizes[b], size);
            return b;
        }

        public float[][] Allocate(Sizes sizes, ExecutionPlan plan, int[] buffer, string kind)
        {
            var arrays = new float[_sizes.Count][];
            for (int b = 0; b < arrays.Length; b++)
                arrays[b] = sizes.Array(_sizes[b], Math.Max(0, plan.Producer[Math.Max(0, Array.IndexOf(buffer, b))]), kind);
            return arrays;
        }
    }

    /// <summary>Buffer sizes in 64-bit, with errors that name the layer, the batch and the size instead of overflowing.</summary>
    private sealed class Sizes(ExecutionPlan plan, int maxBatch, string what)
    {
        private long _total;

        public string What => what;

        public long Values(int value) => (long)maxBatch * plan.ValueShapes[value].Size;

        public float[] Array(long floats, int stage, string kind)
        {
            _total += floats;
            if (floats > System.Array.MaxLength)
            {
                string layer = plan.Stages.Length == 0 ? "the input" : plan.Layers[plan.Stages[Math.Clamp(stage, 0, plan.Stages.Length - 1)].Layers[^1]].Name;
                throw new InsufficientMemoryException(
                    $"Batches of {maxBatch} at {layer} need {Gigabytes(floats)} of {kind} in one block, more than an array can hold; use a smaller batch size.");
            }
            return floats == 0 ? [] : new float[floats];
        }

        public string Describe() => $"{Gigabytes(_total)} so far";

        private static string Gigabytes(long floats) => $"{floats * 4.0 / 1e9:0.0#} GB";
    }
}

/// <summary>
/// What CutMix needs per batch: the other label of each image [N] and the share of the image its box covers [N] (0 when
/// none was pasted), one image [C, H, W] for the other image's crop, and the loss gradient for the other labels [N, classes].
/// </summary>
internal sealed record CutMixMemory(int[] Labels, float[] Shares, float[] Image, float[] Gradient);
