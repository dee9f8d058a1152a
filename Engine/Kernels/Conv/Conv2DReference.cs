namespace Engine.Kernels;

/// <summary>
/// The plain convolution as nested loops over the textbook definition (cross-correlation with zero padding): the
/// oracle of every fast convolution path and the fallback for shapes the fast paths do not take (see <see cref="ConvPlan"/>).
/// Scalar float arithmetic in one fixed order, so it gives the same bits on every tier and thread count; it differs from
/// the fast paths (which fuse multiply and add) by rounding only.
/// </summary>
/// <remarks>Layouts: x [N, C, H, W], weights [F, C, KH, KW], bias [F] (or empty: none), y and dy [N, F, OH, OW].</remarks>
internal static class Conv2DReference
{
    /// <summary>y[n, f, r, s] = bias[f] + Σ_(c, i, j) w[f, c, i, j]·x[n, c, r·SH − PT + i, s·SW − PL + j] (y overwritten; the
    /// sum runs over (c, i, j) in increasing order, padding terms skipped, then the bias is added).</summary>
    public static void Forward(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, Span<float> y)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < filters; f++)
        for (int r = 0; r < oh; r++)
        for (int s = 0; s < ow; s++)
        {
            float sum = 0f;
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int ih = r * g.StrideHeight - g.PadTop + i;
                if ((uint)ih >= (uint)g.Height) continue;
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int iw = s * g.StrideWidth - g.PadLeft + j;
                    if ((uint)iw >= (uint)g.Width) continue;
                    sum += weights[((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j] * x[((n * g.Channels + c) * g.Height + ih) * g.Width + iw];
                }
            }
            y[((n * filters + f) * oh + r) * ow + s] = bias.IsEmpty ? sum : sum + bias[f];
        }
    }

    /// <summary>dW[f, c, i, j] += Σ_(n, r, s) dy[n, f, r, s]·x[n, c, r·SH − PT + i, s·SW − PL + j] and db[f] += Σ_(n, r, s) dy[n, f, r, s]
    /// (each sum formed in that order, then added to the gradient).</summary>
    public static void BackwardWeights(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradients, Span<float> biasGradients)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        for (int f = 0; f < filters; f++)
        {
            if (!biasGradients.IsEmpty)
            {
                float db = 0f;
                for (int n = 0; n < batch; n++)
                    for (int p = 0; p < oh * ow; p++) db += dy[(n * filters + f) * oh * ow + p];
                biasGradients[f] += db;
            }
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                float sum = 0f;
                for (int n = 0; n < batch; n++)
                for (int r = 0; r < oh; r++)
                {
                    int ih = r * g.StrideHeight - g.PadTop + i;
                    if ((uint)ih >= (uint)g.Height) continue;
                    for (int s = 0; s < ow; s++)
                    {
                        int iw = s * g.StrideWidth - g.PadLeft + j;
                        if ((uint)iw >= (uint)g.Width) continue;
                        sum += dy[((n * filters + f) * oh + r) * ow + s] * x[((n * g.Channels + c) * g.Height + ih) * g.Width + iw];
                    }
                }
                weightGradients[((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j] += sum;
            }
        }
    }

    /// <summary>dx[n, c, h, w] = Σ over the (f, r, s, i, j) whose window puts tap (i, j) on (h, w) of W[f, c, i, j]·dy[n, f, r, s]
    /// (dx overwritten; terms added in the order n, f, r, s, c, i, j).</summary>
    public static void BackwardData(in ConvGeometry g, int batch, int filters, ReadOnlySpan<float> weights, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        dx[..(batch * g.InputSize)].Clear();
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < filters; f++)
        for (int r = 0; r < oh; r++)
        for (int s = 0; s < ow; s++)
        {
            float d = dy[((n * filters + f) * oh + r) * ow + s];
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int ih = r * g.StrideHeight - g.PadTop + i;
                if ((uint)ih >= (uint)g.Height) continue;
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int iw = s * g.StrideWidth - g.PadLeft + j;
                    if ((uint)iw >= (uint)g.Width) continue;
                    dx[((n * g.Channels + c) * g.Height + ih) * g.Width + iw] += weights[((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j] * d;
                }
            }
        }
    }
}
