using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Kernels;

/// <summary>
/// Sums and dot products over long rows in one fixed association order on every tier: element p of a row
/// (of every sample, in sample order) is added into lane p mod 16 of a 16-lane partial sum with a fused
/// multiply-add (a tail's missing lanes get 0·0 or 0·1), and the lanes are combined once at the end by
/// <see cref="Lanes16.Sum"/>. Vectorised like a plain loop, yet the result does not depend on the vector
/// width — which a naive vector reduction would (STYLE.md anchor 1, "what NOT to copy").
/// </summary>
internal static class FixedOrderReductions
{
    private const int L = Lanes16.Count;
    private const int FilterBlock = 4;
    private static readonly float[] Ones = Enumerable.Repeat(1f, L).ToArray();

    /// <summary>
    /// partial[f, k, lane] += Σ_{p ≡ lane} dy[f, p]·source[rowStarts[k] + p] (dy: [F, length]; row k of the
    /// second operand starts at rowStarts[k] in <paramref name="source"/> — rows may overlap; partial: [F, rows, 16]).
    /// </summary>
    public static void AccumulateDots(int filters, int length, ReadOnlySpan<float> dy, ReadOnlySpan<float> source,
        ReadOnlySpan<int> rowStarts, Span<float> partial)
    {
        foreach (int start in rowStarts)
            if (start < 0 || start + length > source.Length)
                throw new ArgumentOutOfRangeException(nameof(rowStarts), $"A row of {length} starting at {start} leaves the source of {source.Length}.");
        if (dy.Length < filters * length) throw new ArgumentException($"dy needs {filters}×{length} values.", nameof(dy));
        if (partial.Length < filters * rowStarts.Length * L) throw new ArgumentException("partial is too short.", nameof(partial));
        var kernel = new DotsKernel(filters, length, dy, source, rowStarts, partial);
        TierDispatch.Run(ref kernel);
    }

    /// <summary>partial[r, lane] += Σ_{p ≡ lane} values[r, p] (values: [count, length], partial: [count, 16]).</summary>
    public static void AccumulateRowSums(int count, int length, ReadOnlySpan<float> values, Span<float> partial)
    {
        if (values.Length < (long)count * length) throw new ArgumentException($"values needs {count}×{length} values.", nameof(values));
        if (partial.Length < count * L) throw new ArgumentException($"partial needs {count}×{L} values.", nameof(partial));
        var kernel = new RowSumsKernel(count, length, values, partial);
        TierDispatch.Run(ref kernel);
    }

    private readonly ref struct DotsKernel(int filters, int length, ReadOnlySpan<float> dy, ReadOnlySpan<float> source,
        ReadOnlySpan<int> rowStarts, Span<float> partial) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _dy = dy, _source = source;
        private readonly ReadOnlySpan<int> _rowStarts = rowStarts;
        private readonly Span<float> _partial = partial;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            AccumulateDots<TWidth, TVector>(filters, length, _dy, _source, _rowStarts, _partial);
    }

    private readonly ref struct RowSumsKernel(int count, int length, ReadOnlySpan<float> values, Span<float> partial) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _values = values;
        private readonly Span<float> _partial = partial;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
            AccumulateRowSums<TWidth, TVector>(count, length, _values, _partial);
    }

    /// <summary>
    /// partial[r, lane] += Σ_{p ≡ lane} (values[r, p] − centers[r])² (values: [count, length], centers: [count], partial: [count, 16]),
    /// each square fused into its sum: acc = fma(d, d, acc).
    /// </summary>
    public static void AccumulateSquaredDeviations(int count, int length, ReadOnlySpan<float> values, ReadOnlySpan<float> centers, Span<float> partial)
    {
        if (values.Length < (long)count * length) throw new ArgumentException($"values needs {count}×{length} values.", nameof(values));
        if (centers.Length < count) throw new ArgumentException($"centers needs {count} values.", nameof(centers));
        if (partial.Length < count * L) throw new ArgumentException($"partial needs {count}×{L} values.", nameof(partial));
        var kernel = new CenteredKernel(count, length, values, values, centers, partial, squares: true);
        TierDispatch.Run(ref kernel);
    }

    /// <summary>
    /// partial[r, lane] += Σ_{p ≡ lane} a[r, p]·(b[r, p] − centers[r]) (a, b: [count, length], centers: [count], partial: [count, 16]),
    /// acc = fma(a, b − c, acc).
    /// </summary>
    public static void AccumulateCenteredDots(int count, int length, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> centers, Span<float> partial)
    {
        if (a.Length < (long)count * length || b.Length < (long)count * length) throw new ArgumentException($"a and b need {count}×{length} values.");
        if (centers.Length < count) throw new ArgumentException($"centers needs {count} values.", nameof(centers));
        if (partial.Length < count * L) throw new ArgumentException($"partial needs {count}×{L} values.", nameof(partial));
        var kernel = new CenteredKernel(count, length, a, b, centers, partial, squares: false);
        TierDispatch.Run(ref kernel);
    }

    private readonly ref struct CenteredKernel(int count, int length, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> centers,
        Span<float> partial, bool squares) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _a = a, _b = b, _centers = centers;
        private readonly Span<float> _partial = partial;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int full = length / L * L, rest = length - full;
            Span<float> tails = stackalloc float[2 * L]; // [a tail | b tail]; missing elements contribute 0
            ref float ta = ref MemoryMarshal.GetReference(tails);
            ref float tb = ref Unsafe.Add(ref ta, L);
            for (int r = 0; r < count; r++)
            {
                float center = _centers[r];
                ref float va = ref MemoryMarshal.GetReference(_a.Slice(r * length));
                ref float vb = ref MemoryMarshal.GetReference(_b.Slice(r * length));
                if (rest > 0)
                {
                    // Padding that adds exactly 0: a squared deviation of the center itself, or a dot with a zero gradient.
                    tails[..L].Fill(squares ? center : 0f);
                    tails[L..].Fill(center);
                    _a.Slice(r * length + full, rest).CopyTo(tails);
                    _b.Slice(r * length + full, rest).CopyTo(tails[L..]);
                }
                TVector c = TWidth.Broadcast(center);
                for (int q = 0; q < L; q += TWidth.Count)
                {
                    ref float p = ref _partial[r * L + q];
                    TVector acc = TWidth.Load(ref p);
                    for (int j = q; j < full; j += L)
                    {
                        TVector d = TWidth.Subtract(TWidth.Load(ref Unsafe.Add(ref vb, j)), c);
                        acc = TWidth.MultiplyAdd(squares ? d : TWidth.Load(ref Unsafe.Add(ref va, j)), d, acc);
                    }
                    if (rest > 0)
                    {
                        TVector d = TWidth.Subtract(TWidth.Load(ref Unsafe.Add(ref tb, q)), c);
                        acc = TWidth.MultiplyAdd(squares ? d : TWidth.Load(ref Unsafe.Add(ref ta, q)), d, acc);
                    }
                    TWidth.Store(acc, ref p);
                }
            }
        }
    }

    /// <summary>
    /// The two sums of <see cref="AccumulateRowSums"/> and <see cref="AccumulateCenteredDots"/> of a gradient masked by a ReLU,
    /// in one pass: with g = dy[r, p] where fma(scale[r], x[r, p], shift[r]) &gt; 0 and +0 elsewhere (a ReLU after the affine
    /// map, its mask recomputed), sums[r, lane] += Σ g and dots[r, lane] += Σ g·(x[r, p] − centers[r]) — the same chains,
    /// hence the same bits, as masking dy first and calling those two (dy, x: [count, length]; scale, shift, centers:
    /// [count]; sums, dots: [count, 16]).
    /// </summary>
    public static void AccumulateMaskedSums(int count, int length, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, ReadOnlySpan<float> centers, Span<float> sums, Span<float> dots)
    {
        if (dy.Length < (long)count * length || x.Length < (long)count * length) throw new ArgumentException($"dy and x need {count}×{length} values.");
        if (scale.Length < count || shift.Length < count || centers.Length < count) throw new ArgumentException($"scale, shift and centers need {count} values.");
        if (sums.Length < count * L || dots.Length < count * L) throw new ArgumentException($"sums and dots need {count}×{L} values.");
        var kernel = new MaskedSumsKernel(count, length, dy, x, scale, shift, centers, sums, dots);
        TierDispatch.Run(ref kernel);
    }

    private readonly ref struct MaskedSumsKernel(int count, int length, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> shift, ReadOnlySpan<float> centers, Span<float> sums, Span<float> dots) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _dy = dy, _x = x, _scale = scale, _shift = shift, _centers = centers;
        private readonly Span<float> _sums = sums, _dots = dots;

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            int full = length / L * L, rest = length - full;
            Span<float> tails = stackalloc float[2 * L]; // [masked dy tail, 0-padded | x tail, center-padded]: padding adds exactly 0
            ref float tg = ref MemoryMarshal.GetReference(tails);
            ref float tx = ref Unsafe.Add(ref tg, L);
            TVector one = TWidth.Load(ref Ones[0]);
            for (int r = 0; r < count; r++)
            {
                float center = _centers[r];
                ref float vg = ref MemoryMarshal.GetReference(_dy.Slice(r * length));
                ref float vx = ref MemoryMarshal.GetReference(_x.Slice(r * length));
                if (rest > 0)
                {
                    tails[..L].Clear();
                    tails[L..].Fill(center);
                    for (int i = 0; i < rest; i++)
                    {
                        float xi = Unsafe.Add(ref vx, full + i);
                        tails[i] = Mask<Width1, float>(Unsafe.Add(ref vg, full + i), xi, _scale[r], _shift[r]);
                        tails[L + i] = xi;
                    }
                }
                TVector a = TWidth.Broadcast(_scale[r]), b = TWidth.Broadcast(_shift[r]), c = TWidth.Broadcast(center);
                for (int q = 0; q < L; q += TWidth.Count)
                {
                    ref float ps = ref _sums[r * L + q];
                    ref float pd = ref _dots[r * L + q];
                    TVector sum = TWidth.Load(ref ps), dot = TWidth.Load(ref pd);
                    for (int j = q; j < full; j += L)
                    {
                        TVector xv = TWidth.Load(ref Unsafe.Add(ref vx, j));
                        TVector g = Mask<TWidth, TVector>(TWidth.Load(ref Unsafe.Add(ref vg, j)), xv, a, b);
                        sum = TWidth.MultiplyAdd(g, one, sum);
                        dot = TWidth.MultiplyAdd(g, TWidth.Subtract(xv, c), dot);
                    }
                    if (rest > 0)
                    {
                        TVector g = TWidth.Load(ref Unsafe.Add(ref tg, q));
                        sum = TWidth.MultiplyAdd(g, one, sum);
                        dot = TWidth.MultiplyAdd(g, TWidth.Subtract(TWidth.Load(ref Unsafe.Add(ref tx, q)), c), dot);
                    }
                    TWidth.Store(sum, ref ps);
                    TWidth.Store(dot, ref pd);
                }
            }
        }
    }

    /// <summary>dy where the ReLU after y = fma(scale, x, shift) passed it (y &gt; 0), else +0: <see cref="VectorOps.MaskByPositive"/>'s operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Mask<TW, TV>(TV dy, TV x, TV scale, TV shift) where TW : struct, IVectorWidth<TV> where TV : struct =>
        TW.And(dy, TW.GreaterThan(TW.MultiplyAdd(scale, x, shift), TW.Zero));

    /// <summary>target[i] += Lanes16.Sum(partial[i, 0..16)).</summary>
    public static void AddTotals(ReadOnlySpan<float> partial, Span<float> target)
    {
        for (int i = 0; i < partial.Length / L; i++)
            target[i] += Lanes16.Sum(partial.Slice(i * L, L));
    }

    /// <summary>target[n, u] = Lanes16.Sum(partial[u, n, 0..16)) for partial [units, count, 16] and target [count, units].</summary>
    public static void StoreTransposedTotals(ReadOnlySpan<float> partial, int units, int count, Span<float> target)
    {
        for (int u = 0; u < units; u++)
            for (int n = 0; n < count; n++)
                target[n * units + u] = Lanes16.Sum(partial.Slice((u * count + n) * L, L));
    }

    // Both kernels cover the 16 lanes as 16 / Count passes of one register each: pass q handles lanes
    // q·Count … q·Count+Count−1, reading the elements at q·Count + 16·t. Each lane thus sees the same
    // elements in the same order on every width, and the accumulators stay in registers.

    private static void AccumulateRowSums<TWidth, TVector>(int count, int length, ReadOnlySpan<float> values, Span<float> partial)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int full = length / L * L, rest = length - full;
        Span<float> tail = stackalloc float[L];
        ref float t = ref MemoryMarshal.GetReference(tail);
        TVector one = TWidth.Load(ref Ones[0]);
        for (int r = 0; r < count; r++)
        {
            ref float v = ref MemoryMarshal.GetReference(values.Slice(r * length));
            if (rest > 0)
            {
                tail.Clear();
                values.Slice(r * length + full, rest).CopyTo(tail);
            }
            for (int q = 0; q < L; q += TWidth.Count)
            {
                ref float p = ref partial[r * L + q];
                TVector acc = TWidth.Load(ref p);
                for (int j = q; j < full; j += L)
                    acc = TWidth.MultiplyAdd(TWidth.Load(ref Unsafe.Add(ref v, j)), one, acc);
                if (rest > 0) acc = TWidth.MultiplyAdd(TWidth.Load(ref Unsafe.Add(ref t, q)), one, acc);
                TWidth.Store(acc, ref p);
            }
        }
    }

    /// <summary>partial[f, k, lane] += dy[f, p]·source[rowStarts[k] + p] for p ≡ lane (mod 16): four filters × two rows per pass
    /// (eight independent chains; each row load shared by four filters, each dy load by two rows), an odd last row alone.</summary>
    private static void AccumulateDots<TWidth, TVector>(int filters, int length, ReadOnlySpan<float> dy, ReadOnlySpan<float> source,
        ReadOnlySpan<int> rowStarts, Span<float> partial)
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct
    {
        int rows = rowStarts.Length;
        int full = length / L * L, rest = length - full;
        Span<float> tails = stackalloc float[L * (FilterBlock + 2)]; // [dy tail of each filter in the block | two column tails]
        ref float p = ref MemoryMarshal.GetReference(partial);
        ref float t = ref MemoryMarshal.GetReference(tails);
        for (int f0 = 0; f0 < filters; f0 += FilterBlock)
        {
            int count = Math.Min(FilterBlock, filters - f0);
            // Missing filters of the last block reuse the first filter's rows; their sums are not stored.
            int i1 = count > 1 ? f0 + 1 : f0, i2 = count > 2 ? f0 + 2 : f0, i3 = count > 3 ? f0 + 3 : f0;
            var block = new DotBlock(
                ref MemoryMarshal.GetReference(dy.Slice(f0 * length)), ref MemoryMarshal.GetReference(dy.Slice(i1 * length)),
                ref MemoryMarshal.GetReference(dy.Slice(i2 * length)), ref MemoryMarshal.GetReference(dy.Slice(i3 * length)),
                ref t, full, rest, f0 * rows * L, i1 * rows * L, i2 * rows * L, i3 * rows * L, count);
            if (rest > 0)
            {
                tails.Clear();
                dy.Slice(f0 * length + full, rest).CopyTo(tails);
                dy.Slice(i1 * length + full, rest).CopyTo(tails.Slice(L, rest));
                dy.Slice(i2 * length + full, rest).CopyTo(tails.Slice(2 * L, rest));
                dy.Slice(i3 * length + full, rest).CopyTo(tails.Slice(3 * L, rest));
            }
            int k = 0;
            for (; k + 1 < rows; k += 2)
            {
                if (rest > 0)
                {
                    tails.Slice(FilterBlock * L, 2 * L).Clear();
                    source.Slice(rowStarts[k] + full, rest).CopyTo(tails.Slice(FilterBlock * L));
                    source.Slice(rowStarts[k + 1] + full, rest).CopyTo(tails.Slice((FilterBlock + 1) * L));
                }
                block.Rows<TWidth, TVector, Two>(ref p, k * L, ref MemoryMarshal.GetReference(source.Slice(rowStarts[k])),
                    ref MemoryMarshal.GetReference(source.Slice(rowStarts[k + 1])));
            }
            if (k < rows)
            {
                if (rest > 0)
                {
                    tails.Slice(FilterBlock * L, L).Clear();
                    source.Slice(rowStarts[k] + full, rest).CopyTo(tails.Slice(FilterBlock * L));
                }
                ref float c = ref MemoryMarshal.GetReference(source.Slice(rowStarts[k]));
                block.Rows<TWidth, TVector, One>(ref p, k * L, ref c, ref c);
            }
        }
    }

    /// <summary>One block of four filters' dy rows (and their tails), with where each filter's partial sums [rows, 16] start.</summary>
    private readonly ref struct DotBlock(ref float d0, ref float d1, ref float d2, ref float d3, ref float tails, int full, int rest,
        int p0, int p1, int p2, int p3, int count)
    {
        private readonly ref float _d0 = ref d0, _d1 = ref d1, _d2 = ref d2, _d3 = ref d3, _tails = ref tails;

        /// <summary>partial[f, k (and k + 1), lane] += Σ dy[f, p]·row[p] over the block's filters, lanes in passes of one register:
        /// every chain sees its elements in increasing p, the tail last — the same operations as one row at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Rows<TWidth, TVector, TRows>(ref float partial, int row, ref float c0, ref float c1)
            where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TRows : struct, ITwoOrOne
        {
            for (int q = 0; q < L; q += TWidth.Count)
            {
                ref float q0 = ref Unsafe.Add(ref partial, p0 + row + q), q1 = ref Unsafe.Add(ref partial, p1 + row + q);
                ref float q2 = ref Unsafe.Add(ref partial, p2 + row + q), q3 = ref Unsafe.Add(ref partial, p3 + row + q);
                TVector a0 = TWidth.Load(ref q0), a1 = TWidth.Load(ref q1), a2 = TWidth.Load(ref q2), a3 = TWidth.Load(ref q3);
                TVector b0 = TWidth.Zero, b1 = TWidth.Zero, b2 = TWidth.Zero, b3 = TWidth.Zero;
                if (TRows.IsTwo)
                {
                    b0 = TWidth.Load(ref Unsafe.Add(ref q0, L)); b1 = TWidth.Load(ref Unsafe.Add(ref q1, L));
                    b2 = TWidth.Load(ref Unsafe.Add(ref q2, L)); b3 = TWidth.Load(ref Unsafe.Add(ref q3, L));
                }
                for (int j = q; j < full; j += L)
                {
                    TVector u = TWidth.Load(ref Unsafe.Add(ref c0, j));
                    TVector v = TRows.IsTwo ? TWidth.Load(ref Unsafe.Add(ref c1, j)) : default;
                    TVector d = TWidth.Load(ref Unsafe.Add(ref _d0, j));
                    a0 = TWidth.MultiplyAdd(d, u, a0); if (TRows.IsTwo) b0 = TWidth.MultiplyAdd(d, v, b0);
                    d = TWidth.Load(ref Unsafe.Add(ref _d1, j));
                    a1 = TWidth.MultiplyAdd(d, u, a1); if (TRows.IsTwo) b1 = TWidth.MultiplyAdd(d, v, b1);
                    d = TWidth.Load(ref Unsafe.Add(ref _d2, j));
                    a2 = TWidth.MultiplyAdd(d, u, a2); if (TRows.IsTwo) b2 = TWidth.MultiplyAdd(d, v, b2);
                    d = TWidth.Load(ref Unsafe.Add(ref _d3, j));
                    a3 = TWidth.MultiplyAdd(d, u, a3); if (TRows.IsTwo) b3 = TWidth.MultiplyAdd(d, v, b3);
                }
                if (rest > 0)
                {
                    TVector u = TWidth.Load(ref Unsafe.Add(ref _tails, FilterBlock * L + q));
                    TVector v = TRows.IsTwo ? TWidth.Load(ref Unsafe.Add(ref _tails, (FilterBlock + 1) * L + q)) : default;
                    TVector d = TWidth.Load(ref Unsafe.Add(ref _tails, q));
                    a0 = TWidth.MultiplyAdd(d, u, a0); if (TRows.IsTwo) b0 = TWidth.MultiplyAdd(d, v, b0);
                    d = TWidth.Load(ref Unsafe.Add(ref _tails, L + q));
                    a1 = TWidth.MultiplyAdd(d, u, a1); if (TRows.IsTwo) b1 = TWidth.MultiplyAdd(d, v, b1);
                    d = TWidth.Load(ref Unsafe.Add(ref _tails, 2 * L + q));
                    a2 = TWidth.MultiplyAdd(d, u, a2); if (TRows.IsTwo) b2 = TWidth.MultiplyAdd(d, v, b2);
                    d = TWidth.Load(ref Unsafe.Add(ref _tails, 3 * L + q));
                    a3 = TWidth.MultiplyAdd(d, u, a3); if (TRows.IsTwo) b3 = TWidth.MultiplyAdd(d, v, b3);
                }
                TWidth.Store(a0, ref q0);
                if (count > 1) TWidth.Store(a1, ref q1);
                if (count > 2) TWidth.Store(a2, ref q2);
                if (count > 3) TWidth.Store(a3, ref q3);
                if (TRows.IsTwo)
                {
                    TWidth.Store(b0, ref Unsafe.Add(ref q0, L));
                    if (count > 1) TWidth.Store(b1, ref Unsafe.Add(ref q1, L));
                    if (count > 2) TWidth.Store(b2, ref Unsafe.Add(ref q2, L));
                    if (count > 3) TWidth.Store(b3, ref Unsafe.Add(ref q3, L));
                }
            }
        }
    }
}
