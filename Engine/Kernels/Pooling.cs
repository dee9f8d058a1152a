using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels;

/// <summary>
/// The fast 2-D max and average pooling (no padding; see <see cref="PoolGeometry"/>), with the same
/// signatures, layouts and results as <see cref="PoolingReference"/>: a specialised loop for the common
/// 2×2 window with stride 2, and the reference loops for every other geometry. Nothing here allocates.
/// </summary>
/// <remarks>
/// <para>
/// Layouts: x and dx are <c>[N, C, H, W]</c>; y, dy and argmax are <c>[N, C, OH, OW]</c>. Only the first
/// <c>batch</c> samples are touched; longer spans are fine, shorter ones throw.
/// </para>
/// <para>
/// The 2×2 stride-2 path gives exactly the reference's bits and indices on every tier: pooling moves or sums
/// four values with no rounding choice left, and the first-maximum-wins rule is associative, so the window is
/// reduced as (top pair) then (bottom pair) then top-versus-bottom with ties to the top, which is the row-major
/// scan. Max forward is vectorised over output columns on Avx512 (8 windows per Vector512 permute) and Avx2
/// (4 windows), with an overlapping last chunk; rows narrower than that, and the other tiers, run the scalar
/// loop. Average pooling and max backward are scalar (memory-bound already).
/// </para>
/// </remarks>
internal static class Pooling
{
    /// <summary>
    /// y = maximum of each window; argmax = flat index into x (counting from the start of x, batch included)
    /// of the element chosen. Among equal maxima the FIRST in row-major order wins; the first NaN in a window
    /// wins over any number (see <see cref="PoolingReference.MaxForward"/>).
    /// </summary>
    public static void MaxForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/, Span<int> argmax /*N,C,OH,OW*/)
    {
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.MaxForward(g, batch, x, y, argmax);
            return;
        }
        PoolingReference.CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        int outputLength = PoolingReference.CheckBatch(g, batch, y.Length, nameof(y), isInput: false);
        PoolingReference.CheckLength(outputLength, argmax.Length, nameof(argmax));

        int width = g.Width, oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * width;
        int planes = batch * g.Channels;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref int a0 = ref MemoryMarshal.GetReference(argmax);
        int lanes = Cpu.Tier switch { ComputeTier.Avx512 => 8, ComputeTier.Avx2 => 4, _ => 0 };
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < oh; r++)
            {
                int topStart = plane * planeSize + 2 * r * width;
                ref float top = ref Unsafe.Add(ref x0, topStart);
                ref float bottom = ref Unsafe.Add(ref top, width);
                int c = 0;
                if (lanes != 0 && ow >= lanes)
                {
                    // Vector chunks of 8 (Avx512) or 4 (Avx2) windows; the last chunk overlaps the previous one
                    // (recomputing the same values) so no scalar remainder is left. x never aliases y/argmax.
                    for (; ; c += lanes)
                    {
                        if (c > ow - lanes) c = ow - lanes;
                        if (lanes == 8)
                            MaxWindows8(ref top, ref bottom, width, 2 * c, topStart, ref Unsafe.Add(ref y0, o + c), ref Unsafe.Add(ref a0, o + c));
                        else
                            MaxWindows4(ref top, ref bottom, width, 2 * c, topStart, ref Unsafe.Add(ref y0, o + c), ref Unsafe.Add(ref a0, o + c));
                        if (c == ow - lanes) break;
                    }
                    o += ow;
                    continue;
                }
                for (int j = 2 * c; c < ow; c++, j += 2, o++)
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
                    Unsafe.Add(ref y0, o) = best;
                    Unsafe.Add(ref a0, o) = topStart + bestAt;
                }
            }
        }
    }

    /// <summary>
    /// dx is overwritten: zeroed, then <c>dx[argmax[o]] += dy[o]</c> for every output o (in order), so an input
    /// chosen by several overlapping windows gets the sum of their gradients. <c>argmax</c> holds the indices
    /// written by the <see cref="MaxForward"/> of the same batch.
    /// </summary>
    /// <exception cref="IndexOutOfRangeException">An argmax index lies outside the batch's dx.</exception>
    public static void MaxBackward(in PoolGeometry g, int batch, ReadOnlySpan<float> dy /*N,C,OH,OW*/, ReadOnlySpan<int> argmax /*N,C,OH,OW*/, Span<float> dx /*N,C,H,W*/)
    {
        int outputLength = PoolingReference.CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        PoolingReference.CheckLength(outputLength, argmax.Length, nameof(argmax));
        int inputLength = PoolingReference.CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        var dxBatch = dx[..inputLength];
        dxBatch.Clear();
        ref float dy0 = ref MemoryMarshal.GetReference(dy);
        ref int a0 = ref MemoryMarshal.GetReference(argmax);
        for (int o = 0; o < outputLength; o++)
            dxBatch[Unsafe.Add(ref a0, o)] += Unsafe.Add(ref dy0, o);   // bounds-checked: argmax is data
    }

    /// <summary>y = mean of each window: (sum of the window in row-major order, in float, from 0) / (SizeHeight·SizeWidth).</summary>
    public static void AverageForward(in PoolGeometry g, int batch, ReadOnlySpan<float> x /*N,C,H,W*/, Span<float> y /*N,C,OH,OW*/)
    {
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.AverageForward(g, batch, x, y);
            return;
        }
        PoolingReference.CheckBatch(g, batch, x.Length, nameof(x), isInput: true);
        PoolingReference.CheckBatch(g, batch, y.Length, nameof(y), isInput: false);

        int width = g.Width, oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * width;
        int planes = batch * g.Channels;
        const float area = 4f;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < oh; r++)
            {
                ref float top = ref Unsafe.Add(ref x0, plane * planeSize + 2 * r * width);
                ref float bottom = ref Unsafe.Add(ref top, width);
                for (int c = 0, j = 0; c < ow; c++, j += 2, o++)
                {
                    // 0f + first term, as the reference's sum starts from 0 (−0 becomes +0).
                    float sum = 0f + Unsafe.Add(ref top, j);
                    sum += Unsafe.Add(ref top, j + 1);
                    sum += Unsafe.Add(ref bottom, j);
                    sum += Unsafe.Add(ref bottom, j + 1);
                    Unsafe.Add(ref y0, o) = sum / area;
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
        if (!IsTwoByTwoStrideTwo(g))
        {
            PoolingReference.AverageBackward(g, batch, dy, dx);
            return;
        }
        PoolingReference.CheckBatch(g, batch, dy.Length, nameof(dy), isInput: false);
        int inputLength = PoolingReference.CheckBatch(g, batch, dx.Length, nameof(dx), isInput: true);

        int width = g.Width, oh = g.OutputHeight, ow = g.OutputWidth, planeSize = g.Height * width;
        int planes = batch * g.Channels;
        const float area = 4f;
        // Windows do not overlap: every covered input is written once (0 + share, as the reference's
        // zero-then-add); the uncovered last row/column of an odd-sized plane stays zero from the clear.
        if (g.Height % 2 != 0 || width % 2 != 0)
            dx[..inputLength].Clear();
        ref float dx0 = ref MemoryMarshal.GetReference(dx);
        ref float dy0 = ref MemoryMarshal.GetReference(dy);
        int o = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < oh; r++)
            {
                ref float top = ref Unsafe.Add(ref dx0, plane * planeSize + 2 * r * width);
                ref float bottom = ref Unsafe.Add(ref top, width);
                for (int c = 0, j = 0; c < ow; c++, j += 2, o++)
                {
                    float share = 0f + Unsafe.Add(ref dy0, o) / area;
                    Unsafe.Add(ref top, j) = share;
                    Unsafe.Add(ref top, j + 1) = share;
                    Unsafe.Add(ref bottom, j) = share;
                    Unsafe.Add(ref bottom, j + 1) = share;
                }
            }
        }
    }

    /// <summary>
    /// Eight 2×2 windows at columns <paramref name="j"/>..j+15 of a row pair (Avx512 tier): each row's 16 values
    /// are split into even and odd columns with one Vector512 permute, then reduced with the same rule and
    /// order as the scalar loop (top pair, bottom pair, top versus bottom), as compare-and-select.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxWindows8(ref float top, ref float bottom, int width, int j, int topStart, ref float y, ref int argmax)
    {
        var split = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
        var t = Vector512.Shuffle(Vector512.LoadUnsafe(ref top, (nuint)j), split);
        var b = Vector512.Shuffle(Vector512.LoadUnsafe(ref bottom, (nuint)j), split);
        Vector256<float> a0 = t.GetLower(), a1 = t.GetUpper(), b0 = b.GetLower(), b1 = b.GetUpper();
        var one = Vector256<int>.One;

        var right = Beats(a1, a0);
        var best = Vector256.ConditionalSelect(right, a1, a0);
        var bestAt = right.AsInt32() & one;
        right = Beats(b1, b0);
        var lower = Vector256.ConditionalSelect(right, b1, b0);
        var lowerAt = (right.AsInt32() & one) + Vector256.Create(width);
        var down = Beats(lower, best);
        Vector256.ConditionalSelect(down, lower, best).StoreUnsafe(ref y);
        var at = Vector256.ConditionalSelect(down.AsInt32(), lowerAt, bestAt)
                 + Vector256.Create(topStart + j) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        at.StoreUnsafe(ref argmax);
    }

    /// <summary>Four windows as <see cref="MaxWindows8"/>, for the Avx2 tier (one Vector256 permute per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxWindows4(ref float top, ref float bottom, int width, int j, int topStart, ref float y, ref int argmax)
    {
        var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var t = Vector256.Shuffle(Vector256.LoadUnsafe(ref top, (nuint)j), split);
        var b = Vector256.Shuffle(Vector256.LoadUnsafe(ref bottom, (nuint)j), split);
        Vector128<float> a0 = t.GetLower(), a1 = t.GetUpper(), b0 = b.GetLower(), b1 = b.GetUpper();
        var one = Vector128<int>.One;

        var right = Beats(a1, a0);
        var best = Vector128.ConditionalSelect(right, a1, a0);
        var bestAt = right.AsInt32() & one;
        right = Beats(b1, b0);
        var lower = Vector128.ConditionalSelect(right, b1, b0);
        var lowerAt = (right.AsInt32() & one) + Vector128.Create(width);
        var down = Beats(lower, best);
        Vector128.ConditionalSelect(down, lower, best).StoreUnsafe(ref y);
        var at = Vector128.ConditionalSelect(down.AsInt32(), lowerAt, bestAt)
                 + Vector128.Create(topStart + j) + Vector128.Create(0, 2, 4, 6);
        at.StoreUnsafe(ref argmax);
    }

    /// <summary>The replacement rule per lane: all ones where v &gt; best, or v is NaN and best is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Beats(Vector128<float> v, Vector128<float> best) =>
        Vector128.GreaterThan(v, best) | Vector128.AndNot(Vector128.Equals(best, best), Vector128.Equals(v, v));

    /// <summary>The replacement rule per lane: all ones where v &gt; best, or v is NaN and best is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Beats(Vector256<float> v, Vector256<float> best) =>
        Vector256.GreaterThan(v, best) | Vector256.AndNot(Vector256.Equals(best, best), Vector256.Equals(v, v));

    private static bool IsTwoByTwoStrideTwo(in PoolGeometry g) =>
        g.SizeHeight == 2 && g.SizeWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2;

    /// <summary>The reference's replacement rule: v replaces best if greater, or if v is NaN and best is not.</summary>
    /// <remarks>A branch-free scalar form (non-short-circuit operators, selects) measured slower, not faster.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Beats(float v, float best) => v > best || (float.IsNaN(v) && !float.IsNaN(best));
}
