using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// Batch normalisation over x [N, C, S] (S = H·W for BatchNorm2D, 1 for BatchNorm1D), per channel c over its M = N·S values.
/// </summary>
/// <remarks>
/// Every per-channel sum is formed in one fixed order, so the results are the same bits on every tier and for every
/// thread count: with S &gt; 1 each sample's S values of a channel go through <see cref="FixedOrderReductions"/>' 16
/// canonical lanes, samples in order; with S = 1 a channel's N values are summed in sample order (the vectors then run
/// across channels). Threads split channels, never a sum. Element-wise steps use the same fused operations on every tier:
/// <code>
///   forward   y = fma(a[c], x, b[c])            a = γ·invstd (training) or γ/√(running var + ε); b = β − mean·a
///   backward  dx = k[c]·(fma(M, dy, −Σdy) − (x − mean)·t[c])   k = γ·invstd/M, t = invstd·dγ_batch
///             dγ += invstd·Σ dy·(x − mean), dβ += Σ dy
/// </code>
/// </remarks>
internal static class BatchNormKernels
{
    private const int L = Lanes16.Count;

    /// <summary>Floats of scratch <see cref="Statistics"/> and <see cref="BackwardSums"/> need: partial sums [C, 16] or, for S = 1, [C].</summary>
    public static int ScratchSize(int channels, int spatial) => 2 * channels * (spatial > 1 ? L : 1);

    /// <summary>mean[c] and the biased variance[c] of x [N, C, S] over the N·S values of each channel (two passes).</summary>
    public static void Statistics(ReadOnlySpan<float> x, int batch, int channels, int spatial, Span<float> mean, Span<float> variance, Span<float> scratch)
    {
        float m = (float)((long)batch * spatial);
        var partial = scratch[..(channels * (spatial > 1 ? L : 1))];
        if (spatial > 1)
        {
            partial.Clear();
            for (int n = 0; n < batch; n++) FixedOrderReductions.AccumulateRowSums(channels, spatial, Sample(x, n, channels, spatial), partial);
            for (int c = 0; c < channels; c++) mean[c] = Lanes16.Sum(partial.Slice(c * L, L)) / m;
            partial.Clear();
            for (int n = 0; n < batch; n++) FixedOrderReductions.AccumulateSquaredDeviations(channels, spatial, Sample(x, n, channels, spatial), mean, partial);
            for (int c = 0; c < channels; c++) variance[c] = Lanes16.Sum(partial.Slice(c * L, L)) / m;
            return;
        }
        var columns = new ColumnKernel(x, default, batch, channels, mean, partial, ColumnKernel.Operation.Sum);
        TierDispatch.Run(ref columns);
        for (int c = 0; c < channels; c++) mean[c] = partial[c] / m;
        columns = new ColumnKernel(x, default, batch, channels, mean, partial, ColumnKernel.Operation.SquaredDeviation);
        TierDispatch.Run(ref columns);
        for (int c = 0; c < channels; c++) variance[c] = partial[c] / m;
    }

    /// <summary>sumDy[c] = Σ dy and sumDyX[c] = Σ dy·(x − mean[c]) over each channel of dy, x [N, C, S].</summary>
    public static void BackwardSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int channels, int spatial, ReadOnlySpan<float> mean,
        Span<float> sumDy, Span<float> sumDyX, Span<float> scratch)
    {
        int width = channels * (spatial > 1 ? L : 1);
        Span<float> p1 = scratch[..width], p2 = scratch.Slice(width, width);
        if (spatial > 1)
        {
            p1.Clear();
            p2.Clear();
            for (int n = 0; n < batch; n++)
            {
                var dyn = Sample(dy, n, channels, spatial);
                FixedOrderReductions.AccumulateRowSums(channels, spatial, dyn, p1);
                FixedOrderReductions.AccumulateCenteredDots(channels, spatial, dyn, Sample(x, n, channels, spatial), mean, p2);
            }
            for (int c = 0; c < channels; c++)
            {
                sumDy[c] = Lanes16.Sum(p1.Slice(c * L, L));
                sumDyX[c] = Lanes16.Sum(p2.Slice(c * L, L));
            }
            return;
        }
        var columns = new ColumnKernel(dy, default, batch, channels, mean, p1, ColumnKernel.Operation.Sum);
        TierDispatch.Run(ref columns);
        columns = new ColumnKernel(dy, x, batch, channels, mean, p2, ColumnKernel.Operation.CenteredDot);
        TierDispatch.Run(ref columns);
        p1.CopyTo(sumDy);
        p2.CopyTo(sumDyX);
    }

    /// <summary>y = fma(scale[c], x, shift[c]) for x, y [N, C, S]; with <paramref name="relu"/> then y = y &lt; 0 ? 0 : y.</summary>
    public static void Normalize(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu)
    {
        var kernel = new AffineKernel(x, y, default, batch, channels, spatial, scale, shift, default, relu);
        TierDispatch.Run(ref kernel);
    }

    /// <summary>dx = k[c]·(fma(M, dy, −sumDy[c]) − (x − mean[c])·t[c]) for x, dy, dx [N, C, S].</summary>
    public static void BackwardData(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, int channels, int spatial,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> k, ReadOnlySpan<float> t, ReadOnlySpan<float> sumDy)
    {
        var kernel = new AffineKernel(x, dx, dy, batch, channels, spatial, mean, k, t, relu: false, sumDy, (float)((long)batch * spatial));
        TierDispatch.Run(ref kernel);
    }

    private static ReadOnlySpan<float> Sample(ReadOnlySpan<float> values, int n, int channels, int spatial) =>
        values.Slice(n * channels * spatial, channels * spatial);

    /// <summary>
    /// The element-wise passes, written once over the width: <c>Normalize</c> (dy empty) or <c>BackwardData</c>. With S &gt; 1 the vectors
    /// run along each channel's S values (scalars broadcast); with S = 1 they run across channels (scalars loaded as vectors).
    /// </summary>
    private readonly ref struct AffineKernel : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _x, _dy, _p, _q, _r, _s;
        private readonly Span<float> _out;
        private readonly int _batch, _channels, _spatial;
        private readonly bool _relu;
        private readonly float _m;

        /// <summary>Normalize: p = scale, q = shift. BackwardData: p = mean, q = k, r = t, s = Σdy, m = M.</summary>
        public AffineKernel(ReadOnlySpan<float> x, Span<float> output, ReadOnlySpan<float> dy, int batch, int channels, int spatial,
            ReadOnlySpan<float> p, ReadOnlySpan<float> q, ReadOnlySpan<float> r, bool relu, ReadOnlySpan<float> s = default, float m = 0)
        {
            _x = x; _out = output; _dy = dy; _p = p; _q = q; _r = r; _s = s;
            (_batch, _channels, _spatial, _relu, _m) = (batch, channels, spatial, relu, m);
        }

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            bool backward = !_dy.IsEmpty;
            ref float x = ref MemoryMarshal.GetReference(_x);
            ref float o = ref MemoryMarshal.GetReference(_out);
            ref float dy = ref MemoryMarshal.GetReference(_dy);
            if (_spatial > 1)
            {
                for (int n = 0; n < _batch; n++)
                    for (int c = 0; c < _channels; c++)
                    {
                        int start = (n * _channels + c) * _spatial;
                        TVector p = TWidth.Broadcast(_p[c]), q = TWidth.Broadcast(_q[c]);
                        TVector r = backward ? TWidth.Broadcast(_r[c]) : default, s = backward ? TWidth.Broadcast(-_s[c]) : default;
                        int i = 0;
                        for (; i + TWidth.Count <= _spatial; i += TWidth.Count)
                            TWidth.Store(Element<TWidth, TVector>(ref x, ref dy, start + i, p, q, r, s, backward), ref Unsafe.Add(ref o, start + i));
                        for (; i < _spatial; i++)
                            Unsafe.Add(ref o, start + i) = Element<Width1, float>(ref x, ref dy, start + i, _p[c], _q[c],
                                backward ? _r[c] : 0f, backward ? -_s[c] : 0f, backward);
                    }
                return;
            }
            ref float pv = ref MemoryMarshal.GetReference(_p);
            ref float qv = ref MemoryMarshal.GetReference(_q);
            ref float rv = ref MemoryMarshal.GetReference(_r);
            ref float sv = ref MemoryMarshal.GetReference(_s);
            for (int n = 0; n < _batch; n++)
            {
                int start = n * _channels, c = 0;
                for (; c + TWidth.Count <= _channels; c += TWidth.Count)
                {
                    TVector r = backward ? TWidth.Load(ref Unsafe.Add(ref rv, c)) : default;
                    TVector s = backward ? TWidth.Subtract(TWidth.Zero, TWidth.Load(ref Unsafe.Add(ref sv, c))) : default;
                    TWidth.Store(Element<TWidth, TVector>(ref x, ref dy, start + c, TWidth.Load(ref Unsafe.Add(ref pv, c)),
                        TWidth.Load(ref Unsafe.Add(ref qv, c)), r, s, backward), ref Unsafe.Add(ref o, start + c));
                }
                for (; c < _channels; c++)
                    Unsafe.Add(ref o, start + c) = Element<Width1, float>(ref x, ref dy, start + c, _p[c], _q[c],
                        backward ? _r[c] : 0f, backward ? -_s[c] : 0f, backward);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Element<TW, TV>(ref float x, ref float dy, int at, TV p, TV q, TV r, TV negativeSum, bool backward)
            where TW : struct, IVectorWidth<TV> where TV : struct
        {
            TV xv = TW.Load(ref Unsafe.Add(ref x, at));
            if (!backward)
            {
                TV y = TW.MultiplyAdd(p, xv, q);
                return _relu ? TW.ConditionalSelect(TW.LessThan(y, TW.Zero), TW.Zero, y) : y;
            }
            // p = mean, q = k, r = t: k·(fma(M, dy, −Σdy) − (x − mean)·t)
            TV u = TW.MultiplyAdd(TW.Broadcast(_m), TW.Load(ref Unsafe.Add(ref dy, at)), negativeSum);
            return TW.Multiply(q, TW.Subtract(u, TW.Multiply(TW.Subtract(xv, p), r)));
        }
    }

    /// <summary>Per-channel sums over samples in order for S = 1, vectorised across channels: Σ v, Σ (v − c)², Σ v·(w − c).</summary>
    private readonly ref struct ColumnKernel(ReadOnlySpan<float> values, ReadOnlySpan<float> other, int batch, int channels,
        ReadOnlySpan<float> centers, Span<float> sums, ColumnKernel.Operation operation) : IWidthKernel
    {
        public enum Operation { Sum, SquaredDeviation, CenteredDot }

        private readonly ReadOnlySpan<float> _values = values, _other = other, _centers = centers;
        private readonly Span<float> _sums = sums;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            _sums[..channels].Clear();
            ref float v = ref MemoryMarshal.GetReference(_values);
            ref float w = ref MemoryMarshal.GetReference(_other);
            ref float m = ref MemoryMarshal.GetReference(_centers);
            ref float s = ref MemoryMarshal.GetReference(_sums);
            int c = 0;
            for (; c + TWidth.Count <= channels; c += TWidth.Count)
            {
                TVector acc = TWidth.Zero, center = operation == Operation.Sum ? TWidth.Zero : TWidth.Load(ref Unsafe.Add(ref m, c));
                for (int n = 0; n < batch; n++)
                    acc = Step<TWidth, TVector>(acc, ref v, ref w, n * channels + c, center);
                TWidth.Store(acc, ref Unsafe.Add(ref s, c));
            }
            for (; c < channels; c++)
            {
                float acc = 0f, center = operation == Operation.Sum ? 0f : _centers[c];
                for (int n = 0; n < batch; n++)
                    acc = Step<Width1, float>(acc, ref v, ref w, n * channels + c, center);
                _sums[c] = acc;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Step<TW, TV>(TV acc, ref float v, ref float w, int at, TV center) where TW : struct, IVectorWidth<TV> where TV : struct
        {
            TV a = TW.Load(ref Unsafe.Add(ref v, at));
            return operation switch
            {
                Operation.Sum => TW.Add(acc, a),
                Operation.SquaredDeviation => TW.MultiplyAdd(TW.Subtract(a, center), TW.Subtract(a, center), acc),
                _ => TW.MultiplyAdd(a, TW.Subtract(TW.Load(ref Unsafe.Add(ref w, at)), center), acc),
            };
        }
    }
}
