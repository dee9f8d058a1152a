using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>The 2×2 stride-2 max pooling kernels (forward over row pairs, backward from the argmax) behind <see cref="Pooling"/>.</summary>
internal static partial class Pooling
{
    /// <summary>
    /// 2×2 stride-2 max pooling of a batch, dispatched on the tier's width. Splitting a row into its even and odd
    /// columns takes a register twice as wide as the one holding the windows, so the windows go in registers of at
    /// most half the tier's width: on Avx512 16 (Vector512, a two-register permute) or 8 (Vector256); on Avx2, whose
    /// 256-bit permutes cannot take two registers, 8 (two in-lane shuffles and two 64-bit permutes) or 4 (Vector128):
    /// the widest whose windows fit in an output row (every row has the same width); rows of fewer windows, and the
    /// Vector128 and Scalar tiers, run the scalar loop.
    /// </summary>
    private readonly ref struct MaxForwardKernel : IWidthKernel
    {
        private readonly RowPairs _rows;
        private readonly ReadOnlySpan<float> _x;
        private readonly Span<float> _y;
        private readonly Span<int> _argmax;

        public MaxForwardKernel(in RowPairs rows, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
        {
            _rows = rows;
            _x = x;
            _y = y;
            _argmax = argmax;
        }

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            ref float x = ref MemoryMarshal.GetReference(_x);
            ref float y = ref MemoryMarshal.GetReference(_y);
            ref int argmax = ref MemoryMarshal.GetReference(_argmax);
            int windows = _rows.Windows;
            if (TWidth.Count >= Width512.Count && windows >= Width512.Count)
                MaxRows<VectorRow<Width512, Vector512<float>, EvenOdd32>>(_rows, ref x, ref y, ref argmax);
            else if (TWidth.Count >= Width512.Count && windows >= Width256.Count)
                MaxRows<VectorRow<Width256, Vector256<float>, EvenOdd16>>(_rows, ref x, ref y, ref argmax);
            else if (TWidth.Count >= Width256.Count && windows >= Width256.Count)
                MaxRows<VectorRow<Width256, Vector256<float>, EvenOdd16Avx2>>(_rows, ref x, ref y, ref argmax);
            else if (TWidth.Count >= Width256.Count && windows >= Width128.Count)
                MaxRows<VectorRow<Width128, Vector128<float>, EvenOdd8>>(_rows, ref x, ref y, ref argmax);
            else
                MaxRows<ScalarRow>(_rows, ref x, ref y, ref argmax);
        }
    }

    /// <summary>
    /// 2×2 stride-2 max backward on the Avx2 and Avx512 tiers, for rows of at least eight windows: eight windows at a time,
    /// each window's four cells written once — dy + 0 where the argmax points, +0 elsewhere, exactly the reference's
    /// 0 + dy into a cleared dx — with no clear and no scatter; the last chunk of a row overlaps the one before (writing the
    /// same values again), and an odd width's last column and an odd height's last row are zeroed. If any argmax lies outside
    /// its own window (not the forward pass's output), <see cref="Done"/> stays false and the caller runs the reference.
    /// </summary>
    private ref struct MaxBackwardKernel(in RowPairs rows, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx) : IWidthKernel
    {
        private readonly RowPairs _rows = rows;
        private readonly ReadOnlySpan<float> _dy = dy;
        private readonly ReadOnlySpan<int> _argmax = argmax;
        private readonly Span<float> _dx = dx;

        /// <summary>Whether dx has been written.</summary>
        public bool Done { get; private set; }

        public void Run<TWidth, TVector>() where TWidth : struct, IVectorWidth<TVector> where TVector : struct
        {
            // Width256 or Width512: an x86 tier with Avx2 (the tiers below have narrower registers).
            if (TWidth.Count < Vector256<float>.Count) return;
            Done = Write(_rows, ref MemoryMarshal.GetReference(_dy), ref MemoryMarshal.GetReference(_argmax), ref MemoryMarshal.GetReference(_dx));
        }

        private static bool Write(in RowPairs rows, ref float dy, ref int argmax, ref float dx)
        {
            int width = rows.Width, windows = rows.Windows, lanes = Vector256<float>.Count, height = rows.PlaneSize / width;
            var twice = Vector256<int>.Indices * 2;
            Vector256<int> right = Vector256<int>.One, below = Vector256.Create(width), belowRight = Vector256.Create(width + 1);
            int o = 0;
            for (int plane = 0; plane < rows.Planes; plane++)
            {
                for (int r = 0; r < rows.PerPlane; r++, o += windows)
                {
                    int topStart = plane * rows.PlaneSize + 2 * r * width;
                    ref float top = ref Unsafe.Add(ref dx, topStart);
                    for (int c = 0; ; c += lanes)
                    {
                        if (c > windows - lanes) c = windows - lanes;
                        var d = Vector256.LoadUnsafe(ref dy, (nuint)(o + c)) + Vector256<float>.Zero;
                        var local = Vector256.LoadUnsafe(ref argmax, (nuint)(o + c)) - (Vector256.Create(topStart + 2 * c) + twice);
                        var m0 = Vector256.Equals(local, Vector256<int>.Zero).AsSingle();
                        var m1 = Vector256.Equals(local, right).AsSingle();
                        var m2 = Vector256.Equals(local, below).AsSingle();
                        var m3 = Vector256.Equals(local, belowRight).AsSingle();
                        if (!((m0 | m1) | (m2 | m3)).AsInt32().Equals(Vector256<int>.AllBitsSet)) return false;
                        StoreInterleaved(d & m0, d & m1, ref Unsafe.Add(ref top, 2 * c));
                        StoreInterleaved(d & m2, d & m3, ref Unsafe.Add(ref top, width + 2 * c));
                        if (c == windows - lanes) break;
                    }
                    if ((width & 1) != 0)
                    {
                        Unsafe.Add(ref top, width - 1) = 0f;
                        Unsafe.Add(ref top, 2 * width - 1) = 0f;
                    }
                }
                if ((height & 1) != 0)
                    MemoryMarshal.CreateSpan(ref Unsafe.Add(ref dx, plane * rows.PlaneSize + (height - 1) * width), width).Clear();
            }
            return true;
        }

        /// <summary>[e0 o0 e1 o1 … e7 o7] at <paramref name="destination"/>: the even and odd columns of a row put back together.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreInterleaved(Vector256<float> even, Vector256<float> odd, ref float destination)
        {
            var low = Avx.UnpackLow(even, odd);   // e0 o0 e1 o1 | e4 o4 e5 o5
            var high = Avx.UnpackHigh(even, odd); // e2 o2 e3 o3 | e6 o6 e7 o7
            Avx.Permute2x128(low, high, 0x20).StoreUnsafe(ref destination);
            Avx.Permute2x128(low, high, 0x31).StoreUnsafe(ref destination, (nuint)Vector256<float>.Count);
        }
    }

    /// <summary>The 2×2 stride-2 window rows of a batch: plane count, output rows per plane and the strides between them.</summary>
    private readonly struct RowPairs(in PoolGeometry g, int batch)
    {
        /// <summary>N·C planes.</summary>
        public readonly int Planes = batch * g.Channels;
        /// <summary>Output rows (input row pairs) per plane, OH.</summary>
        public readonly int PerPlane = g.OutputHeight;
        /// <summary>Windows per output row, OW.</summary>
        public readonly int Windows = g.OutputWidth;
        /// <summary>Input row length W.</summary>
        public readonly int Width = g.Width;
        /// <summary>Input plane size H·W.</summary>
        public readonly int PlaneSize = g.Height * g.Width;
    }

    /// <summary>
    /// Runs <typeparamref name="TRow"/> on every output row: row r of plane p reads input rows 2r and 2r + 1
    /// (starting at <c>p·H·W + 2r·W</c>) and writes OW outputs and indices in order.
    /// </summary>
    private static void MaxRows<TRow>(in RowPairs rows, ref float x, ref float y, ref int argmax) where TRow : struct, IMaxRow
    {
        int o = 0;
        for (int plane = 0; plane < rows.Planes; plane++)
            for (int r = 0; r < rows.PerPlane; r++, o += rows.Windows)
            {
                int topStart = plane * rows.PlaneSize + 2 * r * rows.Width;
                TRow.Run(ref Unsafe.Add(ref x, topStart), rows.Width, rows.Windows, topStart, ref Unsafe.Add(ref y, o), ref Unsafe.Add(ref argmax, o));
            }
    }

    /// <summary>One output row of 2×2 stride-2 max pooling.</summary>
    private interface IMaxRow
    {
        /// <summary>
        /// The <paramref name="windows"/> windows over the row at <paramref name="top"/> and the one below it
        /// (<paramref name="width"/> further); indices count from x's start, <paramref name="topStart"/> being top's.
        /// </summary>
        static abstract void Run(ref float top, int width, int windows, int topStart, ref float y, ref int argmax);
    }

    /// <summary>
    /// Window after window with branches: the top pair, the bottom pair, then top versus bottom, each replacing
    /// only on <see cref="Beats(float, float)"/>.
    /// </summary>
    private readonly struct ScalarRow : IMaxRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(ref float top, int width, int windows, int topStart, ref float y, ref int argmax)
        {
            ref float bottom = ref Unsafe.Add(ref top, width);
            for (int c = 0, j = 0; c < windows; c++, j += 2)
            {
                float best = Unsafe.Add(ref top, j);
                int bestAt = j;
                float v = Unsafe.Add(ref top, j + 1);
                if (Beats(v, best)) { best = v; bestAt = j + 1; }
                float lower = Unsafe.Add(ref bottom, j);
                int lowerAt = j + width;
                v = Unsafe.Add(ref bottom, j + 1);
                if (Beats(v, lower)) { lower = v; lowerAt = j + width + 1; }
                if (Beats(lower, best)) { best = lower; bestAt = lowerAt; }
                Unsafe.Add(ref y, c) = best;
                Unsafe.Add(ref argmax, c) = topStart + bestAt;
            }
        }
    }

    /// <summary>
    /// <c>TWidth.Count</c> windows at a time (the row has at least that many); the last chunk overlaps the
    /// previous one (recomputing the same values), so no scalar remainder is left. x never aliases y/argmax.
    /// </summary>
    private readonly struct VectorRow<TWidth, TVector, TSplit> : IMaxRow
        where TWidth : struct, IVectorWidth<TVector> where TVector : struct where TSplit : struct, IEvenOddSplit<TVector>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(ref float top, int width, int windows, int topStart, ref float y, ref int argmax)
        {
            int lanes = TWidth.Count;
            for (int c = 0; ; c += lanes)
            {
                if (c > windows - lanes) c = windows - lanes;
                MaxWindows(ref top, width, 2 * c, topStart, ref Unsafe.Add(ref y, c), ref Unsafe.Add(ref argmax, c));
                if (c == windows - lanes) return;
            }
        }

        /// <summary>
        /// <c>TWidth.Count</c> windows at columns <paramref name="j"/>.. of a row pair: each row's 2·Count values
        /// are split into even and odd columns, then reduced with the same rule and order as <see cref="ScalarRow"/>
        /// (top pair, bottom pair, top versus bottom), as compare-and-select; the argmax lanes are integers.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MaxWindows(ref float top, int width, int j, int topStart, ref float y, ref int argmax)
        {
            TSplit.Load(ref Unsafe.Add(ref top, j), out TVector a0, out TVector a1);
            TSplit.Load(ref Unsafe.Add(ref top, j + width), out TVector b0, out TVector b1);
            TVector one = TWidth.BroadcastInt32(1);

            TVector right = Beats<TWidth, TVector>(a1, a0);
            TVector best = TWidth.ConditionalSelect(right, a1, a0);
            TVector bestAt = TWidth.And(right, one);
            right = Beats<TWidth, TVector>(b1, b0);
            TVector lower = TWidth.ConditionalSelect(right, b1, b0);
            TVector lowerAt = TWidth.AddInt32(TWidth.And(right, one), TWidth.BroadcastInt32(width));
            TVector down = Beats<TWidth, TVector>(lower, best);
            TWidth.Store(TWidth.ConditionalSelect(down, lower, best), ref y);
            // Window k starts at column j + 2k of the top row.
            TVector at = TWidth.AddInt32(TWidth.AddInt32(TWidth.ConditionalSelect(down, lowerAt, bestAt), TWidth.BroadcastInt32(topStart + j)),
                                         TWidth.ShiftLeftInt32(TWidth.IndicesInt32, 1));
            TWidth.Store(at, ref Unsafe.As<int, float>(ref argmax));
        }
    }

    /// <summary>The replacement rule per lane: all ones where v &gt; best, or v is NaN and best is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Beats<TWidth, TVector>(TVector v, TVector best) where TWidth : struct, IVectorWidth<TVector> where TVector : struct =>
        TWidth.Or(TWidth.GreaterThan(v, best), TWidth.AndNot(TWidth.EqualTo(best, best), TWidth.EqualTo(v, v)));

    /// <summary>Loads 2·Count floats of a row and splits them into the even and the odd columns.</summary>
    private interface IEvenOddSplit<TVector> where TVector : struct
    {
        static abstract void Load(ref float source, out TVector even, out TVector odd);
    }

    /// <summary>32 floats into 16 + 16 with two two-register permutes (Avx512 tier).</summary>
    private readonly struct EvenOdd32 : IEvenOddSplit<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref float source, out Vector512<float> even, out Vector512<float> odd)
        {
            var lower = Vector512.LoadUnsafe(ref source);
            var upper = Vector512.LoadUnsafe(ref source, (nuint)Vector512<float>.Count);
            var evenIndices = Vector512<int>.Indices * 2;
            even = Avx512F.PermuteVar16x32x2(lower, evenIndices, upper);
            odd = Avx512F.PermuteVar16x32x2(lower, evenIndices + Vector512<int>.One, upper);
        }
    }

    /// <summary>16 floats into 8 + 8 with one Vector512 permute (Avx512 tier).</summary>
    private readonly struct EvenOdd16 : IEvenOddSplit<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref float source, out Vector256<float> even, out Vector256<float> odd)
        {
            var split = Vector512.Shuffle(Vector512.LoadUnsafe(ref source), Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
            even = split.GetLower();
            odd = split.GetUpper();
        }
    }

    /// <summary>16 floats into 8 + 8 with two in-lane shuffles and two cross-lane permutes (Avx2 tier, rows of 8 or more
    /// windows: half the instructions per window of <see cref="EvenOdd8"/>).</summary>
    private readonly struct EvenOdd16Avx2 : IEvenOddSplit<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref float source, out Vector256<float> even, out Vector256<float> odd)
        {
            var lower = Vector256.LoadUnsafe(ref source);
            var upper = Vector256.LoadUnsafe(ref source, (nuint)Vector256<float>.Count);
            // Per 128-bit lane: [x0 x2 | x8 x10] and [x4 x6 | x12 x14] (even), then the 64-bit pairs put in order.
            even = Avx2.Permute4x64(Avx.Shuffle(lower, upper, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
            odd = Avx2.Permute4x64(Avx.Shuffle(lower, upper, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
        }
    }

    /// <summary>8 floats into 4 + 4 with one Vector256 permute (Avx2 and Avx512 tiers).</summary>
    private readonly struct EvenOdd8 : IEvenOddSplit<Vector128<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ref float source, out Vector128<float> even, out Vector128<float> odd)
        {
            var split = Vector256.Shuffle(Vector256.LoadUnsafe(ref source), Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7));
            even = split.GetLower();
            odd = split.GetUpper();
        }
    }
}
