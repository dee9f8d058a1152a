using Engine.Kernels;
using Engine.Layers;

namespace Engine.Tests.Kernels;

/// <summary>One convolution shape for data-driven tests (public so NUnit can pass it to test methods).</summary>
public sealed record ConvCase(int Batch, int Channels, int Height, int Width, int Filters,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, Padding Padding)
{
    internal ConvGeometry Geometry =>
        LayerGeometry.Conv(Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth, Padding);

    /// <inheritdoc />
    public override string ToString() =>
        $"N{Batch} {Channels}x{Height}x{Width} F{Filters} k{KernelHeight}x{KernelWidth} s{StrideHeight}x{StrideWidth} {Padding}";

    /// <summary>Odd sizes, strides 1–3, valid/same/explicit padding, batches 1–3, 1 to 16 channels.</summary>
    public static IEnumerable<ConvCase> All()
    {
        yield return new(1, 1, 5, 5, 1, 3, 3, 1, 1, Padding.Valid);
        yield return new(3, 2, 7, 6, 4, 3, 3, 2, 2, Padding.Same);
        yield return new(3, 3, 9, 11, 5, 5, 3, 2, 1, Padding.Explicit(2, 1, 0, 1));
        yield return new(2, 4, 8, 8, 3, 1, 1, 1, 1, Padding.Valid);
        yield return new(3, 1, 13, 17, 2, 4, 4, 3, 3, Padding.Same);
        yield return new(1, 5, 6, 5, 7, 2, 3, 1, 2, Padding.Explicit(1));
        yield return new(2, 3, 5, 5, 2, 5, 5, 1, 1, Padding.Valid);
        yield return new(3, 16, 7, 7, 8, 3, 3, 1, 1, Padding.Same);
        yield return new(3, 7, 5, 9, 3, 3, 3, 2, 2, Padding.Explicit(1, 0));
    }
}

/// <summary>
/// The textbook convolution as nested loops in double, an oracle independent of im2col and GEMM.
/// Layouts: x [N, C, H, W], weights [F, C, KH, KW], bias [F], y [N, F, OH, OW].
/// Each result comes with Σ|terms| so comparisons can scale their tolerance.
/// </summary>
internal static class DirectConvolution
{
    public static (double[] Value, double[] Scale) Forward(ConvGeometry g, int batch, int filters, float[] x, float[] weights, float[] bias)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var y = new double[batch * filters * oh * ow];
        var scale = new double[y.Length];
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < filters; f++)
        for (int r = 0; r < oh; r++)
        for (int s = 0; s < ow; s++)
        {
            double sum = bias[f], abs = Math.Abs(bias[f]);
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int ih = r * g.StrideHeight - g.PadTop + i, iw = s * g.StrideWidth - g.PadLeft + j;
                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                double term = (double)weights[((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j]
                            * x[((n * g.Channels + c) * g.Height + ih) * g.Width + iw];
                sum += term;
                abs += Math.Abs(term);
            }
            int index = ((n * filters + f) * oh + r) * ow + s;
            y[index] = sum;
            scale[index] = abs;
        }
        return (y, scale);
    }

    /// <summary>dW[f, c, i, j] = Σ dy[n, f, r, s]·x[n, c, r·SH − PT + i, s·SW − PL + j]; db[f] = Σ dy[n, f, ·, ·].</summary>
    public static (double[] WeightGradient, double[] WeightScale, double[] BiasGradient, double[] BiasScale) BackwardWeights(
        ConvGeometry g, int batch, int filters, float[] x, float[] dy)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var dw = new double[filters * g.ColumnRows];
        var dwScale = new double[dw.Length];
        var db = new double[filters];
        var dbScale = new double[filters];
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < filters; f++)
        for (int r = 0; r < oh; r++)
        for (int s = 0; s < ow; s++)
        {
            double d = dy[((n * filters + f) * oh + r) * ow + s];
            db[f] += d;
            dbScale[f] += Math.Abs(d);
            for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int ih = r * g.StrideHeight - g.PadTop + i, iw = s * g.StrideWidth - g.PadLeft + j;
                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                double term = d * x[((n * g.Channels + c) * g.Height + ih) * g.Width + iw];
                int wi = ((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j;
                dw[wi] += term;
                dwScale[wi] += Math.Abs(term);
            }
        }
        return (dw, dwScale, db, dbScale);
    }

    /// <summary>dx[n, c, h, w] = Σ over every (f, r, s, i, j) whose window puts kernel tap (i, j) on (h, w) of W[f, c, i, j]·dy[n, f, r, s].</summary>
    public static (double[] Value, double[] Scale) BackwardData(ConvGeometry g, int batch, int filters, float[] weights, float[] dy)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var dx = new double[batch * g.InputSize];
        var scale = new double[dx.Length];
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < filters; f++)
        for (int r = 0; r < oh; r++)
        for (int s = 0; s < ow; s++)
        for (int c = 0; c < g.Channels; c++)
        for (int i = 0; i < g.KernelHeight; i++)
        for (int j = 0; j < g.KernelWidth; j++)
        {
            int ih = r * g.StrideHeight - g.PadTop + i, iw = s * g.StrideWidth - g.PadLeft + j;
            if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
            double term = (double)weights[((f * g.Channels + c) * g.KernelHeight + i) * g.KernelWidth + j]
                        * dy[((n * filters + f) * oh + r) * ow + s];
            int xi = ((n * g.Channels + c) * g.Height + ih) * g.Width + iw;
            dx[xi] += term;
            scale[xi] += Math.Abs(term);
        }
        return (dx, scale);
    }

    /// <summary>Asserts |actual − expected| ≤ 1e-5·(1 + Σ|terms|) element by element, reporting the first failure.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double[] scale, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-5 * (1 + scale[i]);
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
                Assert.Fail($"{what}[{i}] = {actual[i]:G9}, direct loops give {expected[i]:G9} (tolerance {tolerance:G3})");
        }
    }
}
