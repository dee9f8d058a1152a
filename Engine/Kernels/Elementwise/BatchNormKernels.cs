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

    /// <summary>
    /// mean[c] and the biased variance[c] of x [N, C, S] over the N·S values of each channel (two passes), on up to
    /// <paramref name="threads"/> threads when S &gt; 1 (each takes whole channels).
    /// </summary>
    public static void Statistics(ReadOnlySpan<float> x, int batch, int channels, int spatial, Span<float> mean, Span<float> variance, Span<float> scratch,
        int threads = 1)
    {
        float m = (float)((long)batch * spatial);
        var partial = scratch[..(channels * (spatial > 1 ? L : 1))];
        if (spatial > 1)
        {
            var body = new ChannelSums(x, default, batch, channels, spatial, default, mean, variance, partial, default, statistics: true);
            RunOverChannels(ref body, 3L * batch * channels * spatial, channels, threads);
            return;
        }
        var columns = new ColumnKernel(x, default, batch, channels, mean, partial, ColumnKernel.Operation.Sum);
        TierDispatch.Run(ref columns);
        for (int c = 0; c < channels; c++) mean[c] = partial[c] / m;
        columns = new ColumnKernel(x, default, batch, channels, mean, partial, ColumnKernel.Operation.SquaredDeviation);
        TierDispatch.Run(ref columns);
        for (int c = 0; c < channels; c++) variance[c] = partial[c] / m;
    }

    /// <summary>
    /// sumDy[c] = Σ dy and sumDyX[c] = Σ dy·(x − mean[c]) over each channel of dy, x [N, C, S], on up to
    /// <paramref name="threads"/> threads when S &gt; 1 (each takes whole channels). With <paramref name="reluScale"/> and
    /// <paramref name="reluShift"/> ([C], S &gt; 1 only) dy is the gradient of a ReLU after y = fma(scale[c], x, shift[c]) and is
    /// masked on the fly (<see cref="FixedOrderReductions.AccumulateMaskedSums"/>): the bits of masking it first.
    /// </summary>
    public static void BackwardSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int channels, int spatial, ReadOnlySpan<float> mean,
        Span<float> sumDy, Span<float> sumDyX, Span<float> scratch, int threads = 1, ReadOnlySpan<float> reluScale = default,
        ReadOnlySpan<float> reluShift = default)
    {
        int width = channels * (spatial > 1 ? L : 1);
        Span<float> p1 = scratch[..width], p2 = scratch.Slice(width, width);
        if (!reluScale.IsEmpty && spatial == 1) throw new ArgumentException("The ReLU mask is folded in for S > 1 only.", nameof(reluScale));
        if (spatial > 1)
        {
            var body = new ChannelSums(x, dy, batch, channels, spatial, mean, sumDy, sumDyX, p1, p2, statistics: false)
            {
                ReluScale = reluScale, ReluShift = reluShift,
            };
            RunOverChannels(ref body, 3L * batch * channels * spatial, channels, threads);
            return;
        }
        var columns = new ColumnKernel(dy, default, batch, channels, mean, p1, ColumnKernel.Operation.Sum);
        TierDispatch.Run(ref columns);
        columns = new ColumnKernel(dy, x, batch, channels, mean, p2, ColumnKernel.Operation.CenteredDot);
        TierDispatch.Run(ref columns);
        p1.CopyTo(sumDy);
        p2.CopyTo(sumDyX);
    }

    /// <summary>
    /// y = fma(scale[c], x, shift[c]) for x, y [N, C, S]; with <paramref name="relu"/> then y = y &lt; 0 ? 0 : y. On up to
    /// <paramref name="threads"/> threads when S &gt; 1 (each takes whole planes).
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu, int threads = 1)
    {
        var kernel = new AffineKernel(x, y, default, batch, channels, spatial, scale, shift, default, relu);
        RunOverPlanes(ref kernel, 2L * batch * channels * spatial, threads);
    }

    /// <summary>
    /// dx = k[c]·(fma(M, dy, −sumDy[c]) − (x − mean[c])·t[c]) for x, dy, dx [N, C, S], on up to <paramref name="threads"/>
    /// threads when S &gt; 1 (each takes whole planes). With <paramref name="reluScale"/> and <paramref name="reluShift"/> ([C],
    /// S &gt; 1 only) dy is masked on the fly as in <see cref="BackwardSums"/>.
    /// </summary>
    public static void BackwardData(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, int channels, int spatial,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> k, ReadOnlySpan<float> t, ReadOnlySpan<float> sumDy, int threads = 1,
        ReadOnlySpan<float> reluScale = default, ReadOnlySpan<float> reluShift = default)
    {
        if (!reluScale.IsEmpty && spatial == 1) throw new ArgumentException("The ReLU mask is folded in for S > 1 only.", nameof(reluScale));
        var kernel = new AffineKernel(x, dx, dy, batch, channels, spatial, mean, k, t, relu: !reluScale.IsEmpty, sumDy, (float)((long)batch * spatial))
        {
            ReluScale = reluScale, ReluShift = reluShift,
        };
        RunOverPlanes(ref kernel, 5L * batch * channels * spatial, threads);
    }

    /// <summary>The per-channel sums of <paramref name="body"/> in parts of whole channels (so no sum is split).</summary>
    private static void RunOverChannels(ref ChannelSums body, long work, int channels, int threads)
    {
        int parts = ParallelFor.PartsFor(work, channels, threads);
        body.Parts = parts;
        ParallelFor.Run(ref body, parts, threads);
    }

    /// <summary>The element-wise pass <paramref name="kernel"/> in parts of whole (sample, channel) planes, or whole when S = 1.</summary>
    private static void RunOverPlanes(ref AffineKernel kernel, long work, int threads)
    {
        int planes = kernel.Planes;
        int parts = kernel.Spatial > 1 ? ParallelFor.PartsFor(work, planes, threads) : 1;
        var body = new PlaneParts(kernel, planes, parts);
        ParallelFor.Run(ref body, parts, threads);
    }

    /// <summary>Part p of an element-wise pass: planes [P·p/parts, P·(p + 1)/parts).</summary>
    private readonly ref struct PlaneParts(in AffineKernel kernel, int planes, int parts) : IParallelBody
    {
        private readonly AffineKernel _kernel = kernel;

        public void Execute(int part, int worker)
        {
            var range = _kernel.Over((int)((long)planes * part / parts), (int)((long)planes * (part + 1) / parts));
            TierDispatch.Run(ref range);
        }
    }

    /// <summary>
    /// Part p of the per-channel sums for S &gt; 1, over channels [C·p/parts, C·(p + 1)/parts): each channel's values of every sample,
    /// samples in order, through the 16 canonical lanes — the same operations as one pass over all channels.
    /// Statistics (<paramref name="statistics"/>): first = mean, second = biased variance of x. Backward sums: first = Σ dy,
    /// second = Σ dy·(x − centers).
    /// </summary>
    private ref struct ChannelSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int channels, int spatial,
        ReadOnlySpan<float> centers, Span<float> first, Span<float> second, Span<float> partial, Span<float> partial2, bool statistics)
        : IParallelBody
    {
        private readonly ReadOnlySpan<float> _x = x, _dy = dy, _centers = centers;
        private readonly Span<float> _first = first, _second = second, _partial = partial, _partial2 = partial2;

        public int Parts { get; set; } = 1;

        /// <summary>Backward sums of a ReLU's gradient: the affine map [C] before the ReLU, or empty.</summary>
        public ReadOnlySpan<float> ReluScale { get; init; }

        /// <summary>See <see cref="ReluScale"/>.</summary>
        public ReadOnlySpan<float> ReluShift { get; init; }

        public readonly void Execute(int part, int worker)
        {
            int c0 = (int)((long)channels * part / Parts), c1 = (int)((long)channels * (part + 1) / Parts), count = c1 - c0;
            var p1 = _partial.Slice(c0 * L, count * L);
            p1.Clear();
            if (statistics)
            {
                var mean = _first.Slice(c0, count);
                float m = (float)((long)batch * spatial);
                for (int n = 0; n < batch; n++) FixedOrderReductions.AccumulateRowSums(count, spatial, Channels(_x, n, c0, count), p1);
                for (int c = 0; c < count; c++) mean[c] = Lanes16.Sum(p1.Slice(c * L, L)) / m;
                p1.Clear();
                for (int n = 0; n < batch; n++) FixedOrderReductions.AccumulateSquaredDeviations(count, spatial, Channels(_x, n, c0, count), mean, p1);
                for (int c = 0; c < count; c++) _second[c0 + c] = Lanes16.Sum(p1.Slice(c * L, L)) / m;
                return;
            }
            var p2 = _partial2.Slice(c0 * L, count * L);
            p2.Clear();
            var centers = _centers.Slice(c0, count);
            bool masked = !ReluScale.IsEmpty;
            for (int n = 0; n < batch; n++)
            {
                var dyn = Channels(_dy, n, c0, count);
                if (masked)
                {
                    FixedOrderReductions.AccumulateMaskedSums(count, spatial, dyn, Channels(_x, n, c0, count), ReluScale.Slice(c0, count),
                        ReluShift.Slice(c0, count), centers, p1, p2);
                    continue;
                }
                FixedOrderReductions.AccumulateRowSums(count, spatial, dyn, p1);
                FixedOrderReductions.AccumulateCenteredDots(count, spatial, dyn, Channels(_x, n, c0, count), centers, p2);
            }
            for (int c = 0; c < count; c++)
            {
                _first[c0 + c] = Lanes16.Sum(p1.Slice(c * L, L));
                _second[c0 + c] = Lanes16.Sum(p2.Slice(c * L, L));
            }
        }

        /// <summary>values [N, C, S] → the [count, S] rows of channels c0 … of sample n.</summary>
        private readonly ReadOnlySpan<float> Channels(ReadOnlySpan<float> values, int n, int c0, int count) =>
            values.Slice((n * channels + c0) * spatial, count * spatial);
    }

    /// <summary>
    /// The element-wise passes, written once over the width: <c>Normalize</c> (dy empty) or <c>BackwardData</c>. With S &gt; 1 the vectors
    /// run along each channel's S values (scalars broadcast); with S = 1 they run across channels (scalars loaded as vectors).
    /// </summary>
    private ref struct AffineKernel : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _x, _dy, _p, _q, _r, _s;
        private readonly Span<float> _out;
        private readonly int _batch, _channels, _spatial;
        private readonly bool _relu;
        private readonly float _m;
        private int _planeStart, _planeEnd; // the (sample, channel) planes n·C + c this pass covers when S > 1

        /// <summary>BackwardData of a ReLU's gradient (relu set, S &gt; 1): the affine map [C] before the ReLU, whose mask is recomputed.</summary>
        public ReadOnlySpan<float> ReluScale { get; init; }

        /// <summary>See <see cref="ReluScale"/>.</summary>
        public ReadOnlySpan<float> ReluShift { get; init; }

        /// <summary>Normalize: p = scale, q = shift. BackwardData: p = mean, q = k, r = t, s = Σdy, m = M.</summary>
        public AffineKernel(ReadOnlySpan<float> x, Span<float> output, ReadOnlySpan<float> dy, int batch, int channels, int spatial,
            ReadOnlySpan<float> p, ReadOnlySpan<float> q, ReadOnlySpan<float> r, bool relu, ReadOnlySpan<float> s = default, float m = 0)
        {
            _x = x; _out = output; _dy = dy; _p = p; _q = q; _r = r; _s = s;
            (_batch, _channels, _spatial, _relu, _m) = (batch, channels, spatial, relu, m);
            (_planeStart, _planeEnd) = (0, batch * channels);
        }

        /// <summary>The number of (sample, channel) planes, N·C.</summary>
        public readonly int Planes => _batch * _channels;

        /// <summary>Values per plane, S.</summary>
        public readonly int Spatial => _spatial;

        /// <summary>This pass over planes [start, end) only (S &gt; 1; with S = 1 a pass always covers everything).</summary>
        public readonly AffineKernel Over(int start, int end)
        {
            var part = this;
            (part._planeStart, part._planeEnd) = (start, end);
            return part;
        }

        public readonly void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            bool backward = !_dy.IsEmpty;
            ref float x = ref MemoryMarshal.GetReference(_x);
            ref float o = ref MemoryMarshal.GetReference(_out);
            ref float dy = ref MemoryMarshal.GetReference(_dy);
            if (_spatial > 1)
            {
                for (int plane = _planeStart; plane < _planeEnd; plane++)
                {
                    int c = plane % _channels, start = plane * _spatial;
                    TVector p = TWidth.Broadcast(_p[c]), q = TWidth.Broadcast(_q[c]);
                    TVector r = backward ? TWidth.Broadcast(_r[c]) : default, s = backward ? TWidth.Broadcast(-_s[c]) : default;
                    bool masked = backward && _relu;
                    float ma = masked ? ReluScale[c] : 0f, mb = masked ? ReluShift[c] : 0f;
                    TVector va = TWidth.Broadcast(ma), vb = TWidth.Broadcast(mb);
                    int i = 0;
                    for (; i + TWidth.Count <= _spatial; i += TWidth.Count)
                        TWidth.Store(Element<TWidth, TVector>(ref x, ref dy, start + i, p, q, r, s, backward, va, vb), ref Unsafe.Add(ref o, start + i));
                    for (; i < _spatial; i++)
                        Unsafe.Add(ref o, start + i) = Element<Width1, float>(ref x, ref dy, start + i, _p[c], _q[c],
                            backward ? _r[c] : 0f, backward ? -_s[c] : 0f, backward, ma, mb);
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
                        TWidth.Load(ref Unsafe.Add(ref qv, c)), r, s, backward, default, default), ref Unsafe.Add(ref o, start + c));
                }
                for (; c < _channels; c++)
                    Unsafe.Add(ref o, start + c) = Element<Width1, float>(ref x, ref dy, start + c, _p[c], _q[c],
                        backward ? _r[c] : 0f, backward ? -_s[c] : 0f, backward, 0f, 0f);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly TV Element<TW, TV>(ref float x, ref float dy, int at, TV p, TV q, TV r, TV negativeSum, bool backward,
            TV reluScale, TV reluShift) where TW : struct, IVectorWidth<TV> where TV : struct
        {
            TV xv = TW.Load(ref Unsafe.Add(ref x, at));
            if (!backward)
            {
                TV y = TW.MultiplyAdd(p, xv, q);
                return _relu ? TW.ConditionalSelect(TW.LessThan(y, TW.Zero), TW.Zero, y) : y;
            }
            // p = mean, q = k, r = t: k·(fma(M, dy, −Σdy) − (x − mean)·t), dy masked by the ReLU after fma(reluScale, x, reluShift) if fused
            TV g = TW.Load(ref Unsafe.Add(ref dy, at));
            if (_relu) g = FixedOrderReductions.Mask<TW, TV>(g, xv, reluScale, reluShift);
            TV u = TW.MultiplyAdd(TW.Broadcast(_m), g, negativeSum);
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
