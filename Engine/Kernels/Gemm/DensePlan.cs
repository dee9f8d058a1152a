using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>How a <see cref="DensePlan"/> computes the forward product.</summary>
internal enum DenseForwardPath
{
    /// <summary>Fixed-order 16-lane dot products per (sample, unit): narrow layers, where GEMM tiles would be mostly padding.</summary>
    FixedOrderDots,
    /// <summary>The packed GEMM y = x·Wᵀ.</summary>
    Gemm,
}

/// <summary>
/// The fully connected family's strategy for one (inputs, units, maximum batch, threads): the forward path and its scratch.
/// Backward is always two packed GEMMs (dW += dyᵀ·x, dx = dy·W) and a bias sum. Immutable; the path depends on the shape only.
/// </summary>
internal sealed class DensePlan
{
    private const int L = Lanes16.Count;

    private DensePlan(int inputs, int units, int maxBatch, int threads)
    {
        (Inputs, Units, MaxBatch, Threads) = (inputs, units, maxBatch, threads);
        // Narrow layers (≤ 32 units) with long inputs (≥ 64): the GEMM's 32-column tiles would be mostly padding,
        // and packing the weights would cost more than the product.
        ForwardPath = units <= 32 && inputs >= 64 ? DenseForwardPath.FixedOrderDots : DenseForwardPath.Gemm;
    }

    /// <summary>The plan for a layer of <paramref name="units"/> outputs over <paramref name="inputs"/> features.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is less than 1.</exception>
    public static DensePlan Create(int inputs, int units, int maxBatch, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return new DensePlan(inputs, units, maxBatch, threads);
    }

    /// <summary>Input features I.</summary>
    public int Inputs { get; }

    /// <summary>Output units U.</summary>
    public int Units { get; }

    /// <summary>The largest batch the scratch covers.</summary>
    public int MaxBatch { get; }

    /// <summary>The most threads the forward pass splits over.</summary>
    public int Threads { get; }

    /// <summary>The forward kernel.</summary>
    public DenseForwardPath ForwardPath { get; }

    /// <summary>Floats of scratch: for the dot path the partial sums [U, N, 16] and the row offsets of the samples (N ints).</summary>
    public long ScratchSize => ForwardPath == DenseForwardPath.FixedOrderDots ? (long)MaxBatch * (Units * L + 1) : 0;

    /// <summary>y [N, U] = x [N, I] · Wᵀ + b (y overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, int batch, Span<float> scratch)
    {
        // x: [N, I]   weights: [U, I]   bias: [U]   y: [N, U]
        if ((uint)batch > (uint)MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"This dense plan covers batches of up to {MaxBatch}.");
        if (ForwardPath == DenseForwardPath.FixedOrderDots)
        {
            if (scratch.Length < ScratchSize) throw new ArgumentException($"The dense scratch needs {ScratchSize} floats.", nameof(scratch));
            var rowStarts = MemoryMarshal.Cast<float, int>(scratch[..batch]);
            for (int n = 0; n < batch; n++) rowStarts[n] = n * Inputs;
            var body = new DotParts(this, x, weights, y, rowStarts, scratch.Slice(MaxBatch, Units * batch * L), batch);
            body.Parts = ParallelFor.PartsFor(2L * Units * Inputs * batch, batch, Threads);
            ParallelFor.Run(ref body, body.Parts, Threads);
        }
        else
        {
            // y [N, U] = x [N, I] · Wᵀ [I, U]
            Gemm.Multiply(false, true, batch, Units, Inputs, x, Inputs, weights, Inputs, 0f, y, Units, Threads);
        }
        for (int n = 0; n < batch; n++)
        {
            Span<float> row = y.Slice(n * Units, Units);
            for (int u = 0; u < Units; u++) row[u] += bias[u];
        }
    }

    /// <summary>dW [U, I] += dyᵀ·x and db [U] += Σₙ dy[n] (accumulated); dx [N, I] = dy·W unless <paramref name="dx"/> is empty.</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy, Span<float> dx,
        Span<float> weightGradients, Span<float> biasGradients, int batch)
    {
        // x: [N, I]   dy: [N, U]   dW: [U, I] (+=)   db: [U] (+=)   dx: [N, I] (overwritten)
        Gemm.Multiply(true, false, Units, Inputs, batch, dy, Units, x, Inputs, 1f, weightGradients, Inputs, Threads);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = dy.Slice(n * Units, Units);
            for (int u = 0; u < Units; u++) biasGradients[u] += row[u];
        }
        if (!dx.IsEmpty)
            Gemm.Multiply(false, false, batch, Inputs, Units, dy, Units, weights, Inputs, 0f, dx, Inputs, Threads);
    }

    /// <inheritdoc />
    public override string ToString() => $"forward {ForwardPath}";

    /// <summary>
    /// Samples [start, end) of a dot-product forward pass (bias not added), with the partial sums [U, end − start, 16] at offset
    /// U·start·16: each sample's dots depend only on that sample, so any split of the batch gives the same bits.
    /// </summary>
    private ref struct DotParts(DensePlan plan, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<float> y,
        ReadOnlySpan<int> rowStarts, Span<float> partial, int batch) : IParallelBody
    {
        private readonly ReadOnlySpan<float> _x = x, _weights = weights;
        private readonly Span<float> _y = y, _partial = partial;
        private readonly ReadOnlySpan<int> _rowStarts = rowStarts;

        public int Parts { get; set; } = 1;

        public readonly void Execute(int part, int worker)
        {
            int start = (int)((long)batch * part / Parts), end = (int)((long)batch * (part + 1) / Parts), count = end - start;
            int units = plan.Units;
            var partial = _partial.Slice(units * start * L, units * count * L);
            partial.Clear();
            FixedOrderReductions.AccumulateDots(units, plan.Inputs, _weights, _x, _rowStarts.Slice(start, count), partial);
            FixedOrderReductions.StoreTransposedTotals(partial, units, count, _y.Slice(start * units, count * units));
        }
    }
}
