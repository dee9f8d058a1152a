using Engine.Kernels;

namespace Engine.Layers;

/// <summary>
/// A fully connected layer: y = W·x + b for a (features) input, with <see cref="Units"/> outputs.
/// Input (I), output (<see cref="Units"/>); a (C, H, W) input needs a <c>Flatten</c> layer first.
/// </summary>
/// <remarks>Weights are stored [Units, I] (one row per output unit) and decayed by L2; biases [Units].</remarks>
public sealed class Dense : Layer
{
    private int _inputs;
    private int[] _rowStarts = [];
    private float[] _partial = [];

    /// <summary>A fully connected layer with <paramref name="units"/> outputs.</summary>
    /// <param name="units">Output features, at least 1.</param>
    /// <param name="init">How the weights are initialised.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is less than 1 or <paramref name="init"/> is unknown.</exception>
    public Dense(int units, WeightInit init = WeightInit.He)
    {
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), units, "Dense: units must be at least 1.");
        if (!Enum.IsDefined(init)) throw new ArgumentOutOfRangeException(nameof(init), init, "Dense: unknown weight initialisation.");
        Units = units;
        Init = init;
    }

    /// <summary>Number of outputs.</summary>
    public int Units { get; }

    /// <summary>How the weights are initialised.</summary>
    public WeightInit Init { get; }

    /// <inheritdoc />
    public override string Kind => "Dense";

    /// <summary>Units·inputs (0 before the layer is built).</summary>
    public override int WeightCount => IsBuilt ? Units * _inputs : 0;

    /// <summary>Units (0 before the layer is built).</summary>
    public override int BiasCount => IsBuilt ? Units : 0;

    private protected override Shape InferOutputShape(Shape input)
    {
        if (input.Rank != 1)
            throw ShapeError(input, $"Dense needs a rank-1 (features) input; add Flatten first (it gives {input.Size} features)");
        if ((long)Units * input[0] > int.MaxValue)
            throw ShapeError(input, $"{Units} units × {input[0]} inputs make the layer too large");
        _inputs = input[0];
        return new Shape(Units);
    }

    private protected override string Describe() =>
        Init == WeightInit.He ? $"Dense({Units})" : $"Dense({Units}, {WeightInitializer.Describe(Init)})";

    internal override void InitializeParameters(SeededRandom random)
    {
        RequireBound();
        WeightInitializer.Fill(Init, Weights, fanIn: _inputs, fanOut: Units, random);
        Biases.Clear();
    }

    internal override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        // x: [N, I]   W: [U, I]   b: [U]   y: [N, U]
        RequireBound();
        CheckBatch(batch, x.Length, _inputs, "x");
        CheckBatch(batch, y.Length, Units, "y");
        ReadOnlySpan<float> bias = Biases;
        if (UsesDots)
        {
            // y[n, u] = Σ_i W[u, i]·x[n, i] as fixed-order dots (narrow layers: GEMM tiles would be mostly padding).
            if (_rowStarts.Length < batch) throw new InvalidOperationException($"{Name}: a batch of {batch} needs Prepare({batch}) first.");
            int threads = Math.Min(Cpu.ThreadCount, batch);
            if (threads < 2 || 2L * Units * _inputs * batch < DotsParallelThreshold)
                ForwardDots(Cpu.Tier, x, y, 0, batch);
            else
                ForwardDotsInParallel(x, y, batch, threads);
        }
        else
        {
            // y [N, U] = x [N, I] · Wᵀ [I, U]
            Gemm.Multiply(false, true, batch, Units, _inputs, x, _inputs, Weights, _inputs, 0f, y, Units);
        }
        for (int n = 0; n < batch; n++)
        {
            Span<float> row = y.Slice(n * Units, Units);
            for (int u = 0; u < Units; u++) row[u] += bias[u];
        }
    }

    /// <summary>
    /// y[n, u] for samples <paramref name="start"/> ≤ n &lt; <paramref name="end"/> as fixed-order dots (bias not added), using the
    /// partial sums [U, end − start, 16] from offset U·start·16: each sample's dots depend only on that sample, so any split of the
    /// batch gives the same bits.
    /// </summary>
    private void ForwardDots(ComputeTier tier, ReadOnlySpan<float> x, Span<float> y, int start, int end)
    {
        int count = end - start;
        var partial = _partial.AsSpan(Units * start * Lanes16.Count, Units * count * Lanes16.Count);
        partial.Clear();
        FixedOrderReductions.AccumulateDots(tier, Units, _inputs, Weights, x, _rowStarts.AsSpan(start, count), partial);
        FixedOrderReductions.StoreTransposedTotals(partial, Units, count, y.Slice(start * Units, count * Units));
    }

    /// <summary>Dot-product forward passes below this many flops stay on one thread (waking a worker costs a few microseconds).</summary>
    private const long DotsParallelThreshold = 500_000;

    [ThreadStatic] private static DotsJob? _dotsJob;

    /// <summary>Splits the batch into <paramref name="threads"/> ranges of samples, each one part of a pool run.</summary>
    private unsafe void ForwardDotsInParallel(ReadOnlySpan<float> x, Span<float> y, int batch, int threads)
    {
        fixed (float* px = x, py = y)
        {
            var job = _dotsJob ??= new DotsJob();
            job.Set(this, Cpu.Tier, px, x.Length, py, y.Length, batch, threads);
            try { WorkerPool.Shared.Run(job, threads, threads); }
            finally { job.Set(null, default, null, 0, null, 0, 0, 0); }
        }
    }

    /// <summary>One range of samples of a dot-product forward pass (the parts write disjoint rows of y and of the partial sums).</summary>
    private sealed unsafe class DotsJob : ParallelJob
    {
        private Dense? _layer;
        private ComputeTier _tier;
        private float* _x, _y;
        private int _xLength, _yLength, _batch, _parts;

        public void Set(Dense? layer, ComputeTier tier, float* x, int xLength, float* y, int yLength, int batch, int parts)
        {
            _layer = layer; _tier = tier; _x = x; _xLength = xLength; _y = y; _yLength = yLength; _batch = batch; _parts = parts;
        }

        public override void Execute(int part)
        {
            int start = (int)((long)_batch * part / _parts), end = (int)((long)_batch * (part + 1) / _parts);
            _layer!.ForwardDots(_tier, new ReadOnlySpan<float>(_x, _xLength), new Span<float>(_y, _yLength), start, end);
        }
    }

    /// <summary>
    /// Narrow layers (≤ 32 units) with long inputs (≥ 64) compute the forward pass as fixed-order dot products:
    /// the GEMM's 32-column tiles would be mostly padding, and packing the weights would cost more than the product.
    /// </summary>
    private bool UsesDots => Units <= 32 && _inputs >= 64;

    internal override void Prepare(int maxBatch, bool training = true)
    {
        RequireBuilt();
        if (!UsesDots || _rowStarts.Length >= maxBatch) return;
        _rowStarts = new int[maxBatch];
        for (int n = 0; n < maxBatch; n++) _rowStarts[n] = n * _inputs;
        _partial = new float[Units * maxBatch * Lanes16.Count];
    }

    internal override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        // x: [N, I]   dy: [N, U]   dW: [U, I] (+=)   db: [U] (+=)   dx: [N, I] (overwritten)
        RequireBound();
        CheckBatch(batch, x.Length, _inputs, "x");
        CheckBatch(batch, dy.Length, Units, "dy");
        if (!dx.IsEmpty) CheckBatch(batch, dx.Length, _inputs, "dx");
        // dW [U, I] += dyᵀ [U, N] · x [N, I]
        Gemm.Multiply(true, false, Units, _inputs, batch, dy, Units, x, _inputs, 1f, WeightGradients, _inputs);
        Span<float> biasGradients = BiasGradients;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = dy.Slice(n * Units, Units);
            for (int u = 0; u < Units; u++) biasGradients[u] += row[u];
        }
        // dx [N, I] = dy [N, U] · W [U, I]
        if (!dx.IsEmpty)
            Gemm.Multiply(false, false, batch, _inputs, Units, dy, Units, Weights, _inputs, 0f, dx, _inputs);
    }

    internal override void WriteConfiguration(BinaryWriter writer)
    {
        writer.Write(Units);
        writer.Write((int)Init);
    }

    /// <summary>Reads what <see cref="WriteConfiguration"/> wrote and creates an unbuilt layer from it.</summary>
    /// <exception cref="InvalidDataException">A value is out of range.</exception>
    internal static Dense ReadConfiguration(BinaryReader reader)
    {
        int units = reader.ReadInt32();
        if (units < 1) throw new InvalidDataException($"Dense configuration: units must be at least 1, not {units}.");
        int init = reader.ReadInt32();
        if (!Enum.IsDefined((WeightInit)init))
            throw new InvalidDataException($"Dense configuration: unknown weight initialisation {init}.");
        return new Dense(units, (WeightInit)init);
    }

    private void CheckBatch(int batch, int length, int perSample, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (length < (long)batch * perSample)
            throw new ArgumentException($"{Name}: {name} needs {batch}×{perSample} elements, but has {length}.", name);
    }
}
