namespace Engine.Kernels;

/// <summary>
/// Reference 2-D max and average pooling (no padding; see <see cref="PoolGeometry"/>): plain loops,
/// kept as the oracle of <see cref="Pooling"/> (and run by it for windows other than 2×2 stride 2).
/// Nothing here allocates.
/// </summary>
/// <remarks>
/// Layouts: x and dx are <c>[N, C, H, W]</c>; y, dy and argmax are <c>[N, C, OH, OW]</c>. Only the first
/// <c>batch</c> samples are touched; longer spans are fine, shorter ones throw.
/// Output element (n, c, oh, ow) reads the window rows <c>oh·StrideHeight ..+ SizeHeight</c> and columns
/// <c>ow·StrideWidth ..+ SizeWidth</c> of plane (n, c).
/// </remarks>
internal static class PoolingReference
{
    /// <summary>
    /// y = maximum of each window; argmax = flat index into x (counting from the start of x, batch included)
    /// of the element chosen.
    /// </summary>
    /// <remarks>
    /// The window is scanned row-major and only a strictly greater value replaces the current one, so among
    /// equal maxima the FIRST in row-major order wins. NaN propagates: the first NaN in a window wins over any
    /// number (and later NaNs do not replace it), so y is NaN and its gradient goes to that NaN's position.
    /// </remarks>
    public static void MaxForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/, Span<int> argmax /*N,C,OH,OW*/)
    {
        CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        int outputLength = CheckBatch(g, batch, y.Length, nameof(y), isInput: false);
        CheckLength(outputLength, argmax.Length, nameof(argmax));

        int oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * g.Width;
        int planes = batch * g.Channels;
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int planeStart = plane * planeSize;
            for (int r = 0; r < oh; r++)
            {
                for (int c = 0; c < ow; c++, o++)
                {
                    int top = r * g.StrideHeight, left = c * g.StrideWidth;
                    int bestIndex = planeStart + top * g.Width + left;
                    float best = x[bestIndex];
                    for (int i = 0; i < g.SizeHeight; i++)
                    {
                        int row = planeStart + (top + i) * g.Width + left;
                        for (int j = 0; j < g.SizeWidth; j++)
                        {
                            float v = x[row + j];
                            if (v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                            {
                                best = v;
                                bestIndex = row + j;
                            }
                        }
                    }
                    y[o] = best;
                    argmax[o] = bestIndex;
                }
            }
        }
    }

    /// <summary>
    /// dx is overwritten: zeroed, then <c>dx[argmax[o]] += dy[o]</c> for every output o (in order), so an input
    /// chosen by several overlapping windows (stride &lt; size) gets the sum of their gradients.
    /// <c>argmax</c> holds the indices written by the <see cref="MaxForward"/> of the same batch.
    /// </summary>
    public static void MaxBackward(in PoolGeometry g, int batch, ReadOnlySpan<float> dy /*N,C,OH,OW*/, ReadOnlySpan<int> argmax /*N,C,OH,OW*/, Span<float> dx /*N,C,H,W*/)
    {
        int outputLength = CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        CheckLength(outputLength, argmax.Length, nameof(argmax));
        int inputLength = CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        var dxBatch = dx[..inputLength];
        dxBatch.Clear();
        for (int o = 0; o < outputLength; o++)
            dxBatch[argmax[o]] += dy[o];
    }

    /// <summary>y = mean of each window: (sum of the window in row-major order, in float) / (SizeHeight·SizeWidth).</summary>
    public static void AverageForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/)
    {
        CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        CheckBatch(g, batch, y.Length, nameof(y), isInput: false);

        int oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * g.Width;
        int planes = batch * g.Channels;
        float area = g.WindowArea;
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int planeStart = plane * planeSize;
            for (int r = 0; r < oh; r++)
            {
                for (int c = 0; c < ow; c++, o++)
                {
                    int top = r * g.StrideHeight, left = c * g.StrideWidth;
                    float sum = 0f;
                    for (int i = 0; i < g.SizeHeight; i++)
                    {
                        int row = planeStart + (top + i) * g.Width + left;
                        for (int j = 0; j < g.SizeWidth; j++)
                            sum += x[row + j];
                    }
                    y[o] = sum / area;
                }
            }
        }
    }

    /// <summary>
    /// dx is overwritten: zeroed, then every input of window o gets <c>dy[o] / (SizeHeight·SizeWidth)</c> added,
    /// windows taken in output order, so inputs shared by overlapping windows accumulate.
    /// </summary>
    public static void AverageBackward(in PoolGeometry g, int batch, ReadOnlySpan<float> dy /*N,C,OH,OW*/, Span<float> dx /*N,C,H,W*/)
    {
        CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        int inputLength = CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        int oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * g.Width;
        int planes = batch * g.Channels;
        float area = g.WindowArea;
        dx[..inputLength].Clear();
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            int planeStart = plane * planeSize;
            for (int r = 0; r < oh; r++)
            {
                for (int c = 0; c < ow; c++, o++)
                {
                    int top = r * g.StrideHeight, left = c * g.StrideWidth;
                    float share = dy[o] / area;
                    for (int i = 0; i < g.SizeHeight; i++)
                    {
                        int row = planeStart + (top + i) * g.Width + left;
                        for (int j = 0; j < g.SizeWidth; j++)
                            dx[row + j] += share;
                    }
                }
            }
        }
    }

    /// <summary>The element count of <paramref name="batch"/> inputs or outputs; throws if the span is shorter.</summary>
    internal static int CheckBatch(in PoolGeometry g, int batch, int actual, string name, bool isInput)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        int needed = batch * (isInput ? g.InputSize : g.OutputSize);
        CheckLength(needed, actual, name);
        return needed;
    }

    internal static void CheckLength(int needed, int actual, string name)
    {
        if (actual < needed)
            throw new ArgumentException($"Pooling: {name} holds {actual} values but the batch needs {needed}.", name);
    }
}
