namespace Engine.Kernels;

/// <summary>
/// Global average pooling: y[n, c] = (Σ over the S = H·W values of channel c of sample n) / S, the sum in
/// <see cref="FixedOrderReductions"/>' 16 canonical lanes (the same bits on every tier); backward spreads dy[n, c] / S over
/// the S positions.
/// </summary>
internal static class GlobalPooling
{
    /// <summary>Floats of scratch <see cref="AverageForward"/> needs: partial sums [C, 16].</summary>
    public static int ScratchSize(int channels) => channels * Lanes16.Count;

    /// <summary>y [N, C] from x [N, C, S] (y overwritten).</summary>
    public static void AverageForward(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial, Span<float> scratch)
    {
        var partial = scratch[..ScratchSize(channels)];
        float count = spatial;
        for (int n = 0; n < batch; n++)
        {
            partial.Clear();
            FixedOrderReductions.AccumulateRowSums(channels, spatial, x.Slice(n * channels * spatial, channels * spatial), partial);
            for (int c = 0; c < channels; c++) y[n * channels + c] = Lanes16.Sum(partial.Slice(c * Lanes16.Count, Lanes16.Count)) / count;
        }
    }

    /// <summary>dx [N, C, S] = dy [N, C] / S at every position (dx overwritten).</summary>
    public static void AverageBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, int channels, int spatial)
    {
        float count = spatial;
        for (int i = 0; i < batch * channels; i++) dx.Slice(i * spatial, spatial).Fill(dy[i] / count);
    }
}
