using Engine.Kernels;
using Engine.Training;

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
            var partial = _partial.AsSpan(0, Units * batch * Lanes16.Count);
            partial.Clear();
            FixedOrderReductions.AccumulateDots(Cpu.Tier, Units, _inputs, Weights, x, _rowStarts.AsSpan(0, batch), partial);
            FixedOrderReductions.StoreTransposedTotals(partial, Units, batch, y);
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
    /// Narrow layers (≤ 32 units) with long inputs (≥ 64) compute the forward pass as fixed-order dot products:
    /// the GEMM's 32-column tiles would be mostly padding, and packing the weights would cost more than the product.
    /// </summary>
    private bool UsesDots => Units <= 32 && _inputs >= 64;

    internal override void Prepare(int maxBatch)
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
