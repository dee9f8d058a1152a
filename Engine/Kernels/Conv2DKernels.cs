namespace Engine.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in every deep-learning framework) over NCHW batches,
/// computed per sample as im2col followed by one GEMM:
/// <c>y[n] = W·im2col(x[n]) + b</c>, with <c>W</c> viewed as a <c>[F, C·KH·KW]</c> matrix
/// (i.e. stored <c>[F, C, KH, KW]</c>).
/// </summary>
/// <remarks>
/// The <c>columns</c> scratch holds one sample's <c>[C·KH·KW, OH·OW]</c> matrix (<see cref="ConvGeometry.ColumnSize"/>
/// elements); its contents on entry do not matter. Samples are processed in order, so results are deterministic.
/// </remarks>
internal static class Conv2DKernels
{
    /// <summary>y = W ⊛ x + b for <paramref name="batch"/> samples (y overwritten).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> columns)
    {
        // x: [N, C, H, W]   weights: [F, C*KH*KW]   bias: [F]   y: [N, F, OH, OW]   columns: [C*KH*KW, OH*OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        CheckLength(bias.Length, filters, "bias", "[F]");
        CheckLength(y.Length, (long)batch * outSize, "y", "[N, F, OH, OW]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Forward(g, x.Slice(n * g.InputSize, g.InputSize), columns);
            Span<float> yn = y.Slice(n * outSize, outSize);
            // y[n] [F, OH*OW] = W [F, CKK] · columns [CKK, OH*OW]
            Gemm.Multiply(false, false, filters, spatial, ckk, weights, ckk, columns, spatial, 0f, yn, spatial);
            for (int f = 0; f < filters; f++)
            {
                float b = bias[f];
                foreach (ref float v in yn.Slice(f * spatial, spatial)) v += b;
            }
        }
    }

    /// <summary>dW += Σₙ dy[n]·im2col(x[n])ᵀ and db += Σₙ Σ dy[n, f, ·, ·] (both accumulated).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients, Span<float> columns, Span<float> biasPartial)
    {
        // x: [N, C, H, W]   dy: [N, F, OH, OW]   weightGradients: [F, C*KH*KW] (+=)   biasGradients: [F] (+=)
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(x.Length, (long)batch * g.InputSize, "x", "[N, C, H, W]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(weightGradients.Length, (long)filters * ckk, "weightGradients", "[F, C, KH, KW]");
        CheckLength(biasGradients.Length, filters, "biasGradients", "[F]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        CheckLength(biasPartial.Length, filters * Lanes16.Count, "biasPartial", "[F, 16]");
        var tier = Cpu.Tier;
        biasPartial = biasPartial[..(filters * Lanes16.Count)];
        biasPartial.Clear();
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Forward(g, x.Slice(n * g.InputSize, g.InputSize), columns);
            ReadOnlySpan<float> dyn = dy.Slice(n * outSize, outSize);
            // dW [F, CKK] += dy[n] [F, OH*OW] · columnsᵀ [OH*OW, CKK]
            Gemm.Multiply(false, true, filters, ckk, spatial, dyn, spatial, columns, spatial, 1f, weightGradients, ckk);
            FixedOrderReductions.AccumulateRowSums(tier, filters, spatial, dyn, biasPartial);
        }
        FixedOrderReductions.AddTotals(biasPartial, biasGradients);
    }

    /// <summary>dx[n] = col2im(Wᵀ·dy[n]) for every sample (dx overwritten).</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void BackwardData(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> columns)
    {
        // weights: [F, C*KH*KW]   dy: [N, F, OH, OW]   dx: [N, C, H, W] (overwritten)   columns: [C*KH*KW, OH*OW]
        int ckk = g.ColumnRows, spatial = g.ColumnCols, outSize = filters * spatial;
        CheckBatch(batch, filters);
        CheckLength(weights.Length, (long)filters * ckk, "weights", "[F, C, KH, KW]");
        CheckLength(dy.Length, (long)batch * outSize, "dy", "[N, F, OH, OW]");
        CheckLength(dx.Length, (long)batch * g.InputSize, "dx", "[N, C, H, W]");
        CheckLength(columns.Length, g.ColumnSize, "columns", "[C*KH*KW, OH*OW]");
        for (int n = 0; n < batch; n++)
        {
            // columns [CKK, OH*OW] = Wᵀ [CKK, F] · dy[n] [F, OH*OW]
            Gemm.Multiply(true, false, ckk, spatial, filters, weights, ckk, dy.Slice(n * outSize, outSize), spatial, 0f, columns, spatial);
            Im2Col.Backward(g, columns, dx.Slice(n * g.InputSize, g.InputSize));
        }
    }

    private static void CheckBatch(int batch, int filters)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Conv2D: the batch size cannot be negative.");
        if (filters < 1) throw new ArgumentOutOfRangeException(nameof(filters), filters, "Conv2D: there must be at least one filter.");
    }

    private static void CheckLength(int length, long needed, string name, string shape)
    {
        if (length < needed)
            throw new ArgumentException($"Conv2D: {name} {shape} needs {needed} elements, but the span has {length}.", name);
    }
}
